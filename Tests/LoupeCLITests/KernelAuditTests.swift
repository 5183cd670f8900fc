import Foundation
import Testing

/// `loupe bench kernels` under each instruction set oneDNN can be limited to.
///
/// The passes the lecture and the attribution notebook make on Lite0 (real weights) and
/// ResNet-18 (seeded) must not run oneDNN's reference kernel for any convolution, matmul,
/// eltwise, binary, pooling or reorder. On AVX2, before the layouts were retried, the stem's
/// input gradient did (`ref:any` convolution backward-data from 8-channel blocks into a plain
/// 3-channel image, 380 ms a call).
@Suite struct KernelAuditTests {
    /// The instruction sets to emulate: SSE4.1 and AVX2 always, AVX-512 where the CPU has it.
    static let instructionSets: [String] = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy { cpuinfo.contains(" \($0)") }
        return ["SSE41", "AVX2"] + (avx512 ? ["AVX512_CORE"] : [])
    }()

    struct Choice: Decodable {
        let kind: String
        let implementation: String
        let signature: String
    }

    struct Report: Decodable {
        let isa: String
        let passes: [String]
        let kernels: [Choice]
        let references: [Choice]
    }

    @Test(arguments: instructionSets)
    func noPassRunsAReferenceKernel(isa: String) throws {
        let run = try runLoupe(
            ["bench", "kernels", "--json"], home: AttributeCommandTests.home,
            environment: ["ONEDNN_MAX_CPU_ISA": isa])
        let report = try JSONDecoder().decode(Report.self, from: Data(run.output.utf8))
        // The limit took effect: oneDNN generated kernels for the instruction set asked for.
        #expect(report.isa == isa.lowercased())
        #expect(report.passes.count >= 15)
        let kinds = Set(report.kernels.map(\.kind))
        for kind in [
            "conv_fwd", "conv_fwd_training", "conv_bwd_data", "eltwise_fwd", "eltwise_bwd", "binary", "pool_fwd", "pool_bwd", "matmul",
            "reorder",
        ] {
            #expect(kinds.contains(kind), "no \(kind) primitive was created under \(isa)")
        }
        // Checked here from the implementation names, not only from the command's own verdict.
        let references = report.kernels.filter { choice in
            choice.implementation.hasPrefix("ref")
                && ["conv", "matmul", "inner_product", "eltwise", "binary", "pool", "reorder"].contains { choice.kind.hasPrefix($0) }
        }
        #expect(
            references.isEmpty, "reference kernels under \(isa): \(references.map { "\($0.kind) \($0.implementation) \($0.signature)" })")
        #expect(report.references.isEmpty)
        #expect(run.status == 0, "\(run.errors.suffix(2000))")
    }
}
