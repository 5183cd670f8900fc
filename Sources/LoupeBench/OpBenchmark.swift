import Foundation
import LoupeTensor

/// One convolution shape of the benchmark, with its measured throughput.
public struct ConvolutionCase: Codable, Sendable {
    /// Batch size.
    public var n: Int
    /// Input channels.
    public var c_in: Int
    /// Output channels.
    public var c_out: Int
    /// Input height, in pixels.
    public var h: Int
    /// Input width, in pixels.
    public var w: Int
    /// The side of the square kernel.
    public var k: Int
    /// The stride, the same in both directions.
    public var stride: Int
    /// Channel groups (the channel count for a depthwise convolution).
    public var groups: Int
    /// Zero padding on every side, in pixels.
    public var padding: Int
    /// The measured forward throughput in GFLOP/s; `nil` until measured.
    public var forward_gflops: Double?
    /// The measured throughput of the gradient with respect to the input, in GFLOP/s; `nil` until measured.
    public var backward_data_gflops: Double?

    /// An unmeasured case; `padding` defaults to `k / 2`.
    public init(n: Int, cIn: Int, cOut: Int, h: Int, w: Int, k: Int, stride: Int = 1, groups: Int = 1, padding: Int? = nil) {
        (self.n, self.c_in, self.c_out, self.h, self.w, self.k, self.stride, self.groups) = (n, cIn, cOut, h, w, k, stride, groups)
        self.padding = padding ?? k / 2
    }

    /// Multiply-adds × 2 of one call (the same count for forward and backward-data).
    public var flops: Double {
        let oh = (h + 2 * padding - k) / stride + 1, ow = (w + 2 * padding - k) / stride + 1
        return 2 * Double(n * c_out * oh * ow) * Double(c_in / groups * k * k)
    }

    /// A short name, as `n1 64→256 56×56 k1 s1` (with `g144` for grouped convolutions), which also tells cases apart.
    public var label: String {
        "n\(n) \(c_in)→\(c_out) \(h)×\(w) k\(k) s\(stride)" + (groups > 1 ? " g\(groups)" : "")
    }
}

/// The result of `loupe bench ops`.
public struct OpBenchmarkReport: Codable, Sendable {
    /// The machine's measured single-precision peak in GFLOP/s (``PeakThroughput/measure(threads:)``).
    public var peak_gflops: Double
    /// The instruction set of the peak measurement: `avx2+fma` or `sse`.
    public var peak_kernel: String
    /// The processors active during the run.
    public var threads: Int
    /// Median time of one tiny oneDNN op, the fixed cost every op pays.
    public var dispatch_microseconds: Double
    /// Every distinct case, measured, in the order run.
    public var convs: [ConvolutionCase]
    /// The instruction set and any kernel without a JIT implementation.
    public var kernels: KernelSummary?
}

/// Convolution throughput on the shapes that matter: every distinct convolution of
/// torchvision's ResNet-50 at 224×224 (batch 1 and 8) and EfficientNet-Lite's depthwise 3×3 and 5×5.
public enum OpBenchmark {
    /// The distinct convolutions of ResNet-50 (torchvision, stride on the 3×3) for one batch size.
    public static func resnet50(batch n: Int) -> [ConvolutionCase] {
        var cases = [ConvolutionCase(n: n, cIn: 3, cOut: 64, h: 224, w: 224, k: 7, stride: 2, padding: 3)]
        // (input channels of the stage, width, output channels, input size)
        let stages = [(64, 64, 256, 56), (256, 128, 512, 56), (512, 256, 1024, 28), (1024, 512, 2048, 14)]
        for (index, (cIn, width, cOut, size)) in stages.enumerated() {
            let stride = index == 0 ? 1 : 2
            let out = size / stride
            cases.append(ConvolutionCase(n: n, cIn: cIn, cOut: width, h: size, w: size, k: 1))  // first 1×1
            cases.append(ConvolutionCase(n: n, cIn: width, cOut: width, h: size, w: size, k: 3, stride: stride))  // first 3×3
            cases.append(ConvolutionCase(n: n, cIn: width, cOut: cOut, h: out, w: out, k: 1))  // expand 1×1
            cases.append(ConvolutionCase(n: n, cIn: cIn, cOut: cOut, h: size, w: size, k: 1, stride: stride))  // downsample
            cases.append(ConvolutionCase(n: n, cIn: cOut, cOut: width, h: out, w: out, k: 1))  // reduce 1×1
            if stride == 2 { cases.append(ConvolutionCase(n: n, cIn: width, cOut: width, h: out, w: out, k: 3)) }  // later 3×3
        }
        return cases
    }

    /// Depthwise convolutions from EfficientNet-Lite0 (3×3 and 5×5).
    public static func depthwise(batch n: Int) -> [ConvolutionCase] {
        [
            ConvolutionCase(n: n, cIn: 144, cOut: 144, h: 56, w: 56, k: 3, groups: 144),
            ConvolutionCase(n: n, cIn: 240, cOut: 240, h: 28, w: 28, k: 5, groups: 240),
            ConvolutionCase(n: n, cIn: 672, cOut: 672, h: 14, w: 14, k: 5, groups: 672),
        ]
    }

    /// ResNet-50's distinct convolutions and Lite0's depthwise ones, at batch 1 and then at batch 8.
    public static var standardCases: [ConvolutionCase] {
        [1, 8].flatMap { resnet50(batch: $0) + depthwise(batch: $0) }
    }

    /// `cases` without repeats (ResNet-50's first expand and downsample convolutions coincide).
    static func distinct(_ cases: [ConvolutionCase]) -> [ConvolutionCase] {
        var seen: Set<String> = []
        return cases.filter { seen.insert($0.label).inserted }
    }

    /// Measures every case; `progress` is called with each finished case.
    public static func run(
        cases: [ConvolutionCase] = standardCases, budget: Double = 0.3,
        progress: (ConvolutionCase) -> Void = { _ in }
    ) throws -> OpBenchmarkReport {
        let peak = PeakThroughput.measure()
        var rng = SystemRandomNumberGenerator()
        let tiny = try Tensor.randomNormal([1, 8, 4, 4], using: &rng)
        let dispatch = try Timing.median(warmup: 20, minimumRepetitions: 200, budget: 0.2) { _ = try tiny.relu() }
        var measured: [ConvolutionCase] = []
        for var c in distinct(cases) {
            let x = try activation([c.n, c.c_in, c.h, c.w], using: &rng)
            let weight = try Tensor.randomNormal([c.c_out, c.c_in / c.groups, c.k, c.k], standardDeviation: 0.05, using: &rng)
            let padding = Padding2D.symmetric(c.padding, c.padding)
            let forward = try GradMode.withoutGrad {
                try Timing.median(budget: budget) {
                    _ = try x.conv2d(weight: weight, stride: (c.stride, c.stride), padding: padding, groups: c.groups)
                }
            }
            let tracked = x.requiringGrad()
            let y = try tracked.conv2d(weight: weight, stride: (c.stride, c.stride), padding: padding, groups: c.groups)
            // The gradient from the layer above arrives in the output's layout, as in a real backward pass.
            let seed = try GradMode.withoutGrad { try y.detached() * 0 + Tensor.randomNormal(y.shape, using: &rng) }
            let backward = try Timing.median(budget: budget) { _ = try grad(of: y, wrt: [tracked], seed: seed) }
            c.forward_gflops = c.flops / forward / 1e9
            c.backward_data_gflops = c.flops / backward / 1e9
            progress(c)
            measured.append(c)
        }
        return OpBenchmarkReport(
            peak_gflops: peak, peak_kernel: PeakThroughput.usesAVX2 ? "avx2+fma" : "sse",
            threads: ProcessInfo.processInfo.activeProcessorCount,
            dispatch_microseconds: dispatch * 1e6, convs: measured)
    }

    /// A random activation in the memory layout a preceding convolution leaves it in, as inside
    /// a network (an RGB image, three channels, stays plain as a real input does).
    static func activation(_ shape: [Int], using rng: inout some RandomNumberGenerator) throws -> Tensor {
        let plain = try Tensor.randomNormal(shape, using: &rng)
        guard shape[1] > 3 else { return plain }
        let c = shape[1]
        let identity = try Tensor(shape: [c, c, 1, 1], scalars: (0..<c * c).map { $0 / c == $0 % c ? 1 : 0 })
        return try GradMode.withoutGrad { try plain.conv2d(weight: identity) }
    }
}
