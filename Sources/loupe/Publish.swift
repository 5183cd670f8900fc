import ArgumentParser
import Foundation
import LoupeNotebook

struct Publish: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render every notebook in a folder into a static site: an index page and one page per notebook.")

    @Argument(help: "The folder of notebooks (*.md; README.md is skipped).")
    var folder: String

    @Option(name: .shortAndLong, help: "The site folder.")
    var output = "Output/site"

    @Flag(help: "Run every cell; neither read nor write the cache.")
    var noCache = false

    @Flag(name: .shortAndLong, help: "Print nothing but errors.")
    var quiet = false

    func run() throws {
        let session = RenderSession(
            cache: noCache ? nil : CellCache.standard(), format: .html, reproducible: false,
            progress: quiet ? .quiet : Progress.forStandardError())
        let directory = URL(fileURLWithPath: (folder as NSString).expandingTildeInPath)
        do {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".md") && $0.lowercased() != "readme.md" }.sorted()
            guard !names.isEmpty else { throw ValidationError("\(folder): no notebooks (*.md) in this folder") }
            var entries: [IndexPage.Entry] = []
            var allOK = true
            for name in names {
                let url = directory.appendingPathComponent(name)
                let page = url.deletingPathExtension().lastPathComponent + ".html"
                let rendering = try NotebookRendering(
                    notebook: url, displayPath: (folder as NSString).appendingPathComponent(name), cache: session.cache,
                    fileHasher: session.hasher, events: session.progress.handle)
                try session.write(rendering.report, to: (output as NSString).appendingPathComponent(page))
                session.reportFailures(rendering, displayPath: (folder as NSString).appendingPathComponent(name))
                let s = rendering.summary
                allOK = allOK && s.failed == 0 && s.skipped == 0
                session.progress.finish(
                    "wrote \(output)/\(page): \(s.ran) ran, \(s.cached) cached, \(s.failed) failed, \(s.skipped) skipped")
                entries.append(
                    IndexPage.Entry(
                        title: rendering.report.title,
                        href: page.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? page,
                        description: rendering.report.description,
                        thumbnail: try rendering.report.firstImage.map { try IndexPage.thumbnail(of: $0) },
                        facts: s.failed > 0 ? ["\(s.failed) cell(s) failed"] : []))
            }
            let index = IndexPage(
                title: directory.lastPathComponent, description: "\(names.count) notebooks rendered by Loupe.", entries: entries)
            try writeAtomically(
                index.render(), to: URL(fileURLWithPath: (output as NSString).expandingTildeInPath).appendingPathComponent("index.html"))
            session.progress.finish("wrote \(output)/index.html: \(names.count) notebooks")
            if !allOK { throw ExitCode.failure }
        } catch let error as ExitCode {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
