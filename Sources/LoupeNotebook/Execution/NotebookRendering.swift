import Foundation
import LoupeModels

/// Parse, plan and run one notebook file: the library form of `loupe render`.
public struct NotebookRendering {
    /// The plan that ran.
    public let plan: Plan
    /// The report.
    public let report: Report
    /// What ran, came from the cache, failed or was skipped.
    public let summary: NotebookRunner.Summary

    /// Renders the notebook at `url`.
    ///
    /// - Parameters:
    ///   - url: The notebook file.
    ///   - displayPath: How messages name the file (the path as the user typed it).
    ///   - overrides: `--set` params.
    ///   - cache: The cell cache, or `nil` to run everything and store nothing.
    ///   - registry: The directives.
    ///   - fileHasher: Remembers file hashes across renders (for `--watch` and `--each`).
    ///   - clock: Seconds from an arbitrary origin, for cell timings.
    ///   - events: Progress.
    /// - Throws: ``NotebookError`` when the file cannot be read, its front matter is broken or an
    ///   override names no param. Cell problems never throw: they are in the report.
    public init(
        notebook url: URL, displayPath: String? = nil, overrides: [NamedValue] = [], cache: CellCache?,
        registry: DirectiveRegistry = .standard, fileHasher: FileHasher = FileHasher(),
        clock: @escaping () -> Double = { ProcessInfo.processInfo.systemUptime },
        events: @escaping (NotebookRunner.Event) -> Void = { _ in }
    ) throws {
        let path = displayPath ?? url.path
        let text: String
        do {
            if let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber {
                try NotebookLimits.check(bytes: size.intValue, file: path)
            }
            let data = try Data(contentsOf: url)
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw NotebookError.unreadableNotebook(path: path, reason: "it is not UTF-8 text")
            }
            text = decoded
        } catch let error as NotebookError {
            throw error
        } catch {
            throw NotebookError.unreadableNotebook(path: path, reason: FileErrorReason.text(for: error))
        }
        let base = url.deletingLastPathComponent()
        let planner = Planner(registry: registry, overrides: overrides, fileHasher: fileHasher)
        plan = try planner.plan(text, source: path, baseDirectory: base)
        let runner = NotebookRunner(plan: plan, cache: cache, baseDirectory: base, clock: clock, events: events)
        (report, summary) = runner.run()
    }
}

extension Plan {
    /// Every file the cells name through file options, resolved; `--watch` watches them.
    public func inputFiles(baseDirectory: URL, registry: DirectiveRegistry = .standard) -> [URL] {
        var files: [URL] = []
        for cell in cells {
            guard case let .directive(planned) = cell.content, let type = registry.directive(named: planned.block.name) else { continue }
            for spec in type.options where spec.type == .file {
                if let value = planned.block.option(spec.name) {
                    files.append(OptionText.resolve(path: value, against: baseDirectory))
                }
            }
        }
        return files
    }
}

extension Report {
    /// The report without cell times and cache marks: the bytes then depend only on the
    /// notebook and its inputs (`loupe render --reproducible`).
    public func withoutTimings() -> Report {
        var copy = self
        for index in copy.cells.indices {
            copy.cells[index].duration = nil
            copy.cells[index].cached = false
        }
        return copy
    }

    /// The first image output, for thumbnails on index pages.
    public var firstImage: ImageOutput? {
        for cell in cells {
            for output in cell.outputs {
                switch output {
                case let .image(image): return image
                case let .images(images, _): if let first = images.first { return first }
                default: continue
                }
            }
        }
        return nil
    }

    /// The rows of the first `{predict}` table: rank, class, index, logit, probability.
    public var firstPrediction: [[String]]? {
        for cell in cells {
            for case let .table(table) in cell.outputs where table.columns == PredictDirective.columns {
                return table.rows
            }
        }
        return nil
    }

    /// Whether any cell failed.
    public var hasFailures: Bool {
        cells.contains { if case .failed = $0.status { true } else { false } }
    }
}
