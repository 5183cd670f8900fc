import ArgumentParser
import Foundation
import LoupeNotebook

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a notebook and write its report: one self-contained HTML page (or a Jupyter notebook).",
        discussion: """
            Cells whose text and inputs are unchanged come from the cache (~/.cache/loupe/cells, or \
            $LOUPE_HOME/cells). A failing cell shows its error in the report, cells reading its value are \
            skipped, and the exit status is 1.

            Examples:
              loupe render Notebooks/lecture.md
              loupe render Notebooks/lecture.md --set photo=~/me.jpg -o Output/me.html
              loupe render Notebooks/lecture.md --each 'photo=photos/*.jpg' -o Output/photos
            """)

    @Argument(help: "The notebook (Markdown with {directive} cells).")
    var notebook: String

    @Option(name: .shortAndLong, help: "The report file (with --each: the folder). Default: Output/<notebook>.html (or .ipynb).")
    var output: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a front-matter param (repeatable).", valueName: "name=value"))
    var overrides: [String] = []

    @Option(
        help: ArgumentHelp(
            "Render once per file matching a glob, setting the param to each; writes an index page too.", valueName: "name=glob"))
    var each: String?

    @Option(help: "html or ipynb.")
    var format: ReportFormat = .html

    @Flag(help: "Run every cell; neither read nor write the cache.")
    var noCache = false

    @Flag(help: "Leave cell times and cache marks out of the report, so its bytes depend only on its inputs.")
    var reproducible = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    @Flag(help: "Render again whenever the notebook or a file it names changes (Ctrl-C stops).")
    var watch = false

    func validate() throws {
        if each != nil, watch { throw ValidationError("--each and --watch do not go together") }
        for item in overrides where !item.contains("=") {
            throw ValidationError("--set expects name=value, found '\(item)'")
        }
    }

    func run() throws {
        let url = URL(fileURLWithPath: (notebook as NSString).expandingTildeInPath)
        let session = RenderSession(
            cache: noCache ? nil : CellCache.standard(), format: format, reproducible: reproducible,
            progress: quiet ? .quiet : Progress.forStandardError())
        var parsedOverrides = try overrides.map(Self.parseOverride)
        do {
            if let each {
                let (name, pattern) = try Self.parseOverride(each).pair
                let files = try Self.expand(glob: pattern)
                let folder = output ?? "Output/\(url.deletingPathExtension().lastPathComponent)"
                let ok = try session.renderEach(
                    notebook: url, displayPath: notebook, param: name, files: files, overrides: parsedOverrides, folder: folder)
                if !ok { throw ExitCode.failure }
                return
            }
            let target = output ?? "Output/\(url.deletingPathExtension().lastPathComponent).\(format.rawValue)"
            parsedOverrides = parsedOverrides.map { NamedValue(name: $0.name, value: Self.absolutePathIfFile($0.value)) }
            var ok = try session.render(notebook: url, displayPath: notebook, overrides: parsedOverrides, to: target)
            if watch {
                try session.watch(notebook: url, displayPath: notebook, overrides: parsedOverrides, to: target)
            }
            if !ok { ok = false; throw ExitCode.failure }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw fail(error)
        }
    }

    static func parseOverride(_ text: String) throws -> NamedValue {
        guard let equals = text.firstIndex(of: "=") else { throw ValidationError("expected name=value, found '\(text)'") }
        let name = text[..<equals].trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw ValidationError("expected name=value, found '\(text)'") }
        return NamedValue(name: name, value: String(text[text.index(after: equals)...]))
    }

    /// A value naming an existing file relative to the working directory, made absolute: a path
    /// typed on the command line means the user's working directory, not the notebook's.
    static func absolutePathIfFile(_ value: String) -> String {
        let expanded = (value as NSString).expandingTildeInPath
        guard !expanded.hasPrefix("/"), FileManager.default.fileExists(atPath: expanded) else { return expanded }
        return URL(fileURLWithPath: expanded).standardizedFileURL.path
    }

    /// The files matching `pattern` (shell glob), sorted; a file whose name is not UTF-8 is left
    /// out with a warning on standard error (a Swift string cannot name it, so no cell could
    /// open it).
    static func expand(glob pattern: String) throws -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        let expanded = (pattern as NSString).expandingTildeInPath
        guard glob(expanded, 0, nil, &matches) == 0 else {
            throw ValidationError("--each: no file matches '\(pattern)'")
        }
        var files: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            guard let path = matches.gl_pathv[index] else { continue }
            guard let name = String(validatingCString: path) else {
                FileHandle.standardError.write(
                    Data("loupe: warning: --each: skipping '\(String(cString: path))': its name is not UTF-8; rename the file\n".utf8))
                continue
            }
            files.append(name)
        }
        guard !files.isEmpty else { throw ValidationError("--each: no file with a UTF-8 name matches '\(pattern)'") }
        return files.sorted().map(absolutePathIfFile)
    }
}

extension NamedValue {
    var pair: (String, String) { (name, value) }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case html, ipynb
}

/// Progress on standard error: a live line on a terminal, plain lines otherwise.
struct Progress {
    enum Style { case quiet, plain, live }
    let style: Style

    static let quiet = Progress(style: .quiet)

    static func forStandardError() -> Progress {
        Progress(style: isatty(STDERR_FILENO) == 1 ? .live : .plain)
    }

    func handle(_ event: NotebookRunner.Event) {
        switch (style, event) {
        case (.quiet, _):
            break
        case let (.live, .started(index, count, id, _)):
            write("\r\u{1B}[2K[\(index)/\(count)] \(id) …")
        case (.plain, .started):
            break
        case let (_, .finished(index, count, result)):
            let line = "[\(index)/\(count)] \(result.id): \(Self.describe(result))"
            switch result.status {
            case .ok where style == .live: write("\r\u{1B}[2K" + line)
            case .ok: write(line + "\n")
            default: write((style == .live ? "\r\u{1B}[2K" : "") + line + "\n")
            }
        case let (_, .message(text)):
            write((style == .live ? "\r\u{1B}[2K" : "") + "loupe: \(text)\n")
        }
    }

    func finish(_ line: String) {
        guard style != .quiet else { return }
        write((style == .live ? "\r\u{1B}[2K" : "") + line + "\n")
    }

    func error(_ line: String) {
        write((style == .live ? "\r\u{1B}[2K" : "") + line + "\n")
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func describe(_ result: CellResult) -> String {
        switch result.status {
        case .ok:
            let time = result.duration.map { String(format: "%.2f s", $0) } ?? ""
            return result.cached ? "cached" : "ok \(time)"
        case let .failed(message): return "FAILED: \(message)"
        case let .skipped(reason): return "skipped: \(reason)"
        }
    }
}

/// Renders notebooks with one cache, format and progress display.
struct RenderSession {
    let cache: CellCache?
    let format: ReportFormat
    let reproducible: Bool
    let progress: Progress
    let hasher = FileHasher()

    /// Renders one report; returns whether every cell succeeded.
    @discardableResult
    func render(notebook url: URL, displayPath: String, overrides: [NamedValue], to target: String) throws -> Bool {
        let start = ProcessInfo.processInfo.systemUptime
        let rendering = try renderToMemory(notebook: url, displayPath: displayPath, overrides: overrides)
        try write(rendering.report, to: target)
        let s = rendering.summary
        let elapsed = ProcessInfo.processInfo.systemUptime - start
        progress.finish(
            String(
                format: "wrote %@: %d cells ran, %d cached, %d failed, %d skipped in %.2f s",
                target, s.ran, s.cached, s.failed, s.skipped, elapsed))
        return s.failed == 0 && s.skipped == 0
    }

    /// Runs the notebook and says what went wrong (warnings, failed cells), writing nothing.
    func renderToMemory(notebook url: URL, displayPath: String, overrides: [NamedValue]) throws -> NotebookRendering {
        let rendering = try NotebookRendering(
            notebook: url, displayPath: displayPath, overrides: overrides, cache: cache, fileHasher: hasher,
            events: progress.handle)
        for diagnostic in rendering.plan.diagnostics where diagnostic.severity == .warning {
            progress.error("\(diagnostic)")
        }
        reportFailures(rendering, displayPath: displayPath)
        return rendering
    }

    func write(_ report: Report, to target: String) throws {
        let final = reproducible ? report.withoutTimings() : report
        let url = URL(fileURLWithPath: (target as NSString).expandingTildeInPath)
        switch format {
        case .html: try writeAtomically(HTMLRenderer().render(final), to: url)
        case .ipynb: try writeAtomically(try IPYNBRenderer().render(final), to: url)
        }
    }

    /// Compiler-style lines for failed cells: `file:line: error: cell 'id': message`.
    func reportFailures(_ rendering: NotebookRendering, displayPath: String) {
        for line in Self.failures(rendering, displayPath: displayPath) { progress.error(line) }
    }

    /// The failed cells as compiler-style lines: `file:line: error: cell 'id': message`.
    static func failures(_ rendering: NotebookRendering, displayPath: String) -> [String] {
        zip(rendering.plan.cells, rendering.report.cells).compactMap { cell, result in
            guard case let .failed(message) = result.status else { return nil }
            return "\(displayPath):\(cell.messageLine): error: cell '\(result.id)': \(message)"
        }
    }

    /// One report per file plus an index page comparing their top predictions.
    func renderEach(notebook url: URL, displayPath: String, param: String, files: [String], overrides: [NamedValue], folder: String) throws
        -> Bool
    {
        let stem = url.deletingPathExtension().lastPathComponent
        var entries: [IndexPage.Entry] = []
        var allOK = true
        var title = stem
        for file in files {
            let name = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let fileName = "\(stem)-\(name).\(format.rawValue)"
            let rendering = try NotebookRendering(
                notebook: url, displayPath: displayPath, overrides: overrides + [NamedValue(name: param, value: file)],
                cache: cache, fileHasher: hasher, events: progress.handle)
            title = rendering.report.title
            try write(rendering.report, to: folder + "/" + fileName)
            reportFailures(rendering, displayPath: displayPath)
            let s = rendering.summary
            allOK = allOK && s.failed == 0 && s.skipped == 0
            progress.finish("wrote \(folder)/\(fileName): \(s.ran) ran, \(s.cached) cached, \(s.failed) failed, \(s.skipped) skipped")
            var facts = (rendering.report.firstPrediction ?? []).prefix(3).map { row in
                row.count >= 5 ? "\(row[1]) (\(row[4]))" : row.joined(separator: " ")
            }
            if s.failed > 0 { facts.append("\(s.failed) cell(s) failed") }
            entries.append(
                IndexPage.Entry(
                    title: (file as NSString).lastPathComponent,
                    href: fileName.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? fileName,
                    thumbnail: try rendering.report.firstImage.map { try IndexPage.thumbnail(of: $0) },
                    facts: facts))
        }
        let index = IndexPage(
            title: "\(title): \(files.count) images",
            description: "One report per image (\(param) = each file); the top three classes of the first prediction in each.",
            entries: entries)
        try writeAtomically(
            index.render(), to: URL(fileURLWithPath: (folder as NSString).expandingTildeInPath).appendingPathComponent("index.html"))
        progress.finish("wrote \(folder)/index.html: \(files.count) reports")
        return allOK
    }

    /// Re-renders whenever the notebook or a file it names changes; never returns.
    func watch(notebook url: URL, displayPath: String, overrides: [NamedValue], to target: String) throws {
        progress.finish("watching \(displayPath) and the files it names; Ctrl-C stops")
        var last = modificationDates(notebook: url, displayPath: displayPath, overrides: overrides)
        while true {
            Thread.sleep(forTimeInterval: 0.5)
            let now = modificationDates(notebook: url, displayPath: displayPath, overrides: overrides)
            guard now != last else { continue }
            last = now
            do {
                try render(notebook: url, displayPath: displayPath, overrides: overrides, to: target)
            } catch {
                progress.error("loupe: \(error)")
            }
        }
    }

    /// When the notebook and each file its cells name were last modified (`distantPast` for a
    /// file that is not there): a change in any is a reason to render again.
    func modificationDates(notebook url: URL, displayPath: String, overrides: [NamedValue]) -> [String: Date] {
        var files = [url]
        if let text = try? String(contentsOf: url, encoding: .utf8),
            let plan = try? Planner(overrides: overrides, fileHasher: hasher).plan(
                text, source: displayPath, baseDirectory: url.deletingLastPathComponent())
        {
            files += plan.inputFiles(baseDirectory: url.deletingLastPathComponent())
        }
        var result: [String: Date] = [:]
        for file in files {
            result[file.path] =
                (try? FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date) ?? .distantPast
        }
        return result
    }
}
