import ArgumentParser
import Foundation
import LoupeBench
import LoupeTensor

extension Bench {
    struct Kernels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Which oneDNN kernel each pass of the lecture and the attribution notebook runs on this CPU; fails if any is oneDNN's reference kernel.",
            discussion: """
                Runs fused and layer-by-layer forward passes, every attribution method, class visualisation and deep dream \
                on each model, then lists every oneDNN primitive created with the implementation oneDNN chose. Exits with \
                status 1 when a convolution, matmul, inner product, eltwise, binary, pooling or reorder primitive runs \
                oneDNN's reference kernel. Set ONEDNN_MAX_CPU_ISA (SSE41, AVX2, AVX512_CORE, …) to audit the kernels \
                another CPU would get.
                """)

        @Option(help: "Audit only this model (repeatable): a store name or an architecture (seeded weights).")
        var model: [String] = []

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Flag(help: "List every primitive, not only the ones without a JIT kernel.")
        var all = false

        func run() throws {
            let report = try KernelAudit.run(models: model.isEmpty ? KernelAudit.standardModels : model) { message in
                if !json { FileHandle.standardError.write(Data("loupe: \(message)\n".utf8)) }
            }
            if json {
                try printJSON(report)
            } else {
                printTable(report)
            }
            if !report.references.isEmpty { throw ExitCode.failure }
        }

        private func printTable(_ report: KernelAudit.Report) {
            print(
                String(
                    format: "oneDNN on %@: %d primitives for %d model(s) × %d passes in %.1f s",
                    report.isa, report.kernels.count, report.models.count, report.passes.count, report.seconds))
            var byKind: [String: [String: Int]] = [:]
            for choice in report.kernels { byKind[choice.kind, default: [:]][choice.implementation, default: 0] += 1 }
            for kind in byKind.keys.sorted() {
                let implementations = (byKind[kind] ?? [:]).sorted { $0.value > $1.value }.map { "\($0.key) ×\($0.value)" }
                print("  " + kind.padding(toLength: 20, withPad: " ", startingAt: 0) + implementations.joined(separator: ", "))
            }
            let listed = all ? report.kernels : report.kernels.filter { $0.kernelClass != .jit || !$0.alternatives.isEmpty }
            if !listed.isEmpty {
                print(all ? "every primitive:" : "primitives without a JIT kernel, or whose layouts were changed to get one:")
                // The same kernel for the same operands, created under several cache keys, is listed once.
                var counts: [String: Int] = [:]
                var order: [KernelChoice] = []
                for choice in listed {
                    let line = "[\(choice.kernelClass)] \(choice)"
                    if counts[line] == nil { order.append(choice) }
                    counts[line, default: 0] += 1
                }
                for choice in order {
                    let line = "[\(choice.kernelClass)] \(choice)"
                    let count = counts[line] ?? 1
                    print("  " + line + (count > 1 ? " ×\(count)" : ""))
                }
            }
            let references = report.references
            print(references.isEmpty ? "reference kernels: none" : "reference kernels: \(references.count)")
        }
    }
}
