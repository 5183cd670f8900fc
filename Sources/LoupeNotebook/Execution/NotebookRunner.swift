import Foundation

/// Runs a ``Plan``: cells in order, outputs from the cache where the key matches, values of
/// cached cells computed only when a later cell needs them.
///
/// A failing cell records its error and the run goes on; cells that read its value are
/// skipped with the reason. Nothing here throws: every problem ends up in a cell.
public final class NotebookRunner {
    /// What happens to a cell, for progress displays.
    public enum Event: Sendable {
        /// A directive cell is about to run (or be read from the cache).
        case started(index: Int, count: Int, id: String, directive: String)
        /// A directive cell finished.
        case finished(index: Int, count: Int, result: CellResult)
        /// A slow step inside a cell (a model download, for example).
        case message(String)
    }

    /// Counts for the summary line.
    public struct Summary: Sendable, Equatable {
        /// Cells that ran and succeeded.
        public var ran = 0
        /// Cells whose outputs came from the cache.
        public var cached = 0
        /// Cells that failed.
        public var failed = 0
        /// Cells skipped because a cell they read failed or was skipped.
        public var skipped = 0
    }

    private let plan: Plan
    private let cache: CellCache?
    private let baseDirectory: URL
    private let events: (Event) -> Void
    private let clock: () -> Double

    private var values: [Int: any NotebookValue] = [:]
    private var runs: [Int: (run: CellRun, duration: Double)] = [:]
    private var failures: [Int: String] = [:]
    private var inProgress: Set<Int> = []

    /// A runner.
    ///
    /// - Parameters:
    ///   - plan: The planned notebook.
    ///   - cache: Where outputs are read and written; `nil` runs every cell and stores nothing.
    ///   - baseDirectory: The notebook's folder.
    ///   - clock: Seconds from an arbitrary origin, for cell timings (tests pass a fixed clock).
    ///   - events: Called as cells start and finish.
    public init(
        plan: Plan, cache: CellCache?, baseDirectory: URL,
        clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
        events: @escaping (Event) -> Void = { _ in }
    ) {
        self.plan = plan
        self.cache = cache
        self.baseDirectory = baseDirectory
        self.clock = clock
        self.events = events
    }

    /// Runs every cell and assembles the report.
    public func run() -> (report: Report, summary: Summary) {
        var results: [CellResult] = []
        var summary = Summary()
        var models: [Provenance.Model] = []
        var images: [Provenance.Image] = []
        var states: [Int: CellResult.Status] = [:]
        let directiveCount = plan.cells.filter { if case .directive = $0.content { true } else { false } }.count
        var ordinal = 0

        for (index, cell) in plan.cells.enumerated() {
            switch cell.content {
            case let .prose(html), let .code(html):
                results.append(CellResult(id: cell.id, source: "", outputs: [.prose(html: html)]))
            case let .directive(planned):
                ordinal += 1
                events(.started(index: ordinal, count: directiveCount, id: cell.id, directive: planned.block.name))
                var result = CellResult(id: cell.id, source: planned.source, outputs: [])
                if let error = planned.error {
                    result.status = .failed(error.description)
                } else if let blocker = planned.dependencies.first(where: { states[$0] != .ok }) {
                    let name = plan.cells[blocker].id
                    switch states[blocker] {
                    case .skipped: result.status = .skipped("it reads '\(name)', which was skipped")
                    default: result.status = .skipped("it reads '\(name)' (line \(plan.cells[blocker].lines.lowerBound)), which failed")
                    }
                } else if let key = planned.cacheKey, let entry = cache?.entry(for: key) {
                    result.outputs = entry.outputs
                    result.duration = entry.duration
                    result.cached = true
                    Self.merge(entry.models, into: &models)
                    Self.merge(entry.images, into: &images)
                } else {
                    do {
                        let (run, duration) = try compute(index)
                        result.outputs = run.outputs
                        result.duration = duration
                        Self.merge(run.provenance.models, into: &models)
                        Self.merge(run.provenance.images, into: &images)
                        if let key = planned.cacheKey, let cache {
                            let entry = CellCache.Entry(
                                version: LoupeVersion.string, directive: planned.block.name, outputs: run.outputs,
                                models: run.provenance.models, images: run.provenance.images, duration: duration)
                            do {
                                try cache.store(entry, for: key)
                            } catch {
                                events(.message("warning: could not cache cell '\(cell.id)': \(error)"))
                            }
                        }
                    } catch {
                        result.status = .failed(Self.message(for: error))
                        result.duration = runs[index]?.duration
                    }
                }
                states[index] = result.status
                switch result.status {
                case .ok: if result.cached { summary.cached += 1 } else { summary.ran += 1 }
                case .failed: summary.failed += 1
                case .skipped: summary.skipped += 1
                }
                events(.finished(index: ordinal, count: directiveCount, result: result))
                results.append(result)
            }
        }

        let frontMatter = plan.document.frontMatter
        let title = frontMatter.title ?? URL(fileURLWithPath: plan.document.source).deletingPathExtension().lastPathComponent
        let report = Report(
            title: title, authors: frontMatter.authors, description: frontMatter.description, cells: results,
            provenance: Provenance(loupeVersion: LoupeVersion.string, models: models, images: images))
        return (report, summary)
    }

    /// Runs cell `index` once (later calls return the same run), computing the values of the
    /// cells it reads first.
    private func compute(_ index: Int) throws -> (run: CellRun, duration: Double) {
        if let done = runs[index] { return done }
        if let failure = failures[index] { throw CellError.invalid(failure) }
        guard case let .directive(planned) = plan.cells[index].content, let directive = planned.directive else {
            throw CellError.internalError("cell \(plan.cells[index].id) is not a runnable directive")
        }
        guard inProgress.insert(index).inserted else {
            throw CellError.internalError("cell \(plan.cells[index].id) reads itself")
        }
        defer { inProgress.remove(index) }

        // Values first, so that the cell's own time does not include its inputs'.
        for dependency in planned.dependencies where values[dependency] == nil {
            do {
                _ = try compute(dependency)
            } catch {
                throw CellError.invalid("could not recompute '\(plan.cells[dependency].id)': \(Self.message(for: error))")
            }
        }
        let context = CellContext(baseDirectory: baseDirectory, log: { [events] in events(.message($0)) }) { [unowned self] name in
            try self.value(named: name, reader: index)
        }
        let start = clock()
        do {
            let run = try directive.run(context)
            let duration = max(0, clock() - start)
            runs[index] = (run, duration)
            if let value = run.value { values[index] = value }
            return (run, duration)
        } catch {
            failures[index] = Self.message(for: error)
            throw error
        }
    }

    private func value(named name: String, reader: Int) throws -> any NotebookValue {
        guard case let .directive(planned) = plan.cells[reader].content,
            let index = planned.dependencies.first(where: { dependency in
                if case let .directive(defining) = plan.cells[dependency].content { return defining.definedName == name }
                return false
            })
        else {
            throw CellError.internalError("the cell reads '\(name)', which is not among its declared inputs")
        }
        if let value = values[index] { return value }
        _ = try compute(index)
        guard let value = values[index] else {
            throw CellError.internalError("'\(name)' defined no value")
        }
        return value
    }

    private static func merge<T: Equatable>(_ items: [T], into list: inout [T]) {
        for item in items where !list.contains(item) { list.append(item) }
    }

    static func message(for error: Error) -> String {
        String(describing: error)
    }
}
