import LoupeTensor
import Testing

/// A convolution with a per-channel affine map and an activation as post-ops must compute what
/// the three operations compute one by one, forwards and backwards.
@Suite struct FusedConvolutionTests {
    struct Case {
        var x: Tensor, w: Tensor, affine: ChannelAffine, seed: Tensor
        var groups: Int, stride: Int, padding: Padding2D
    }

    /// Inputs large enough that some outputs land at and beyond both of ReLU6's kinks.
    ///
    /// `groups` 8 is depthwise, with TensorFlow's asymmetric "SAME" padding and stride 2 as in
    /// EfficientNet-Lite.
    static func make(groups: Int = 1, seed: UInt64) throws -> Case {
        var rng = SplitMix64(seed: seed)
        let (c, o) = (groups == 8 ? 8 : 4, 8)
        let stride = groups == 8 ? 2 : 1
        let padding = groups == 8 ? Padding2D.same(inputHeight: 9, inputWidth: 9, kernel: (3, 3), stride: (2, 2)) : .symmetric(1, 1)
        let x = try Tensor.randomNormal([2, c, 9, 9], standardDeviation: 3, using: &rng)
        let w = try Tensor.randomNormal([o, c / groups, 3, 3], using: &rng)
        let scale = try Tensor.randomUniform([o], in: 0.2..<2, using: &rng)
        let shift = try Tensor.randomUniform([o], in: -1..<1, using: &rng)
        let (ws, s) = (try w.scalars, try scale.scalars)
        let per = ws.count / o
        let scaled = try Tensor(shape: w.shape, scalars: ws.indices.map { ws[$0] * s[$0 / per] })
        let side = stride == 1 ? 9 : 5
        let g = try Tensor.randomNormal([2, o, side, side], using: &rng)
        return Case(
            x: x, w: w, affine: ChannelAffine(scale: scale, shift: shift, scaledWeight: scaled, foldedBias: shift), seed: g,
            groups: groups, stride: stride, padding: padding)
    }

    static func layerByLayer(_ c: Case, _ x: Tensor) throws -> Tensor {
        let y = try x.conv2d(weight: c.w, stride: (c.stride, c.stride), padding: c.padding, groups: c.groups)
        return try (y * c.affine.scale.reshaped(to: [1, 8, 1, 1]) + c.affine.shift.reshaped(to: [1, 8, 1, 1])).relu6()
    }

    static func largestDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
        zip(try a.scalars, try b.scalars).map { abs($0 - $1) }.max() ?? .infinity
    }

    @Test(arguments: [1, 4, 8])
    func forwardAndInputGradientEqualTheOperationsOneByOne(groups: Int) throws {
        let c = try Self.make(groups: groups, seed: 11)
        let x = c.x.requiringGrad()
        let fused = try x.conv2dFused(
            weight: c.w, stride: (c.stride, c.stride), padding: c.padding, groups: c.groups,
            affine: c.affine, activation: .clip(low: 0, high: 6))
        let reference = try Self.layerByLayer(c, x)
        #expect(try Self.largestDifference(fused, reference) < 1e-5)
        #expect(fused.shape == reference.shape)
        let values = try reference.scalars
        #expect(values.contains(0) && values.contains(6) && values.contains { $0 > 0 && $0 < 6 })

        let g = try grad(of: fused, wrt: [x], seed: c.seed)[0]
        let expected = try grad(of: reference, wrt: [x], seed: c.seed)[0]
        let difference = try Self.largestDifference(g, expected)
        #expect(difference < 1e-4)
        #expect(try expected.scalars.map(abs).max() ?? 0 > 1)
    }

    /// Without a gradient the map is folded into the convolution: the same values to rounding.
    @Test func withoutGradientTheFoldedFormGivesTheSameValues() throws {
        let c = try Self.make(seed: 14)
        let folded = try GradMode.withoutGrad {
            try c.x.conv2dFused(weight: c.w, stride: (c.stride, c.stride), padding: c.padding, affine: c.affine, activation: .relu)
        }
        let exact = try GradMode.withoutGrad {
            try c.x.conv2dInference(weight: c.w, stride: (c.stride, c.stride), padding: c.padding, affine: c.affine, activation: .relu)
        }
        let difference = try Self.largestDifference(folded, exact)
        #expect(difference < 1e-4)
        #expect(try exact.scalars.map(abs).max() ?? 0 > 1)
    }

    /// Told to fold always, a gradient pass runs the folded primitive: its output is the
    /// no-gradient output bit for bit, and its input gradient is the operations' one by one.
    @Test(arguments: [1, 8])
    func foldingAlwaysFoldsUnderGradientToo(groups: Int) throws {
        let c = try Self.make(groups: groups, seed: 15)
        let x = c.x.requiringGrad()
        let fused = try x.conv2dFused(
            weight: c.w, stride: (c.stride, c.stride), padding: c.padding, groups: c.groups,
            affine: c.affine, activation: .clip(low: 0, high: 6), folding: .always)
        let withoutGradient = try GradMode.withoutGrad {
            try c.x.conv2dFused(
                weight: c.w, stride: (c.stride, c.stride), padding: c.padding, groups: c.groups,
                affine: c.affine, activation: .clip(low: 0, high: 6))
        }
        #expect(try Self.largestDifference(fused, withoutGradient) == 0)
        let reference = try Self.layerByLayer(c, x)
        #expect(try Self.largestDifference(fused, reference) < 1e-5)
        let g = try grad(of: fused, wrt: [x], seed: c.seed)[0]
        let expected = try grad(of: reference, wrt: [x], seed: c.seed)[0]
        #expect(try Self.largestDifference(g, expected) < 1e-4)
        #expect(try expected.scalars.map(abs).max() ?? 0 > 1)
    }

    /// With the weight recording history, the weight's gradient is there too (the operations run
    /// one by one).
    @Test func weightGradientWhenTheWeightRecords() throws {
        let c = try Self.make(seed: 12)
        let w = c.w.requiringGrad()
        let y = try c.x.conv2dFused(weight: w, padding: .symmetric(1, 1), affine: c.affine, activation: .relu)
        let gw = try grad(of: y, wrt: [w], seed: c.seed)[0]
        let z = try
            (try c.x.conv2d(weight: w, padding: .symmetric(1, 1)) * c.affine.scale.reshaped(to: [1, 8, 1, 1])
            + c.affine.shift.reshaped(to: [1, 8, 1, 1])).relu()
        let expected = try grad(of: z, wrt: [w], seed: c.seed)[0]
        #expect(try Self.largestDifference(gw, expected) < 1e-3)
        #expect(try expected.scalars.map(abs).max() ?? 0 > 1)
    }

    @Test func affineOfTheWrongLengthIsRefused() throws {
        let c = try Self.make(seed: 13)
        let short = ChannelAffine(
            scale: try Tensor.full([3], value: 1), shift: try Tensor.full([3], value: 0), scaledWeight: c.w,
            foldedBias: try Tensor.full([3], value: 0))
        #expect(throws: TensorError.self) { try GradMode.withoutGrad { try c.x.conv2dInference(weight: c.w, affine: short) } }
    }
}
