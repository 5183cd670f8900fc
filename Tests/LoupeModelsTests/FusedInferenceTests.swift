import Foundation
import LoupeModels
import LoupeTensor
import Testing

/// The inference path that folds batch norm into the convolution and fuses the activation must
/// give the outputs of the layer-by-layer path (which a hook forces), and must notice new weights.
@Suite struct FusedInferenceTests {
    /// Random weights whose batch norms do something: running means and variances, γ and β away
    /// from the identity, so a wrong fold shows.
    static func stateDict(_ architecture: Architecture, seed: UInt64) throws -> StateDict {
        var rng = SplitMix64(seed: seed)
        var sd = StateDict()
        for (key, parameter) in architecture.build().namedParameters {
            let fanIn = max(1, parameter.shape.dropFirst().reduce(1, *))
            if key.hasSuffix("running_var") {
                sd[key] = try Tensor.randomUniform(parameter.shape, in: 0.5..<2, using: &rng)
            } else if key.hasSuffix("num_batches_tracked") {
                sd[key] = try Tensor.full(parameter.shape, value: 0)
            } else if parameter.shape.count == 1 {
                sd[key] = try Tensor.randomUniform(parameter.shape, in: -0.5..<1.5, using: &rng)
            } else {
                sd[key] = try Tensor.randomNormal(parameter.shape, standardDeviation: Float(1 / Double(fanIn).squareRoot()), using: &rng)
            }
        }
        return sd
    }

    /// The largest |a − b| relative to the largest |b|.
    static func relativeDifference(_ a: Tensor, _ b: Tensor) throws -> Float {
        let (x, y) = (try a.scalars, try b.scalars)
        let scale = y.map(abs).max() ?? 0
        return zip(x, y).map { abs($0 - $1) }.max().map { $0 / max(scale, .leastNormalMagnitude) } ?? 0
    }

    @Test(arguments: [Architecture.resnet18, .efficientnet_lite0])
    func fusedLogitsEqualLayerByLayer(_ architecture: Architecture) throws {
        let model = Model(architecture: architecture)
        try model.load(Self.stateDict(architecture, seed: 3))
        var rng = SplitMix64(seed: 9)
        let x = try Tensor.randomNormal([2, 3, 96, 96], using: &rng)
        let fused = try GradMode.withoutGrad { try model(x) }
        var seen = 0
        let observed = try GradMode.withoutGrad { try model(x) { _, output in seen += 1; return output } }
        #expect(seen > 20)
        #expect(try Self.relativeDifference(fused, observed) < 1e-5)
        #expect(try observed.scalars.map(abs).max() ?? 0 > 0.1)
    }

    @Test func newWeightsAreFoldedAgain() throws {
        let model = Model(architecture: .efficientnet_lite0)
        var rng = SplitMix64(seed: 4)
        let x = try Tensor.randomNormal([1, 3, 64, 64], using: &rng)
        try model.load(Self.stateDict(.efficientnet_lite0, seed: 1))
        let first = try GradMode.withoutGrad { try model(x) }
        try model.load(Self.stateDict(.efficientnet_lite0, seed: 2))
        let second = try GradMode.withoutGrad { try model(x) }
        let reference = try GradMode.withoutGrad { try model(x) { _, output in output } }
        #expect(try Self.relativeDifference(second, reference) < 1e-5)
        #expect(try Self.relativeDifference(first, reference) > 1e-2)
    }

    @Test func gradientsStillFlowThroughTheLayerByLayerPath() throws {
        let model = Model(architecture: .resnet18)
        try model.load(Self.stateDict(.resnet18, seed: 5))
        var rng = SplitMix64(seed: 6)
        let x = try Tensor.randomNormal([1, 3, 64, 64], using: &rng).requiringGrad()
        let logits = try model(x)
        let g = try grad(of: logits[0][0], wrt: [x])[0]
        #expect(try g.scalars.map(abs).max() ?? 0 > 0)
    }

    @Test func fusedConvolutionRefusesTensorsThatNeedAGradient() throws {
        var rng = SplitMix64(seed: 7)
        let x = try Tensor.randomNormal([1, 2, 5, 5], using: &rng).requiringGrad()
        let w = try Tensor.randomNormal([3, 2, 3, 3], using: &rng)
        #expect(throws: TensorError.self) { try x.conv2dInference(weight: w, activation: .relu) }
        let y = try GradMode.withoutGrad { try x.conv2dInference(weight: w, activation: .clip(low: 0, high: 6)) }
        let reference = try GradMode.withoutGrad { try x.conv2d(weight: w).relu6() }
        #expect(try Self.relativeDifference(y, reference) < 1e-6)
        #expect(try y.scalars.contains { $0 == 0 })
    }
}
