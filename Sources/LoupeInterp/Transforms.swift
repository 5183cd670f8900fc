import Foundation
import LoupeTensor

/// A random, differentiable change to a picture before the model sees it: the robustness
/// transforms of feature visualisation (Lucid/Lucent's `transform.py`).
///
/// Optimising through them keeps the image from relying on pixel-exact high-frequency patterns.
///
/// Each transform maps a `[1, 3, H, W]` picture in 0…1 to another (possibly of another size)
/// and draws its randomness from the generator it is given, so a seed reproduces a run.
public enum ImageTransform: Sendable, Equatable, CustomStringConvertible {
    /// A border of `pixels` on every side filled with `value` (Lucent's `pad(w, "constant")`).
    case pad(pixels: Int, value: Float)
    /// A random crop `pixels` smaller in each direction, at an offset drawn uniformly from
    /// `0…pixels` (Lucid's `jitter`): the picture shifts by up to `pixels`.
    case jitter(pixels: Int)
    /// Scaling about the centre by a factor drawn from `factors`, keeping the size; uncovered
    /// borders take `fill` (Lucent's `random_scale`).
    case randomScale(factors: [Float], fill: Float)
    /// Rotation about the centre by an angle in degrees drawn from `degrees`; uncovered corners
    /// take `fill` (Lucent's `random_rotate`).
    case randomRotation(degrees: [Float], fill: Float)
    /// The central `side`×`side` pixels: ends the chain for a model that reads one input size
    /// only, when padding and jitter leave the picture larger.
    case centerCrop(side: Int)

    /// Lucent's `standard_transforms`: pad 12 (grey), jitter 8, scale by 0.9…1.1 in steps of
    /// 0.02, rotate by −10…10° (0° five times more often), jitter 4.
    public static let standard = pipeline(jitter: 8, scale: 0.1, rotate: 10)

    /// The Lucent-style chain for the given strengths; an empty array when all are zero.
    ///
    /// `jitter > 0` pads by `jitter + jitter/2` (grey), jitters by `jitter` first and by
    /// `jitter/2` last; `scale > 0` draws factors `1 − scale…1 + scale` in 11 even steps;
    /// `rotate > 0` draws whole degrees `−rotate…rotate`, with 0° five extra times.
    public static func pipeline(jitter: Int, scale: Float, rotate: Int) -> [ImageTransform] {
        var chain: [ImageTransform] = []
        let grey: Float = 0.5
        if jitter > 0 { chain += [.pad(pixels: jitter + jitter / 2, value: grey), .jitter(pixels: jitter)] }
        if scale > 0 { chain.append(.randomScale(factors: (0...10).map { 1 + scale * Float($0 - 5) / 5 }, fill: grey)) }
        if rotate > 0 {
            chain.append(.randomRotation(degrees: (-rotate...rotate).map(Float.init) + Array(repeating: 0, count: 5), fill: grey))
        }
        if jitter / 2 > 0 { chain.append(.jitter(pixels: jitter / 2)) }
        return chain
    }

    /// The transformed picture.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when a crop would leave nothing or a list
    ///   to draw from is empty; tensor errors for a picture that is not `[N, C, H, W]`.
    public func apply(_ image: Tensor, using generator: inout some RandomNumberGenerator) throws -> Tensor {
        guard image.rank == 4 else {
            throw InterpError.invalidParameter("transforms take a [N, C, H, W] picture, got \(image.shape)")
        }
        let (height, width) = (image.shape[2], image.shape[3])
        switch self {
        case let .pad(pixels, value):
            return try image.padded(pixels, value: value)
        case let .jitter(pixels):
            guard pixels >= 0, pixels < Swift.min(height, width) else {
                throw InterpError.invalidParameter("jitter \(pixels) must be between 0 and the picture's size \(width)×\(height) minus 1")
            }
            let dy = Int.random(in: 0...pixels, using: &generator), dx = Int.random(in: 0...pixels, using: &generator)
            return try image.slice(axis: 2, dy..<(dy + height - pixels)).slice(axis: 3, dx..<(dx + width - pixels))
        case let .randomScale(factors, fill):
            let factor = try Self.draw(factors, "scale factors", using: &generator)
            guard factor > 0 else { throw InterpError.invalidParameter("scale factor \(factor) must be positive") }
            return try image.warped(degrees: 0, scale: factor, fill: fill)
        case let .randomRotation(degrees, fill):
            return try image.warped(degrees: try Self.draw(degrees, "rotation angles", using: &generator), scale: 1, fill: fill)
        case let .centerCrop(side):
            guard side > 0, side <= Swift.min(height, width) else {
                throw InterpError.invalidParameter("a centre crop of \(side) needs a picture at least that large, got \(width)×\(height)")
            }
            let (top, left) = ((height - side) / 2, (width - side) / 2)
            return try image.slice(axis: 2, top..<(top + side)).slice(axis: 3, left..<(left + side))
        }
    }

    private static func draw(_ values: [Float], _ what: String, using generator: inout some RandomNumberGenerator) throws -> Float {
        guard !values.isEmpty else { throw InterpError.invalidParameter("no \(what) to draw from") }
        return values[Int.random(in: 0..<values.count, using: &generator)]
    }

    /// A short name for captions, as `jitter 8`, `scale 0.90…1.10` or `rotate -10…10°`.
    public var description: String {
        switch self {
        case let .pad(pixels, _): "pad \(pixels)"
        case let .jitter(pixels): "jitter \(pixels)"
        case let .randomScale(factors, _): "scale " + String(format: "%.2f…%.2f", factors.min() ?? 1, factors.max() ?? 1)
        case let .randomRotation(degrees, _): "rotate \(Int(degrees.min() ?? 0))…\(Int(degrees.max() ?? 0))°"
        case let .centerCrop(side): "centre crop \(side)"
        }
    }
}

extension Tensor {
    /// `pixels` of `value` added on every side of a `[N, C, H, W]` tensor (differentiable).
    func padded(_ pixels: Int, value: Float) throws -> Tensor {
        guard pixels > 0 else { return self }
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let side = try Tensor.full([n, c, h, pixels], value: value)
        let middle = try Tensor.concatenate([side, self, side], axis: 3)
        let band = try Tensor.full([n, c, pixels, w + 2 * pixels], value: value)
        return try Tensor.concatenate([band, middle, band], axis: 2)
    }

    /// Rotated by `degrees` and scaled by `scale` about the centre, same size, uncovered
    /// pixels set to `fill`; bilinear and differentiable.
    func warped(degrees: Float, scale: Float, fill: Float) throws -> Tensor {
        if degrees == 0, scale == 1 { return self }
        let (h, w) = (shape[2], shape[3])
        let map = AffineMap2D.rotationAndScale(degrees: degrees, scale: scale, centerX: Float(w - 1) / 2, centerY: Float(h - 1) / 2)
        // Zeros outside the picture, shifted so that they become `fill`.
        return try ((self - fill).affineResampled(map, height: h, width: w)) + fill
    }
}

/// Regularisers of feature visualisation that are not transforms.
public enum ImageRegularizer {
    /// The anisotropic total variation of a `[N, C, H, W]` picture, per pixel:
    /// `(Σ|x[y+1, x] − x[y, x]| + Σ|x[y, x+1] − x[y, x]|) / (N·H·W)`, differentiable
    /// (Mahendran & Vedaldi 2015, with β = 1).
    ///
    /// A noisy picture in 0…1 scores about 1, a smooth one near 0.
    public static func totalVariation(_ image: Tensor) throws -> Tensor {
        guard image.rank == 4, image.shape[2] > 1, image.shape[3] > 1 else {
            throw InterpError.invalidParameter("total variation needs a [N, C, H, W] picture of at least 2×2, got \(image.shape)")
        }
        let (h, w) = (image.shape[2], image.shape[3])
        let vertical = try (image.slice(axis: 2, 1..<h) - image.slice(axis: 2, 0..<(h - 1))).abs().sum()
        let horizontal = try (image.slice(axis: 3, 1..<w) - image.slice(axis: 3, 0..<(w - 1))).abs().sum()
        return try (vertical + horizontal) * (1 / Float(image.shape[0] * h * w))
    }

    /// Each `[H, W]` plane of a `[N, C, H, W]` tensor blurred by a Gaussian of standard deviation
    /// `sigma` pixels (separable, truncated at 3σ, edges repeated); not differentiable.
    ///
    /// Used every few steps on pixel parameters (Yosinski et al. 2015).
    public static func gaussianBlur(_ tensor: Tensor, sigma: Float) throws -> Tensor {
        guard tensor.rank == 4 else {
            throw InterpError.invalidParameter("blur takes a [N, C, H, W] tensor, got \(tensor.shape)")
        }
        guard sigma > 0 else { return tensor }
        let radius = Swift.max(1, Int((3 * sigma).rounded(.up)))
        var kernel = (-radius...radius).map { d in Foundation.exp(-Float(d * d) / (2 * sigma * sigma)) }
        let total = kernel.reduce(0, +)
        kernel = kernel.map { $0 / total }
        let (planes, h, w) = (tensor.shape[0] * tensor.shape[1], tensor.shape[2], tensor.shape[3])
        var values = try tensor.scalars
        var row = [Float](repeating: 0, count: Swift.max(h, w))
        for p in 0..<planes {
            let base = p * h * w
            for y in 0..<h {
                for x in 0..<w {
                    var sum: Float = 0
                    for (i, k) in kernel.enumerated() { sum += k * values[base + y * w + Swift.min(Swift.max(x + i - radius, 0), w - 1)] }
                    row[x] = sum
                }
                for x in 0..<w { values[base + y * w + x] = row[x] }
            }
            for x in 0..<w {
                for y in 0..<h {
                    var sum: Float = 0
                    for (i, k) in kernel.enumerated() { sum += k * values[base + Swift.min(Swift.max(y + i - radius, 0), h - 1) * w + x] }
                    row[y] = sum
                }
                for y in 0..<h { values[base + y * w + x] = row[y] }
            }
        }
        return try Tensor(shape: tensor.shape, scalars: values)
    }
}
