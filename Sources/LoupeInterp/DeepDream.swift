import LoupeImage
import LoupeModels
import LoupeTensor

/// How deep dream runs.
///
/// The defaults follow the classic implementation (Mordvintsev et al. 2015, Google's
/// `deepdream.ipynb`): 4 octaves 1.4 apart, 10 steps each, normalised gradient steps of 0.02 in
/// the model's normalised input units (the lecture's step).
public struct DeepDreamSettings: Sendable, Equatable {
    /// Scales the image is dreamed at, smallest first; 1 is the lecture's single scale.
    public var octaves = 4
    /// The size ratio between consecutive octaves.
    public var octaveScale: Float = 1.4
    /// Gradient steps per octave.
    public var steps = 10
    /// Each step adds `stepSize · g / mean|g|` to the normalised input.
    public var stepSize: Float = 0.02
    /// Before each step the image is rolled by up to this many pixels in each direction (and
    /// rolled back after), drawn from the seed; 0 turns it off.
    public var jitter = 0
    /// Seeds the jitter.
    public var seed: UInt64 = 0

    /// The classic settings.
    public init() {}
}

/// The result of deep dream.
public struct DeepDreamResult: Sendable {
    /// The dreamed picture at the input's size.
    public let image: RGBImage
    /// The layer whose activations were amplified.
    public let layer: String
    /// `‖activation‖₂` before each step, octave after octave (smallest first).
    public let norms: [Float]
    /// The octave (0 = smallest) of each entry of ``norms``.
    public let octaveOfStep: [Int]
    /// Each octave's height and width, smallest first.
    public let octaveSizes: [[Int]]
    /// The norm on the original picture and on the dreamed one, both at full size.
    public let startNorm: Float, finalNorm: Float
    /// How it ran.
    public let settings: DeepDreamSettings
}

extension Model {
    /// Deep dream (Mordvintsev, Olah & Tyka 2015): gradient ascent on the L2 norm of `layer`'s
    /// activations, starting from a real picture.
    ///
    /// The picture (what the model sees, in 0…1) is normalised as the model does and shrunk
    /// into ``DeepDreamSettings/octaves`` scales, each `octaveScale` smaller than the last. From
    /// the smallest up, each octave adds the detail dreamed so far (upsampled bilinearly) to
    /// its shrunk original and takes ``DeepDreamSettings/steps`` steps of
    /// `x ← x + step · g / (mean|g| + 1e-8)`, `g = ∇‖activation‖₂` (the lecture's step), each
    /// optionally under a seeded roll, and clamped to the valid pixel range. The model runs only
    /// up to `layer`.
    ///
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)`` with the nearest layer
    ///   names; ``InterpError/invalidParameter(_:)`` for settings out of range or octaves that
    ///   would shrink the picture below 16 pixels.
    public func deepDream(_ picture: RGBImage, layer: String, settings: DeepDreamSettings = DeepDreamSettings()) throws -> DeepDreamResult {
        _ = try self.layer(named: layer)
        guard settings.octaves >= 1, settings.octaveScale > 1, settings.octaveScale.isFinite, settings.steps >= 0,
            settings.stepSize >= 0, settings.stepSize.isFinite, settings.jitter >= 0
        else {
            throw InterpError.invalidParameter("deep dream needs octaves ≥ 1, octave scale > 1, steps ≥ 0, step ≥ 0 and jitter ≥ 0")
        }
        let (height, width) = (picture.height, picture.width)
        var sizes: [(height: Int, width: Int)] = [(height, width)]
        for _ in 1..<settings.octaves {
            let last = sizes[sizes.count - 1]
            sizes.append(
                (Int((Float(last.height) / settings.octaveScale).rounded()), Int((Float(last.width) / settings.octaveScale).rounded())))
        }
        sizes.reverse()
        guard let smallest = sizes.first, Swift.min(smallest.height, smallest.width) >= 16 else {
            throw InterpError.invalidParameter(
                "\(settings.octaves) octaves \(settings.octaveScale) apart shrink the \(width)×\(height) picture below 16 pixels; use fewer octaves"
            )
        }
        guard settings.jitter < Swift.min(smallest.height, smallest.width) else {
            throw InterpError.invalidParameter(
                "jitter \(settings.jitter) must be smaller than the smallest octave, \(smallest.width)×\(smallest.height)")
        }

        let original = try picture.tensor(mean: preprocessing.mean, std: preprocessing.std)
        let full = try original.scalars
        let ranges = (0..<3).map { c in
            let (low, high) = ((0 - preprocessing.mean[c]) / preprocessing.std[c], (1 - preprocessing.mean[c]) / preprocessing.std[c])
            return Swift.min(low, high)...Swift.max(low, high)
        }
        let probe = try ForwardProbe(model: self, layers: [layer], needsLogits: false, sample: original)
        func norm(_ input: Tensor) throws -> Tensor {
            guard let activation = try probe.run(input).activations[layer] else {
                throw InterpError.internalError("layer '\(layer)' produced no output")
            }
            return try activation.square().sum().sqrt()
        }
        let startNorm = try GradMode.withoutGrad { try norm(original).item }

        var generator = SplitMix64(seed: settings.seed)
        var norms: [Float] = [], octaveOfStep: [Int] = []
        var detail: [Float] = []
        var previous = sizes[0]
        var dreamed = full
        for (octave, size) in sizes.enumerated() {
            let base = DreamPlanes.resized(full, from: (height, width), to: size)
            detail = octave == 0 ? [Float](repeating: 0, count: base.count) : DreamPlanes.resized(detail, from: previous, to: size)
            var x = zip(base, detail).map { $0 + $1 }
            for _ in 0..<settings.steps {
                let dy = settings.jitter > 0 ? Int.random(in: -settings.jitter...settings.jitter, using: &generator) : 0
                let dx = settings.jitter > 0 ? Int.random(in: -settings.jitter...settings.jitter, using: &generator) : 0
                let rolled = DreamPlanes.rolled(x, size: size, dy: dy, dx: dx)
                let (value, gradient) = try Engine.run { () throws -> (Float, [Float]) in
                    let input = try Tensor(shape: [1, 3, size.height, size.width], scalars: rolled).requiringGrad()
                    let n = try norm(input)
                    return (try n.item, try grad(of: n, wrt: [input])[0].scalars)
                }
                norms.append(value)
                octaveOfStep.append(octave)
                let g = DreamPlanes.rolled(gradient, size: size, dy: -dy, dx: -dx)
                let meanMagnitude = g.reduce(0) { $0 + Swift.abs($1) } / Float(g.count)
                let scale = settings.stepSize / (meanMagnitude + 1e-8)
                let plane = size.height * size.width
                for i in x.indices {
                    let range = ranges[i / plane]
                    x[i] = Swift.min(Swift.max(x[i] + scale * g[i], range.lowerBound), range.upperBound)
                }
            }
            detail = zip(x, base).map { $0 - $1 }
            previous = size
            dreamed = x
        }

        let result = try Tensor(shape: [1, 3, height, width], scalars: dreamed)
        let finalNorm = try GradMode.withoutGrad { try norm(result).item }
        let rgb =
            try result * (try Tensor(shape: [1, 3, 1, 1], scalars: preprocessing.std))
            + (try Tensor(shape: [1, 3, 1, 1], scalars: preprocessing.mean))
        return DeepDreamResult(
            image: try RGBImage(tensor: rgb), layer: layer, norms: norms, octaveOfStep: octaveOfStep,
            octaveSizes: sizes.map { [$0.height, $0.width] }, startNorm: startNorm, finalNorm: finalNorm, settings: settings)
    }
}

/// Plain-Swift helpers on three row-major planes (`[3, H, W]` as one array).
enum DreamPlanes {
    /// Each plane resized bilinearly (PyTorch's `align_corners=False`, no antialiasing).
    static func resized(_ values: [Float], from source: (height: Int, width: Int), to target: (height: Int, width: Int)) -> [Float] {
        if source == target { return values }
        let plane = source.height * source.width
        return (0..<3).flatMap { c in
            Resampling.bilinear(Array(values[(c * plane)..<((c + 1) * plane)]), from: source, to: target)
        }
    }

    /// Each plane rolled circularly: the value at `(y, x)` moves to `(y + dy, x + dx)`, as `torch.roll`.
    static func rolled(_ values: [Float], size: (height: Int, width: Int), dy: Int, dx: Int) -> [Float] {
        if dy == 0, dx == 0 { return values }
        let (h, w) = size
        var out = [Float](repeating: 0, count: values.count)
        for c in 0..<3 {
            for y in 0..<h {
                let ty = ((y + dy) % h + h) % h
                for x in 0..<w {
                    out[c * h * w + ty * w + ((x + dx) % w + w) % w] = values[c * h * w + y * w + x]
                }
            }
        }
        return out
    }
}
