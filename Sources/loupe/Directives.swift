import ArgumentParser
import LoupeNotebook

struct Directives: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the notebook directives with their options.")

    @Flag(help: "Print the Markdown reference (docs/directives.md is this output).")
    var markdown = false

    func run() {
        print(markdown ? DirectiveRegistry.standard.referenceMarkdown() : DirectiveRegistry.standard.referenceText(), terminator: "")
    }
}

struct Cache: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the cell cache.", subcommands: [Clear.self])

    struct Clear: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete every cached cell output.")

        func run() throws {
            let cache = CellCache.standard()
            do {
                let count = try cache.clear()
                print("removed \(count) cached cells from \(cache.directory.path)")
            } catch {
                throw fail(error)
            }
        }
    }
}
