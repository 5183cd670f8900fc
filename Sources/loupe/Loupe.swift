import ArgumentParser
import Foundation
import Logging

@main
struct Loupe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Look inside neural networks and publish what you find.",
        discussion: "Set LOUPE_LOG=debug to log, on standard error, each oneDNN kernel that is not JIT-compiled for this CPU and each layout changed to get one.",
        subcommands: [Render.self, Publish.self, Directives.self, Cache.self, Predict.self, Attribute.self, Features.self, Filters.self, Models.self, Bench.self, Parity.self]
    )

    static func main() {
        bootstrapLogging()
        main(nil)
    }

    /// Sends the library's logs to standard error at the level `LOUPE_LOG` names (`debug`,
    /// `info`, `notice`, `warning` — the default —, `error`, …).
    private static func bootstrapLogging() {
        let requested = ProcessInfo.processInfo.environment["LOUPE_LOG"].flatMap { Logger.Level(rawValue: $0.lowercased()) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = requested ?? .warning
            return handler
        }
    }
}
