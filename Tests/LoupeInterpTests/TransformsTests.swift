import LoupeTensor
import Testing

@testable import LoupeInterp

/// The robustness transforms and regularisers: sizes, fills, seeded draws, and gradients.
@Suite struct TransformsTests {
    func picture(_ height: Int = 10, _ width: Int = 12, seed: UInt64 = 1) throws -> Tensor {
        var rng = SplitMix64(seed: seed)
        return try Tensor.randomUniform([1, 3, height, width], using: &rng)
    }

    @Test func standardIsLucentsChain() {
        let chain = ImageTransform.standard
        #expect(chain.count == 5)
        #expect(chain[0] == .pad(pixels: 12, value: 0.5))
        #expect(chain[1] == .jitter(pixels: 8))
        guard case let .randomScale(factors, _) = chain[2], case let .randomRotation(degrees, _) = chain[3] else {
            Issue.record("expected scale then rotation, got \(chain)")
            return
        }
        let lucentScales = (0..<11).map { 1 + Float($0 - 5) / 50 }
        #expect(zip(factors, lucentScales).allSatisfy { Swift.abs($0 - $1) < 1e-6 } && factors.count == 11)
        #expect(degrees == (-10...10).map(Float.init) + [0, 0, 0, 0, 0])
        #expect(chain[4] == .jitter(pixels: 4))
        #expect(ImageTransform.pipeline(jitter: 0, scale: 0, rotate: 0).isEmpty)
    }

    @Test func padAndJitterChangeTheSizeAndKeepValues() throws {
        let x = try picture()
        var rng = SplitMix64(seed: 5)
        let padded = try ImageTransform.pad(pixels: 3, value: 0.5).apply(x, using: &rng)
        #expect(padded.shape == [1, 3, 16, 18])
        let p = try padded.scalars, v = try x.scalars
        #expect(p[0] == 0.5 && p[16 * 18 - 1] == 0.5)
        #expect(p[3 * 18 + 3] == v[0], "the picture sits 3 pixels in")
        let cropped = try ImageTransform.jitter(pixels: 4).apply(x, using: &rng)
        #expect(cropped.shape == [1, 3, 6, 8])
        // The crop is a window of the picture: its first row appears somewhere in the picture's rows.
        let c = try cropped.scalars
        let found = (0...4).contains { dy in (0...4).contains { dx in (0..<8).allSatisfy { c[$0] == v[dy * 12 + dx + $0] } } }
        #expect(found)
        #expect(throws: InterpError.self) { try ImageTransform.jitter(pixels: 10).apply(x, using: &rng) }
    }

    @Test func drawsFollowTheSeed() throws {
        let x = try picture()
        func run(_ seed: UInt64) throws -> [Float] {
            var rng = SplitMix64(seed: seed)
            var t = x
            for transform in ImageTransform.standard { t = try transform.apply(t, using: &rng) }
            return try t.scalars
        }
        #expect(try run(1) == run(1))
        #expect(try run(1) != run(2))
    }

    @Test func warpsFillUncoveredPixelsAndKeepTheSize() throws {
        let x = try picture()
        let same = try x.warped(degrees: 0, scale: 1, fill: 0.5)
        #expect(try same.scalars == x.scalars)
        let small = try x.warped(degrees: 0, scale: 0.5, fill: 0.25)
        #expect(small.shape == x.shape)
        #expect(Swift.abs(try small.scalars[0] - 0.25) < 1e-6, "the corner of a half-size picture is fill")
        let rotated = try x.warped(degrees: 45, scale: 1, fill: 0.75).scalars
        #expect(Swift.abs(rotated[0] - 0.75) < 1e-6, "a 45° turn uncovers the corners")
    }

    @Test func totalVariationByHandAndByFiniteDifferences() throws {
        // 2×2, one channel: |3−1| + |4−2| down, |2−1| + |4−3| across = 6, over 4 pixels.
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        #expect(Swift.abs(try ImageRegularizer.totalVariation(x).item - 1.5) < 1e-6)
        #expect(try ImageRegularizer.totalVariation(try Tensor.full([1, 3, 5, 5], value: 0.3)).item == 0)
        let y = try picture(4, 5)
        let tracked = y.requiringGrad()
        let analytic = try grad(of: ImageRegularizer.totalVariation(tracked), wrt: [tracked])[0].scalars
        let base = try y.scalars
        for position in stride(from: 0, to: base.count, by: 7) {
            var plus = base, minus = base
            plus[position] += 1e-3
            minus[position] -= 1e-3
            let numeric =
                (try ImageRegularizer.totalVariation(Tensor(shape: y.shape, scalars: plus)).item
                    - ImageRegularizer.totalVariation(Tensor(shape: y.shape, scalars: minus)).item) / 2e-3
            #expect(Swift.abs(numeric - analytic[position]) < 2e-3, "position \(position): \(numeric) vs \(analytic[position])")
        }
    }

    @Test func blurKeepsConstantsAndSmoothsNoise() throws {
        let flat = try Tensor.full([1, 3, 6, 7], value: 0.4)
        #expect(try ImageRegularizer.gaussianBlur(flat, sigma: 1).scalars.allSatisfy { Swift.abs($0 - 0.4) < 1e-6 })
        let noise = try picture(16, 16)
        let blurred = try ImageRegularizer.gaussianBlur(noise, sigma: 1)
        let before = try ImageRegularizer.totalVariation(noise).item, after = try ImageRegularizer.totalVariation(blurred).item
        #expect(after < 0.5 * before, "total variation \(before) → \(after)")
        let mean = { (t: Tensor) throws -> Float in try t.mean().item }
        #expect(Swift.abs(try mean(noise) - mean(blurred)) < 0.02)
    }

    /// The centre crop keeps the middle pixels (the extra row or column of an odd difference
    /// goes below and right) and refuses a picture smaller than the crop.
    @Test func centerCropKeepsTheMiddle() throws {
        let picture = try Tensor(shape: [1, 1, 5, 6], scalars: (0..<30).map(Float.init))
        var rng = SplitMix64(seed: 0)
        let cropped = try ImageTransform.centerCrop(side: 3).apply(picture, using: &rng)
        #expect(cropped.shape == [1, 1, 3, 3])
        #expect(try cropped.scalars == [7, 8, 9, 13, 14, 15, 19, 20, 21])
        #expect(throws: InterpError.self) { try ImageTransform.centerCrop(side: 6).apply(picture, using: &rng) }
    }
}
