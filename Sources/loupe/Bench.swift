import ArgumentParser
import Foundation
import LoupeBench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Loupe's speed (compare with PyTorch using the scripts in Scripts/bench).",
        subcommands: [Ops.self]
    )
}

extension Bench {
    struct Ops: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convolution throughput (forward and input gradient) on ResNet-50 and depthwise shapes, and the machine's peak.")

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Seconds to spend timing each measurement.")
        var budget: Double = 0.3

        @Flag(help: "Only batch 1 (faster).")
        var quick = false

        func run() throws {
            let cases = quick ? OpBenchmark.resnet50(batch: 1) + OpBenchmark.depthwise(batch: 1) : OpBenchmark.standardCases
            let report = try OpBenchmark.run(cases: cases, budget: budget) { c in
                guard !json else { return }
                let f = c.forward_gflops ?? 0, b = c.backward_data_gflops ?? 0
                print(c.label.padding(toLength: 36, withPad: " ", startingAt: 0)
                      + String(format: "forward %7.1f GFLOP/s   backward-data %7.1f GFLOP/s", f, b))
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print(String(format: "peak %.1f GFLOP/s (%@, %d threads); one tiny op costs %.1f µs",
                             report.peak_gflops, report.peak_kernel, report.threads, report.dispatch_microseconds))
            }
        }
    }
}
