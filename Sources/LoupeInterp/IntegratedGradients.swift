import Foundation
import LoupeImage
import LoupeTensor

/// How Integrated Gradients approximates its path integral; the names and formulas are
/// Captum's (`approximation_methods.py`).
public enum IntegrationRule: String, Sendable, CaseIterable {
    case gaussLegendre = "gausslegendre"
    case riemannRight = "riemann_right"
    case riemannLeft = "riemann_left"
    case riemannMiddle = "riemann_middle"
    case riemannTrapezoid = "riemann_trapezoid"

    /// The points `α` along the path and their weights, for `steps` evaluations.
    public func nodes(_ steps: Int) -> (alphas: [Double], weights: [Double]) {
        let n = Double(steps)
        switch self {
        case .gaussLegendre:
            let (x, w) = Self.gaussLegendre(steps)
            return (x.map { 0.5 * ($0 + 1) }, w.map { 0.5 * $0 })
        case .riemannRight:
            return ((1...steps).map { Double($0) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannLeft:
            return ((0..<steps).map { Double($0) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannMiddle:
            return ((0..<steps).map { (Double($0) + 0.5) / n }, Array(repeating: 1 / n, count: steps))
        case .riemannTrapezoid:
            // Captum's weights: 1/n each, the two ends halved (they sum to (n − 1)/n, not 1),
            // at alphas linspace(0, 1, n).
            guard steps > 1 else { return ([0.5], [0.5]) }
            var weights = Array(repeating: 1 / n, count: steps)
            weights[0] /= 2
            weights[steps - 1] /= 2
            return ((0..<steps).map { Double($0) / (n - 1) }, weights)
        }
    }

    /// Gauss–Legendre nodes on [−1, 1] (ascending) and weights: Newton's method on the
    /// Legendre polynomial from Chebyshev starting points, in double precision.
    static func gaussLegendre(_ n: Int) -> (nodes: [Double], weights: [Double]) {
        guard n > 0 else { return ([], []) }
        var nodes = [Double](repeating: 0, count: n), weights = [Double](repeating: 0, count: n)
        for i in 0..<n {
            var x = cos(Double.pi * (Double(i) + 0.75) / (Double(n) + 0.5))
            var slope = 1.0
            for _ in 0..<100 {
                // P(n-1) and P(n) at x by the three-term recurrence.
                var previous = 1.0, current = x
                for k in stride(from: 2, through: n, by: 1) {
                    let next = ((2 * Double(k) - 1) * x * current - (Double(k) - 1) * previous) / Double(k)
                    previous = current
                    current = next
                }
                slope = Double(n) * (x * current - previous) / (x * x - 1)
                let step = current / slope
                x -= step
                if abs(step) < 1e-15 { break }
            }
            nodes[n - 1 - i] = x
            weights[n - 1 - i] = 2 / ((1 - x * x) * slope * slope)
        }
        return (nodes, weights)
    }
}

/// The reference input Integrated Gradients starts from.
public enum Baseline: String, Sendable, CaseIterable {
    /// An all-black image (Loupe's default), normalised like the input.
    case black
    /// The photo blurred with a Gaussian of σ = 10 % of its shorter side.
    case blur
    /// Uniform random pixels (seeded).
    case noise
    /// The all-zero input in the model's normalised units: Captum's default baseline, which is
    /// the image of the normalisation's mean colour (mid-grey for Lite0's `(x − 127) / 128`).
    case zero
}

extension Attributor {
    /// Integrated Gradients, as Captum's `IntegratedGradients`: `(x − b) · Σ wᵢ ∇f(b + αᵢ (x − b))`.
    ///
    /// From Sundararajan et al. 2017, <https://arxiv.org/abs/1703.01365>.
    ///
    /// - Parameters:
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - baseline: `[1, 3, H, W]`, normalised (see ``baselineTensor(_:for:seed:)``).
    ///   - baselineName: How the caption names the baseline (`black`, `blur`, …).
    ///   - target: What is explained.
    ///   - steps: Points on the path (Captum's `n_steps`, default 50).
    ///   - rule: The quadrature rule that places and weighs the points (Captum's `method`).
    ///   - batchSize: Points evaluated per forward and backward pass. Captum evaluates all
    ///     `steps` in one batch; the result is the same sum, but a batch of 50 Lite0 inputs
    ///     keeps 4 GB of activations for the backward pass and is slower per image than
    ///     batches of 8 (`loupe bench models --batch`), so Loupe's default is 8.
    /// - Returns: The signed map, `[1, 3, H, W]` like the input.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for `steps` outside 1…4096 or a baseline
    ///   whose shape differs from the input's; the model's errors.
    public func integratedGradients(
        _ input: Tensor, baseline: Tensor, baselineName: String = "black", target: ResolvedTarget, steps: Int = 50,
        rule: IntegrationRule = .gaussLegendre, batchSize: Int = 8
    ) throws -> Attribution {
        guard steps >= 1, steps <= 4096 else { throw InterpError.invalidParameter("steps must be 1…4096, found \(steps)") }
        guard baseline.shape == input.shape else {
            throw InterpError.invalidParameter("the baseline has shape \(baseline.shape), the input \(input.shape)")
        }
        let (alphas, weights) = rule.nodes(steps)
        let x = try input.scalars, b = try baseline.scalars
        let difference = zip(x, b).map { $0 - $1 }
        let plane = x.count
        var total = [Double](repeating: 0, count: plane)
        var start = 0
        while start < steps {
            let end = Swift.min(steps, start + Swift.max(1, batchSize))
            var points = [Float](repeating: 0, count: (end - start) * plane)
            for (row, alpha) in alphas[start..<end].enumerated() {
                let a = Float(alpha)
                for i in 0..<plane { points[row * plane + i] = b[i] + a * difference[i] }
            }
            var shape = input.shape
            shape[0] = end - start
            let gradients = try objective(try Tensor(shape: shape, scalars: points), target: target, gradient: true).gradient?.scalars ?? []
            for (row, weight) in weights[start..<end].enumerated() {
                for i in 0..<plane { total[i] += weight * Double(gradients[row * plane + i]) }
            }
            start = end
        }
        let values = (0..<plane).map { Float(total[$0]) * difference[$0] }
        let ruleName = rule == .gaussLegendre ? "Gauss–Legendre" : rule.rawValue.replacingOccurrences(of: "_", with: " ")
        return Attribution(
            values: values, shape: input.shape,
            method: "Integrated Gradients, \(steps) \(ruleName) steps from a \(baselineName) baseline", target: target, isSigned: true)
    }

    /// A baseline for `image` (the pixels the model sees, already resized), normalised with
    /// the model's preprocessing.
    public func baselineTensor(_ kind: Baseline, for image: RGBImage, seed: UInt64 = 0) throws -> Tensor {
        let p = model.preprocessing
        switch kind {
        case .black:
            return try RGBImage(width: image.width, height: image.height, pixels: [UInt8](repeating: 0, count: image.pixels.count))
                .tensor(mean: p.mean, std: p.std)
        case .noise:
            var generator = SplitMix64(seed: seed)
            let pixels = (0..<image.pixels.count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            return try RGBImage(width: image.width, height: image.height, pixels: pixels).tensor(mean: p.mean, std: p.std)
        case .blur:
            let sigma = Float(Swift.min(image.width, image.height)) * 0.1
            return try Self.gaussianBlur(image, sigma: sigma).tensor(mean: p.mean, std: p.std)
        case .zero:
            return try Tensor.zeros([1, 3, image.height, image.width])
        }
    }

    /// A separable Gaussian blur with edge replication.
    static func gaussianBlur(_ image: RGBImage, sigma: Float) throws -> RGBImage {
        let radius = Swift.max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { Foundation.exp(-Float($0 * $0) / (2 * sigma * sigma)) }
        let sum = kernel.reduce(0, +)
        kernel = kernel.map { $0 / sum }
        let (w, h) = (image.width, image.height)
        var source = image.pixels.map(Float.init)
        var buffer = source
        for pass in 0..<2 {
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<3 {
                        var acc: Float = 0
                        for (k, weight) in kernel.enumerated() {
                            let offset = k - radius
                            let sx = pass == 0 ? Swift.min(Swift.max(x + offset, 0), w - 1) : x
                            let sy = pass == 1 ? Swift.min(Swift.max(y + offset, 0), h - 1) : y
                            acc += weight * source[(sy * w + sx) * 3 + c]
                        }
                        buffer[(y * w + x) * 3 + c] = acc
                    }
                }
            }
            swap(&source, &buffer)
        }
        return try RGBImage(width: w, height: h, pixels: source.map { UInt8(Swift.min(255, Swift.max(0, $0.rounded()))) })
    }
}
