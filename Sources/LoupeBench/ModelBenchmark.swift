import Foundation
import LoupeModels
import LoupeTensor

/// Forward and input-gradient times of whole networks (batch 1 unless asked), and the process's
/// peak memory.
///
/// Run one model per process when comparing peak memory: the peak is the process's high-water
/// mark (`ru_maxrss`).
public enum ModelBenchmark {
    /// One network's measurements.
    public struct Result: Codable, Sendable {
        /// The model measured, as named (a store model or an architecture).
        public var model: String
        /// `pretrained` for a store model, `random` for an architecture with seeded random weights.
        public var weights: String
        /// Images per pass.
        public var batch: Int
        /// Median of forward passes without gradient recording (the whole batch).
        public var forward_ms: Double
        /// Median of a forward pass recording the tape plus the gradient of the top logit with
        /// respect to the input (what a saliency map costs).
        public var input_gradient_ms: Double
        /// The process's peak resident memory after the measurements.
        public var peak_rss_mib: Double
    }

    /// The models `loupe bench models` measures by default.
    public static let standardModels = ["resnet50", "resnet18", "efficientnet-lite0"]

    /// Measures `name`: a store model (real weights) or an architecture (seeded random weights).
    public static func run(_ name: String, batch: Int = 1, budget: Double = 2, progress: (String) -> Void = { _ in }) throws -> Result {
        let model: Model
        let weights: String
        if (try? ModelStore.entry(named: name)) != nil {
            model = try Model(named: name, progress: progress)
            weights = "pretrained"
        } else {
            model = Model(architecture: try Architecture(named: name))
            try model.load(randomWeights(for: model))
            weights = "random"
        }
        var rng = SplitMix64(seed: 0)
        let size = model.preprocessing.size
        let input = try Tensor.randomNormal([max(1, batch), 3, size, size], using: &rng)
        let forward = try GradMode.withoutGrad {
            try Timing.median(warmup: 2, minimumRepetitions: 5, budget: budget) { _ = try model(input) }
        }
        let gradient = try Timing.median(warmup: 2, minimumRepetitions: 5, budget: budget) {
            let x = input.requiringGrad()
            let logits = try model(x)
            // Each image's top logit; their sum's gradient is every image's own input gradient.
            let tops = try logits.detached().argmax(axis: 1)
            var objective = try logits[0][tops[0]]
            for row in 1..<max(1, batch) { objective = try objective + logits[row][tops[row]] }
            _ = try grad(of: objective, wrt: [x])
        }
        return Result(
            model: name, weights: weights, batch: max(1, batch), forward_ms: forward * 1e3, input_gradient_ms: gradient * 1e3,
            peak_rss_mib: peakResidentMiB())
    }

    /// Seeded weights of the right shapes, with unit variances for batch norm.
    static func randomWeights(for model: Model) throws -> StateDict {
        var rng = SplitMix64(seed: 1)
        var sd = StateDict()
        for (key, parameter) in model.network.namedParameters {
            let fanIn = parameter.shape.dropFirst().reduce(1, *)
            sd[key] =
                key.hasSuffix("running_var") || key.hasSuffix(".weight") && parameter.shape.count == 1
                ? try Tensor.full(parameter.shape, value: 1)
                : try Tensor.randomNormal(parameter.shape, standardDeviation: Float(1 / Double(max(fanIn, 1)).squareRoot()), using: &rng)
        }
        return sd
    }

    /// The process's peak resident set in MiB.
    public static func peakResidentMiB() -> Double {
        // VmHWM belongs to this process's address space. getrusage's ru_maxrss survives exec, so a
        // process started by a large one (a Python benchmark driver) would report its parent's peak.
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Double(line.split(separator: " ").dropFirst().first ?? "")
        {
            return kib / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
    }
}
