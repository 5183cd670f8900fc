import ArgumentParser
import Foundation
import LoupeBench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Loupe's speed (compare with PyTorch using the scripts in Scripts/bench).",
        subcommands: [Ops.self, Models.self]
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

extension Bench {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batch-1 forward and input-gradient times of ResNet-50, ResNet-18 and EfficientNet-Lite0, and peak memory.",
            discussion: "Peak memory is the process's high-water mark: measure one --model per process to compare it.")

        @Option(help: "Measure only this model (repeatable): a store name or an architecture.")
        var model: [String] = []

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Seconds to spend timing each measurement.")
        var budget: Double = 2

        func run() throws {
            var results: [ModelBenchmark.Result] = []
            for name in model.isEmpty ? ModelBenchmark.standardModels : model {
                let r = try ModelBenchmark.run(name, budget: budget) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                if !json {
                    print(String(format: "%@ forward %8.1f ms   input gradient %8.1f ms   peak RSS %7.1f MiB  (%@ weights)",
                                 name.padding(toLength: 20, withPad: " ", startingAt: 0), r.forward_ms, r.input_gradient_ms, r.peak_rss_mib, r.weights))
                }
                results.append(r)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(["models": results]), as: UTF8.self))
            }
        }
    }
}
