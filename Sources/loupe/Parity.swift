import ArgumentParser
import Foundation
import LoupeBench

struct Parity: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare Loupe with PyTorch references (written by the scripts in Scripts/parity).",
        subcommands: [Models.self])

    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Logits, top-5 and input gradients of real models on real photos (Scripts/parity/models.py).")

        @Option(help: "The folder `Scripts/parity/models.py references DIR` wrote.")
        var dir: String

        func run() throws {
            print(
                "model               checkpoint                          photo          logit err  top-5  grad cos   own prep |Δ|  own top-5"
            )
            let rows: [ModelParity.Row]
            do {
                rows = try ModelParity.run(directory: URL(fileURLWithPath: dir)) { r in
                    print(
                        String(
                            format: "%@ %@ %@ %9.2e  %@  %9.6f  %11.5f  %@%@",
                            r.model.padding(toLength: 19, withPad: " ", startingAt: 0),
                            r.checkpoint.padding(toLength: 35, withPad: " ", startingAt: 0),
                            r.photo.padding(toLength: 14, withPad: " ", startingAt: 0),
                            r.logitError, r.top5Equal ? "same " : "DIFF ", r.gradientCosine, r.preprocessingError,
                            r.ownTop5Equal ? "same" : "diff", r.passed ? "" : "   FAIL"))
                }
            } catch {
                throw fail(error)
            }
            let failed = rows.filter { !$0.passed }.count
            print("\(rows.count - failed) passed, \(failed) failed")
            if failed > 0 || rows.isEmpty { throw ExitCode.failure }
        }
    }
}
