import ArgumentParser
import FlyingFox
import FlyingSocks
import Foundation
import LoupeNotebook

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Preview a notebook in the browser: render it, serve the report and reload the page on every save.",
        discussion: """
            Serves on 127.0.0.1 only. Each save of the notebook, or of a file it names, renders it again \
            through the cell cache (only the changed cells run) and the open page reloads itself. When the \
            notebook no longer renders (broken front matter), the page shows the error above the last good \
            report. If the port is taken, the next free one is used and printed.

            Examples:
              loupe serve Notebooks/lecture.md
              loupe serve Notebooks/clip.md --port 8080 --set weights=~/ViT-B-32.pt
            """)

    @Argument(help: "The notebook (Markdown with {directive} cells).")
    var notebook: String

    @Option(help: "The port to serve on (the next free one if it is taken).")
    var port: UInt16 = 8000

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a front-matter param (repeatable).", valueName: "name=value"))
    var overrides: [String] = []

    @Flag(help: "Run every cell on every save; neither read nor write the cache.")
    var noCache = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors and the address.")
    var quiet = false

    func validate() throws {
        for item in overrides where !item.contains("=") {
            throw ValidationError("--set expects name=value, found '\(item)'")
        }
        guard port > 0 else { throw ValidationError("--port must be between 1 and 65535") }
    }

    func run() async throws {
        let url = URL(fileURLWithPath: (notebook as NSString).expandingTildeInPath)
        let progress = quiet ? Progress.quiet : Progress.forStandardError()
        do {
            guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(notebook): no such notebook") }
            let session = RenderSession(
                cache: noCache ? nil : CellCache.standard(), format: .html, reproducible: false, progress: progress)
            let overrides = try overrides.map(Render.parseOverride).map {
                NamedValue(name: $0.name, value: Render.absolutePathIfFile($0.value))
            }
            let state = PreviewState(title: url.deletingPathExtension().lastPathComponent)
            let server = try await PreviewServer.start(state: state, from: port) { progress.error("loupe: \($0)") }
            if server.port != port { progress.error("loupe: port \(port) is in use; serving on \(server.port)") }
            progress.error("loupe: serving \(notebook) at http://127.0.0.1:\(server.port)/ (Ctrl-C stops)")
            PreviewWatcher(session: session, notebook: url, displayPath: notebook, overrides: overrides, state: state, progress: progress)
                .start()
            try await server.run.value
        } catch {
            throw fail(error)
        }
    }
}

/// What the preview serves: the page of the last report that rendered, which render it is, and
/// the error that stopped a newer one; and the pages open on it, told of each new render.
actor PreviewState {
    /// Which render the page shows; 0 until the first one.
    private(set) var version = 0
    /// The page, as served.
    private(set) var page: Data
    /// The page's Content-Security-Policy, sent as a header too.
    private(set) var policy: String
    /// The last report that rendered, and its failed cells with their lines.
    private var report: Report?
    private var failures: [String] = []
    /// The open pages' connections, by an id of their own.
    private var listeners: [UUID: AsyncStream<WSMessage>.Continuation] = [:]
    /// When the change behind each version was saved and how long its cells computed, to time
    /// how soon a page showed it.
    private var changes: [Int: (savedAt: Date, computing: TimeInterval)] = [:]
    /// The versions a page has said it shows, and how long after the save.
    private(set) var shown: [Int: TimeInterval] = [:]
    private let title: String

    /// A state that shows a waiting page until the first render.
    ///
    /// - Parameter title: the notebook's name, for the pages before a report exists.
    init(title: String) {
        self.title = title
        (page, policy) = Self.page(of: nil, title: title, preview: .init(version: 0))
    }

    /// A new render: `report` when the notebook rendered, `error` when it did not (the last good
    /// report stays); every open page is told.
    ///
    /// - Parameters:
    ///   - report: the new report, or nil when the notebook did not render.
    ///   - error: why it did not, or nil.
    ///   - failures: the new report's failed cells with their lines.
    ///   - changedAt: when the file whose change caused the render was saved.
    func publish(report: Report?, error: String?, failures: [String] = [], changedAt: Date) {
        if let report {
            self.report = report
            self.failures = failures
        }
        version += 1
        let computing = report?.cells.filter { !$0.cached }.compactMap(\.duration).reduce(0, +) ?? 0
        changes[version] = (changedAt, computing)
        (page, policy) = Self.page(of: self.report, title: title, preview: .init(version: version, error: error, failures: self.failures))
        for listener in listeners.values { listener.yield(.text(String(version))) }
    }

    /// A stream of the versions to show for one page: the current one first, then each new one.
    func subscribe() -> (id: UUID, messages: AsyncStream<WSMessage>) {
        let id = UUID()
        let (stream, continuation) = AsyncStream<WSMessage>.makeStream()
        listeners[id] = continuation
        continuation.yield(.text(String(version)))
        return (id, stream)
    }

    /// Forgets a page that closed its connection.
    func unsubscribe(_ id: UUID) {
        listeners.removeValue(forKey: id)?.finish()
    }

    /// A page says it shows `version`: the first time, the seconds since that change was saved
    /// and the seconds its cells computed.
    func pageShows(_ version: Int) -> (latency: TimeInterval, computing: TimeInterval)? {
        guard shown[version] == nil, let change = changes[version] else { return nil }
        let latency = Date().timeIntervalSince(change.savedAt)
        shown[version] = latency
        return (latency, change.computing)
    }

    /// The page and its policy: `report` with the preview's additions, or before any report the
    /// title (and the error, if the first render failed).
    private static func page(of report: Report?, title: String, preview: HTMLRenderer.Preview) -> (Data, String) {
        let shown =
            report
            ?? Report(
                title: title, description: preview.error == nil ? "Rendering…" : nil, cells: [],
                provenance: Provenance(loupeVersion: LoupeVersion.string))
        let rendered = HTMLRenderer(preview: preview).renderPage(shown)
        return (Data(rendered.html.utf8), rendered.contentSecurityPolicy)
    }
}

/// The HTTP side of `loupe serve` (FlyingFox on 127.0.0.1): `GET /` is the page, `/events` the
/// WebSocket each page listens on.
struct PreviewServer: Sendable {
    /// The port it listens on.
    let port: UInt16
    /// The server's task: it ends only with an error.
    let run: Task<Void, any Error>

    /// Starts serving on `preferred`, or on the next free port of the twenty after it.
    ///
    /// - Parameters:
    ///   - state: what to serve.
    ///   - preferred: the port to try first.
    ///   - log: where to say what a page did (how soon it showed a render).
    /// - Returns: the running server.
    /// - Throws: ``ServeError/noFreePort(from:)`` when all twenty ports are taken,
    ///   ``ServeError/cannotListen(port:reason:)`` for any other socket error.
    static func start(state: PreviewState, from preferred: UInt16, log: @escaping @Sendable (String) -> Void) async throws -> PreviewServer
    {
        var port = preferred
        while true {
            let server = HTTPServer(address: try .inet(ip4: "127.0.0.1", port: port), logger: .disabled)
            await server.appendRoute("GET /") { _ in
                let (page, policy) = await (state.page, state.policy)
                return HTTPResponse(
                    statusCode: .ok,
                    headers: [
                        .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                        HTTPHeader("Content-Security-Policy"): policy,
                    ],
                    body: page)
            }
            await server.appendRoute("GET /events", to: .webSocket(PreviewEvents(state: state, log: log)))
            let failure = FailureBox()
            let run = Task {
                do {
                    try await server.run()
                } catch {
                    failure.set(error)
                    throw error
                }
            }
            // Listening, or failed to bind: whichever comes first, within ten seconds.
            let deadline = ContinuousClock.now + .seconds(10)
            while true {
                if await server.isListening { return PreviewServer(port: port, run: run) }
                guard ContinuousClock.now < deadline else {
                    run.cancel()
                    throw ServeError.cannotListen(port: port, reason: "the server did not start listening within 10 s")
                }
                if let error = failure.error {
                    guard case let SocketError.failed(_, code, _) = error, code == EADDRINUSE else {
                        throw ServeError.cannotListen(port: port, reason: (error as? LocalizedError)?.errorDescription ?? "\(error)")
                    }
                    break
                }
                try await Task.sleep(for: .milliseconds(10))
            }
            guard port < preferred &+ 20, port < UInt16.max else { throw ServeError.noFreePort(from: preferred) }
            port += 1
        }
    }
}

/// One page's WebSocket: the server sends the newest version, the page answers `shown N` once it
/// shows version N.
struct PreviewEvents: WSMessageHandler {
    let state: PreviewState
    let log: @Sendable (String) -> Void

    func makeMessages(for client: AsyncStream<WSMessage>) async throws -> AsyncStream<WSMessage> {
        let (id, messages) = await state.subscribe()
        Task {
            for await message in client {
                guard case let .text(text) = message, text.hasPrefix("shown "), let version = Int(text.dropFirst(6)) else { continue }
                guard let (latency, computing) = await state.pageShows(version) else { continue }
                if version <= 1 {
                    log("a page is open (render \(version))")
                } else {
                    log(
                        String(
                            format: "a page shows render %d, %.2f s after the save (%.2f s of it computing cells)", version, latency,
                            computing))
                }
            }
            await state.unsubscribe(id)
        }
        return messages
    }
}

/// Renders the notebook on a thread of its own, again whenever it or a file it names changes.
final class PreviewWatcher: @unchecked Sendable {
    private let session: RenderSession
    private let notebook: URL
    private let displayPath: String
    private let overrides: [NamedValue]
    private let state: PreviewState
    private let progress: Progress

    init(session: RenderSession, notebook: URL, displayPath: String, overrides: [NamedValue], state: PreviewState, progress: Progress) {
        self.session = session
        self.notebook = notebook
        self.displayPath = displayPath
        self.overrides = overrides
        self.state = state
        self.progress = progress
    }

    /// Starts the thread: a first render, then one per change, checked every 100 ms.
    func start() {
        let thread = Thread { [self] in
            var stamps = session.modificationDates(notebook: notebook, displayPath: displayPath, overrides: overrides)
            render(changedAt: Date())
            while true {
                Thread.sleep(forTimeInterval: 0.1)
                let now = session.modificationDates(notebook: notebook, displayPath: displayPath, overrides: overrides)
                guard now != stamps else { continue }
                let changed = now.filter { stamps[$0.key] != $0.value }.values.max() ?? Date()
                stamps = now
                render(changedAt: min(changed, Date()))
            }
        }
        thread.name = "loupe serve: render"
        thread.start()
    }

    private func render(changedAt: Date) {
        var (report, problem, failures): (Report?, String?, [String]) = (nil, nil, [])
        do {
            let rendering = try session.renderToMemory(notebook: notebook, displayPath: displayPath, overrides: overrides)
            report = rendering.report
            failures = RenderSession.failures(rendering, displayPath: displayPath)
        } catch {
            progress.error("loupe: \(error)")
            problem = "\(error)"
        }
        // Publish before looking for the next change, so renders reach the pages in order.
        let (state, published) = (state, DispatchSemaphore(value: 0))
        Task {
            await state.publish(report: report, error: problem, failures: failures, changedAt: changedAt)
            published.signal()
        }
        published.wait()
    }
}

/// What `loupe serve` can fail with beyond the notebook's own errors.
enum ServeError: Error, CustomStringConvertible {
    /// The port asked for and the twenty after it are all in use.
    case noFreePort(from: UInt16)
    /// The socket could not listen on the port for another reason than its being in use.
    case cannotListen(port: UInt16, reason: String)

    var description: String {
        switch self {
        case let .noFreePort(port): "ports \(port)–\(Int(port) + 20) are all in use; choose another with --port"
        case let .cannotListen(port, reason): "cannot listen on 127.0.0.1:\(port): \(reason)"
        }
    }
}

/// The error a server task ended with, set on its task and read by the one waiting for it to
/// listen (an `NSLock`, which ThreadSanitizer understands, rather than the standard library's
/// `Mutex`, whose futex it does not see on Linux).
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    var error: (any Error)? { lock.withLock { stored } }

    func set(_ error: any Error) {
        lock.withLock { stored = error }
    }
}
