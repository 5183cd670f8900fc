import Foundation
import LoupeTensor

/// Deletion and insertion curves of one attribution map, with the same curves for a random
/// pixel order as the reference a map should beat.
///
/// The curves are RISE's (Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421). Each curve
/// holds the target class's softmax probability at ``fractions`` (0…1 of the pixels changed).
/// A faithful map makes the deletion curve fall fast (small area) and the insertion curve rise
/// fast (large area).
public struct DeletionCurves: Sendable, Equatable {
    /// The fraction of pixels deleted or inserted at each point, from 0 to 1.
    public let fractions: [Double]
    /// Most important pixels first, replaced by black: starts at the probability on the
    /// image, ends at the probability on a black image.
    public let deletion: [Double]
    /// Most important pixels first, put back into the blurred image: starts at the blurred
    /// image's probability, ends at the image's.
    public let insertion: [Double]
    /// Deletion in a seeded random order.
    public let randomDeletion: [Double]
    /// Insertion in the same random order.
    public let randomInsertion: [Double]

    /// The area under the deletion curve (lower is better).
    public var deletionArea: Double { Self.area(deletion, at: fractions) }
    /// The area under the insertion curve (higher is better).
    public var insertionArea: Double { Self.area(insertion, at: fractions) }
    /// The area under the random-order deletion curve.
    public var randomDeletionArea: Double { Self.area(randomDeletion, at: fractions) }
    /// The area under the random-order insertion curve.
    public var randomInsertionArea: Double { Self.area(randomInsertion, at: fractions) }

    /// The trapezoid rule: `Σ (xᵢ₊₁ − xᵢ)(yᵢ + yᵢ₊₁) / 2`.
    ///
    /// With equal steps over 0…1 this is RISE's `auc` (`(Σy − y₀/2 − yₙ/2) / n`). Zero for
    /// fewer than two points.
    public static func area(_ y: [Double], at x: [Double]) -> Double {
        var total = 0.0
        for i in stride(from: 0, to: Swift.min(x.count, y.count) - 1, by: 1) {
            total += (x[i + 1] - x[i]) * (y[i] + y[i + 1]) / 2
        }
        return total
    }
}

extension Attributor {
    /// RISE's insertion substrate: the input blurred by `gkern(klen=11, nsig=5)` — SciPy's
    /// `gaussian_filter` of an 11 × 11 impulse with σ = 5 (reflected at the kernel's border),
    /// applied per channel to the normalised input with zero padding, as RISE's
    /// `conv2d(x, kern, padding=5)`.
    public func riseBlur(_ input: Tensor) throws -> Tensor {
        let kernel = Self.riseKernel()
        let channels = input.shape[1]
        var weight = [Float]()
        for _ in 0..<channels { weight += kernel }
        let side = Self.riseKernelSize
        return try GradMode.withoutGrad {
            try input.detached().conv2d(
                weight: try Tensor(shape: [channels, 1, side, side], scalars: weight),
                padding: .symmetric(side / 2, side / 2), groups: channels)
        }
    }

    /// RISE's kernel length.
    static let riseKernelSize = 11

    /// The 11 × 11 kernel of RISE's `gkern(11, 5)`, row-major, summing to 1.
    static func riseKernel(size: Int = riseKernelSize, sigma: Double = 5) -> [Float] {
        // SciPy's gaussian_filter1d: radius int(4σ + 0.5), normalised taps, mode "reflect"
        // (d c b a | a b c d | d c b a), applied to an impulse at the centre.
        let radius = Int(4 * sigma + 0.5)
        let taps = (-radius...radius).map { Foundation.exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
        let sum = taps.reduce(0, +)
        let centre = size / 2
        var profile = [Double](repeating: 0, count: size)
        for i in 0..<size {
            for (k, tap) in taps.enumerated() {
                var p = (i + k - radius) % (2 * size)
                if p < 0 { p += 2 * size }
                if p >= size { p = 2 * size - 1 - p }
                if p == centre { profile[i] += tap / sum }
            }
        }
        return profile.flatMap { row in profile.map { Float(row * $0) } }
    }

    /// Deletion and insertion curves for `map`, as RISE's `CausalMetric`.
    ///
    /// `map` is `H × W`, the input's size; larger means more important, so a signed map ranks
    /// its most positive pixels first. Pixels in `steps` equal chunks, most important first, are
    /// replaced by black (deletion; the black image in normalised units, as
    /// ``baselineTensor(_:for:seed:)`` makes it) or copied into ``riseBlur(_:)``'s blurred input
    /// (insertion), and the target's softmax probability is recorded after each chunk.
    ///
    /// RISE uses 224 pixels per step (224 steps at 224 × 224); the default of 50 steps
    /// (≈ 1,000 pixels each) is faster and gives nearly the same areas. RISE's deletion
    /// substrate is zero in normalised units (the mean colour); Loupe deletes to black.
    /// Pixels of equal importance keep their row-major order.
    ///
    /// - Parameters:
    ///   - map: The attribution map, `H × W` values in row-major order.
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - target: A class target.
    ///   - steps: Chunks; each curve has `steps + 1` points.
    ///   - seed: Seeds the random order of the reference curves.
    ///   - batchSize: Images per forward pass.
    /// - Returns: The deletion and insertion curves for `map` and for the random order.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a channel target, a map of the wrong
    ///   size or holding NaN, or `steps` outside 1…H·W.
    public func deletionCurves(
        _ map: [Float], input: Tensor, target: ResolvedTarget, steps: Int = 50, seed: UInt64 = 0, batchSize: Int = 16
    ) throws -> DeletionCurves {
        guard let classIndex = target.classIndex else {
            throw InterpError.invalidParameter("deletion and insertion curves need a class target, found the channel target \(target)")
        }
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        let plane = height * width
        guard map.count == plane else {
            throw InterpError.invalidParameter(
                "the map must have \(height) × \(width) = \(plane) values (the input's size), found \(map.count)")
        }
        guard !map.contains(where: \.isNaN) else { throw InterpError.invalidParameter("the map holds NaN") }
        guard (1...plane).contains(steps) else { throw InterpError.invalidParameter("steps must be 1…\(plane), found \(steps)") }

        let image = try input.scalars
        let mean = model.preprocessing.mean, std = model.preprocessing.std
        var black = [Float](repeating: 0, count: image.count)
        for c in 0..<channels {
            let value = c < mean.count && c < std.count ? (0 - mean[c]) / std[c] : 0
            for i in 0..<plane { black[c * plane + i] = value }
        }
        let blurred = try riseBlur(input).scalars

        let ranked = map.indices.sorted { map[$0] > map[$1] || (map[$0] == map[$1] && $0 < $1) }
        var random = Array(0..<plane)
        var generator = SplitMix64(seed: seed)
        for i in stride(from: plane - 1, to: 0, by: -1) {
            random.swapAt(i, Int(generator.next() % UInt64(i + 1)))
        }
        let boundaries = (0...steps).map { $0 * plane / steps }
        let rows = Swift.max(1, batchSize)
        func curve(from start: [Float], to finish: [Float], order: [Int]) throws -> [Double] {
            var current = start
            var batch: [Float] = []
            batch.reserveCapacity(Swift.min(rows, steps + 1) * image.count)
            var out: [Double] = []
            for step in 0...steps {
                if step > 0 {
                    for pixel in order[boundaries[step - 1]..<boundaries[step]] {
                        for c in 0..<channels { current[c * plane + pixel] = finish[c * plane + pixel] }
                    }
                }
                batch += current
                if batch.count == rows * image.count || step == steps {
                    out += try probabilities(batch, shape: input.shape, classIndex: classIndex)
                    batch.removeAll(keepingCapacity: true)
                }
            }
            return out
        }
        return DeletionCurves(
            fractions: boundaries.map { Double($0) / Double(plane) },
            deletion: try curve(from: image, to: black, order: ranked),
            insertion: try curve(from: blurred, to: image, order: ranked),
            randomDeletion: try curve(from: image, to: black, order: random),
            randomInsertion: try curve(from: blurred, to: image, order: random))
    }

    /// Deletion and insertion curves for `attribution`'s map at the input's size
    /// (``Attribution/map(size:)``); see ``deletionCurves(_:input:target:steps:seed:batchSize:)``.
    public func deletionCurves(
        for attribution: Attribution, input: Tensor, steps: Int = 50, seed: UInt64 = 0, batchSize: Int = 16
    ) throws -> DeletionCurves {
        let map = attribution.map(size: (input.shape[2], input.shape[3]))
        return try deletionCurves(map, input: input, target: attribution.target, steps: steps, seed: seed, batchSize: batchSize)
    }

    /// The softmax probability of `classIndex` for each image of `batch` (images of `shape`
    /// one after another), in one forward pass.
    func probabilities(_ batch: [Float], shape: [Int], classIndex: Int) throws -> [Double] {
        var batchShape = shape
        let size = shape.dropFirst().reduce(1, *)
        batchShape[0] = batch.count / Swift.max(size, 1)
        let input = try Tensor(shape: batchShape, scalars: batch)
        let probabilities = try GradMode.withoutGrad { try model(input).softmax(axis: -1) }
        let classes = probabilities.shape[1]
        guard (0..<classes).contains(classIndex) else { throw InterpError.classOutOfRange(classIndex, classes: classes) }
        let values = try probabilities.scalars
        return (0..<batchShape[0]).map { Double(values[$0 * classes + classIndex]) }
    }
}
