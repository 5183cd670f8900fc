import ArgumentParser
import Foundation
import Logging
import LoupeTensor

@main
struct Loupe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "Look inside neural networks and publish what you find.",
        discussion: """
            Exit status: 0 on success; 1 when a notebook rendered but some cells failed; 2 for bad input (an option, \
            file, model or cell that is wrong: the message names it); 3 for a failure inside Loupe (a bug to report).

            Set LOUPE_LOG=debug to log, on standard error, each oneDNN kernel that is not JIT-compiled for this CPU \
            and each layout changed to get one.
            """,
        subcommands: [
            Render.self, Serve.self, Publish.self, Directives.self, Cache.self, Predict.self, Attribute.self, Features.self, Filters.self,
            Embed.self,
            Concepts.self, Couple.self, Describe.self, Guide.self, CLIPCommand.self, Models.self,
            Bench.self, Parity.self,
        ]
    )

    static func main() async {
        bootstrapLogging()
        do {
            var command = try parseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            // Usage errors (an unknown flag, a bad value, a failed `validate()`) are bad input
            // like any other: status 2, with ArgumentParser's message and usage.
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(ExitStatus.badInput.rawValue)
            }
            exit(withError: error)
        }
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
