import ArgumentParser

@main
struct Loupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Look inside neural networks and publish what you find.",
        subcommands: [Render.self, Publish.self, Directives.self, Cache.self, Predict.self, Attribute.self, Features.self, Filters.self, Models.self, Bench.self, Parity.self]
    )
}
