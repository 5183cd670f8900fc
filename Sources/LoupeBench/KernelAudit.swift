import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels
import LoupeTensor

/// Which oneDNN kernels the passes of the lecture and the attribution notebook run on this CPU.
///
/// oneDNN picks an implementation per primitive from the instruction set it may use
/// (`ONEDNN_MAX_CPU_ISA` limits it) and the memory layouts it is asked for, and falls back to
/// its reference kernel, silently and up to hundreds of times slower, when no JIT kernel fits.
/// The audit runs each kind of pass Loupe's methods make — fused forward at batch 1 and 8,
/// forward with every layer observed, every attribution method, a channel target, gradients
/// through unfused layers, class visualisation (pixel and Fourier), deep dream — on each model,
/// and reports every primitive created with the implementation oneDNN chose for it.
public enum KernelAudit {
    /// The primitive kinds whose reference kernels the audit counts as failures: the ones a
    /// network's passes spend their time in.
    public static let auditedKinds = ["conv", "matmul", "inner_product", "eltwise", "binary", "pool", "reorder"]

    /// The models audited by default: the store's default model (real weights) and ResNet-18
    /// (seeded weights).
    public static let standardModels = ["efficientnet-lite0", "resnet18"]

    /// What an audit found.
    public struct Report: Codable, Sendable {
        /// The instruction set oneDNN used (`avx2`, `avx512_core`, …).
        public var isa: String
        /// The models audited, as named (store names or architectures).
        public var models: [String]
        /// The passes run on each model, in order.
        public var passes: [String]
        /// Every primitive created, in order.
        public var kernels: [KernelChoice]
        /// The primitives of an audited kind that run oneDNN's reference kernel.
        public var references: [KernelChoice]
        /// The primitives that run a generic kernel (im2col + gemm, or a templated loop).
        public var generic: [KernelChoice]
        /// How long the audit took, in seconds.
        public var seconds: Double

        init(isa: String, models: [String], passes: [String], kernels: [KernelChoice], seconds: Double) {
            self.isa = isa
            self.models = models
            self.passes = passes
            self.kernels = kernels
            self.seconds = seconds
            references = kernels.filter { choice in
                choice.kernelClass == .reference && KernelAudit.auditedKinds.contains { choice.kind.hasPrefix($0) }
            }
            generic = kernels.filter { $0.kernelClass == .generic }
        }
    }

    /// Runs every pass on each of `models` (store names or architectures with seeded weights).
    public static func run(models: [String] = standardModels, progress: (String) -> Void = { _ in }) throws -> Report {
        let start = ProcessInfo.processInfo.systemUptime
        var passNames: [String] = []
        for name in models {
            let model = try loadModel(name, progress: progress)
            for pass in try passes(for: model) {
                progress("\(name): \(pass.name)")
                try pass.run()
                if !passNames.contains(pass.name) { passNames.append(pass.name) }
            }
        }
        return Report(
            isa: Engine.cpuISA, models: models, passes: passNames, kernels: try Engine.kernelChoices(),
            seconds: ProcessInfo.processInfo.systemUptime - start)
    }

    private static func loadModel(_ name: String, progress: (String) -> Void) throws -> Model {
        if (try? ModelStore.entry(named: name)) != nil { return try Model(named: name, progress: progress) }
        let model = Model(architecture: try Architecture(named: name))
        try model.load(ModelBenchmark.randomWeights(for: model))
        return model
    }

    private struct Pass {
        let name: String
        let run: () throws -> Void
    }

    /// The passes, on a seeded noise picture (kernels depend on shapes, not on pixels).
    private static func passes(for model: Model) throws -> [Pass] {
        let size = model.preprocessing.size
        var rng = SplitMix64(seed: 7)
        let pixels = (0..<(size * size * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let picture = try RGBImage(width: size, height: size, pixels: pixels)
        let input = try model.preprocessing.tensor(from: picture)
        let batch = try Tensor.concatenate(Array(repeating: input, count: 8), axis: 0)
        let camLayer = model.camLayer ?? model.architecture?.defaultCAMLayer ?? ""
        let everyLayer = Set(model.layerNames)
        let attributor = Attributor(model: model)
        let topClass = try model.resolve(.topClass, for: input)
        var settings = AttributionSettings()
        settings.steps = 8
        settings.samples = 2
        settings.window = size / 2
        settings.stride = size / 2

        var passes = [
            Pass(name: "forward, fused, batch 1") { _ = try GradMode.withoutGrad { try model(input) } },
            Pass(name: "forward, fused, batch 8") { _ = try GradMode.withoutGrad { try model(batch) } },
            Pass(name: "forward, every layer observed") {
                _ = try GradMode.withoutGrad { try model.forward(input, capturing: everyLayer) }
            },
            Pass(name: "input gradient, every layer observed") {
                let x = input.requiringGrad()
                let logits = try model(x, observing: everyLayer) { _, output in output }
                _ = try grad(of: logits, wrt: [x], seed: try Tensor.full(logits.shape, value: 1))
            },
        ]
        for method in AttributionMethod.allCases {
            passes.append(
                Pass(name: "attribution: \(method.rawValue)") {
                    _ = try attributor.attribute(method, input: input, seen: picture, target: topClass, settings: settings)
                })
        }
        passes.append(
            Pass(name: "attribution: saliency of a channel") {
                let channel = try model.resolve(.channel(layer: camLayer, channel: 0), for: input)
                _ = try attributor.attribute(.saliency, input: input, seen: picture, target: channel)
            })
        for parameterization in ImageParameterization.allCases {
            passes.append(
                Pass(name: "class visualisation, \(parameterization.rawValue)") {
                    var visualization = VisualizationSettings()
                    visualization.steps = 2
                    visualization.parameterization = parameterization
                    visualization.transforms = ImageTransform.standard
                    visualization.blurEvery = parameterization == .pixel ? 1 : 0
                    visualization.totalVariation = 1e-4
                    _ = try model.visualize(try .classLogit(topClass.classIndex ?? 0, model: model), settings: visualization)
                })
        }
        passes.append(
            Pass(name: "deep dream") {
                var dream = DeepDreamSettings()
                dream.octaves = 2
                dream.steps = 1
                dream.jitter = 4
                _ = try model.deepDream(picture, layer: camLayer, settings: dream)
            })
        return passes
    }
}

/// The instruction set and the kernels without a JIT implementation that a benchmark ran, so
/// that every `loupe bench` figure says what oneDNN fell back to, by name.
public struct KernelSummary: Codable, Sendable {
    /// The instruction set oneDNN used (`avx2`, `avx512_core`, …).
    public var isa: String
    /// Primitives of an audited kind on oneDNN's reference kernel, as `kind [implementation] operands`.
    public var reference: [String]
    /// Primitives on a generic kernel (im2col + gemm, templated loops).
    public var generic: [String]

    /// What this process has created so far.
    public static func current() throws -> KernelSummary {
        let choices = try Engine.kernelChoices()
        func distinct(_ list: [KernelChoice]) -> [String] {
            var seen = Set<String>()
            return list.map { "\($0.kind) [\($0.implementation)] \($0.signature)" }.filter { seen.insert($0).inserted }
        }
        let references = choices.filter { choice in
            choice.kernelClass == .reference && KernelAudit.auditedKinds.contains { choice.kind.hasPrefix($0) }
        }
        return KernelSummary(
            isa: Engine.cpuISA, reference: distinct(references), generic: distinct(choices.filter { $0.kernelClass == .generic }))
    }

    /// One paragraph for a benchmark's table.
    public var text: String {
        var lines = ["oneDNN isa \(isa); reference kernels: " + (reference.isEmpty ? "none" : "\(reference.count)")]
        lines += reference.map { "  reference: \($0)" }
        lines += generic.map { "  generic: \($0)" }
        return lines.joined(separator: "\n")
    }
}
