import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// The methods on the real EfficientNet-Lite0 (from the store; fetched on first use) and a real
/// photo, checked against properties that hold whatever the implementation.
///
/// The properties are IG's completeness, occlusion's definition, Grad-CAM's ReLU, SmoothGrad
/// without noise being saliency. Agreement with Captum itself is Scripts/parity/attribution.py's
/// job (CI runs it).
@Suite(.serialized) struct AttributionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Setup {
        let model: Model
        let attributor: Attributor
        let input: Tensor
        let seen: RGBImage
        let target: ResolvedTarget
    }

    static let setup: Result<Setup, Error> = Result {
        let model = try Model(named: "efficientnet-lite0")
        let photo = try RGBImage(contentsOf: root.appendingPathComponent("Notebooks/images/dog.jpg"))
        let input = try model.preprocessing.tensor(from: photo)
        let target = try model.resolve(.topClass, for: input)
        return Setup(
            model: model, attributor: Attributor(model: model), input: input,
            seen: try model.preprocessing.preparedImage(from: photo), target: target)
    }

    func logit(_ s: Setup, _ input: Tensor) throws -> Float {
        try GradMode.withoutGrad { try s.model(input) }.scalars[s.target.classIndex ?? 0]
    }

    @Test func targetsResolveByIndexLabelAndSuggestTheClosestLabel() throws {
        let s = try Self.setup.get()
        #expect(s.target.classIndex == 235)
        #expect(s.target.description == "German shepherd (235)")
        #expect(try s.model.resolve(.label("german SHEPHERD"), for: s.input).classIndex == 235)
        #expect(throws: InterpError.classOutOfRange(1000, classes: 1000)) { try s.model.resolve(.classIndex(1000), for: s.input) }
        do {
            _ = try s.model.resolve(.label("German shepard"), for: s.input)
            Issue.record("expected an error")
        } catch let InterpError.unknownLabel(_, suggestions) {
            #expect(suggestions.first == "German shepherd")
        }
        #expect(throws: ModelError.self) { try s.model.resolve(.channel(layer: "_blocks.99", channel: 0), for: s.input) }
        #expect(AttributionTarget(parsing: "_conv_head:7", model: s.model) == .channel(layer: "_conv_head", channel: 7))
        #expect(AttributionTarget(parsing: "tusker", model: s.model) == .label("tusker"))
    }

    @Test func integratedGradientsIsComplete() throws {
        let s = try Self.setup.get()
        let baseline = try s.attributor.baselineTensor(.black, for: s.seen)
        let ig = try s.attributor.integratedGradients(s.input, baseline: baseline, target: s.target, steps: 50)
        #expect(ig.shape == [1, 3, 224, 224])
        let sum = ig.values.reduce(0, +)
        let expected = try logit(s, s.input) - logit(s, baseline)
        #expect(abs(sum - expected) < 0.05 * abs(expected), "Σ attributions \(sum) vs f(x) − f(b) \(expected)")
    }

    /// The zero baseline is Captum's default: all zeros in normalised units, which is the
    /// normalisation's mean colour as pixels; Integrated Gradients from it is still complete
    /// (its path from grey crosses more ReLU6 kinks than the one from black: 32 points missed
    /// the logit difference by 24 %, 160 meet 5 %).
    @Test func theZeroBaselineIsTheMeanColourAndIntegratedGradientsFromItIsComplete() throws {
        let s = try Self.setup.get()
        let baseline = try s.attributor.baselineTensor(.zero, for: s.seen)
        #expect(baseline.shape == [1, 3, 224, 224])
        #expect(try baseline.scalars.allSatisfy { $0 == 0 })
        let black = try s.attributor.baselineTensor(.black, for: s.seen)
        #expect(try black.scalars.contains { $0 != 0 }, "black and zero are different baselines")
        let ig = try s.attributor.integratedGradients(s.input, baseline: baseline, target: s.target, steps: 160)
        let expected = try logit(s, s.input) - logit(s, baseline)
        #expect(abs(ig.values.reduce(0, +) - expected) < 0.05 * abs(expected))
    }

    @Test func saliencyIsTheGradientsMagnitudeAndSmoothGradWithoutNoiseIsSaliency() throws {
        let s = try Self.setup.get()
        let signed = try s.attributor.saliency(s.input, target: s.target, signed: true)
        let plain = try s.attributor.saliency(s.input, target: s.target)
        #expect(plain.values == signed.values.map(abs))
        #expect(signed.values.contains { $0 < 0 })
        let smooth = try s.attributor.smoothGrad(s.input, target: s.target, samples: 3, noiseLevel: 0)
        let worst = zip(smooth.values, plain.values).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1e-5 * (plain.values.max() ?? 1))
        let noisy = try s.attributor.smoothGrad(s.input, target: s.target, samples: 3, noiseLevel: 0.5, seed: 7)
        let again = try s.attributor.smoothGrad(s.input, target: s.target, samples: 3, noiseLevel: 0.5, seed: 7)
        #expect(noisy.values == again.values, "seeded")
        #expect(noisy.values != plain.values)
    }

    @Test func occlusionOfTheWholeImageIsTheDropInTheLogit() throws {
        let s = try Self.setup.get()
        let attribution = try s.attributor.occlusion(s.input, target: s.target, window: 224, stride: 224, value: 0)
        let occluded = try Tensor.zeros(s.input.shape)
        let drop = try logit(s, s.input) - logit(s, occluded)
        #expect(abs(attribution.values[0] - drop) < 1e-3 * max(1, abs(drop)))
        #expect(Set(attribution.values).count == 1)
        let windows = try s.attributor.occlusion(s.input, target: s.target, window: 112, stride: 112)
        let topLeft = windows.values[0], bottomRight = windows.values[224 * 224 - 1]
        #expect(topLeft != bottomRight)
    }

    /// Guided backpropagation gates the ReLU6s inside fused convolutions; the same gates placed
    /// by a hook on a pass where every layer runs on its own give the same map. (The two differ
    /// in batch-norm arithmetic, so a unit sitting on a kink may flip: a few values are allowed to.)
    @Test func guidedBackpropThroughFusedLayersMatchesTheLayerByLayerPass() throws {
        let s = try Self.setup.get()
        let fused = try s.attributor.guidedBackprop(s.input, target: s.target).values
        let activations = Set(s.model.network.namedModules.filter { $0.module is ReLU || $0.module is ReLU6 }.map(\.name))
        let classes = 1000, classIndex = try #require(s.target.classIndex)
        let reference = try Engine.run { () throws -> [Float] in
            let x = s.input.requiringGrad()
            let logits = try s.model(x) { name, output in
                activations.contains(name) ? output.passingPositiveGradientOnly() : output
            }
            var one = [Float](repeating: 0, count: classes)
            one[classIndex] = 1
            return try grad(of: logits, wrt: [x], seed: try Tensor(shape: [1, classes], scalars: one))[0].scalars
        }
        #expect(fused.count == reference.count)
        let largest = reference.map(abs).max() ?? 0
        #expect(largest > 0)
        let off = zip(fused, reference).filter { abs($0 - $1) > 1e-4 * largest }.count
        #expect(off <= fused.count / 1000, "\(off) of \(fused.count) values differ by more than 1e-4 of the largest")
        let plain = try s.attributor.saliency(s.input, target: s.target, signed: true).values
        let plainOff = zip(plain, reference).filter { abs($0 - $1) > 1e-4 * largest }.count
        #expect(plainOff > fused.count / 10, "the plain gradient is not the guided one (\(plainOff) values differ)")
    }

    @Test func gradCAMIsTheReLUOfItsSignedMapAndGuidedGradCAMCombinesBoth() throws {
        let s = try Self.setup.get()
        let cam = try s.attributor.gradCAM(s.input, target: s.target, layer: "_relu")
        let signed = try s.attributor.gradCAM(s.input, target: s.target, layer: "_relu", signed: true)
        #expect(cam.shape == [1, 1, 7, 7])
        #expect(cam.values == signed.values.map { max($0, 0) })
        #expect(cam.values.contains { $0 > 0 })
        let guided = try s.attributor.guidedBackprop(s.input, target: s.target)
        let plain = try s.attributor.saliency(s.input, target: s.target, signed: true)
        #expect(guided.values != plain.values, "the ReLU6 gates change the gradient")
        let combined = try s.attributor.guidedGradCAM(s.input, target: s.target, layer: "_relu")
        // Pixel (100, 50) lies in CAM cell (100·7/224, 50·7/224) = (3, 1).
        let index = 100 * 224 + 50
        #expect(abs(combined.values[index] - guided.values[index] * cam.values[3 * 7 + 1]) <= 1e-6 * max(1, abs(combined.values[index])))
        #expect(throws: ModelError.self) { try s.attributor.gradCAM(s.input, target: s.target, layer: "_conv_haed") }
    }

    @Test func aChannelTargetExplainsThatChannel() throws {
        let s = try Self.setup.get()
        let channel = try s.model.resolve(.channel(layer: "_conv_head", channel: 3), for: s.input)
        let map = try s.attributor.saliency(s.input, target: channel)
        #expect(map.values.contains { $0 > 0 })
        #expect(throws: InterpError.channelOutOfRange(layer: "_conv_head", channel: 5000, channels: 1280)) {
            try s.attributor.saliency(s.input, target: try s.model.resolve(.channel(layer: "_conv_head", channel: 5000), for: s.input))
        }
    }
}
