import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Activation maximisation on the real EfficientNet-Lite0: the objective climbs, the image's
/// logit beats the start's, a seed reproduces an image, and targets parse.
@Suite(.serialized) struct ClassVisualizationTests {
    static let model = Result { try Model(named: "efficientnet-lite0") }

    /// Mean of the first and last `n` values and the share of steps that increased.
    func summary(_ values: [Float], _ n: Int = 10) -> (first: Float, last: Float, rising: Double) {
        let first = values.prefix(n).reduce(0, +) / Float(n), last = values.suffix(n).reduce(0, +) / Float(n)
        let rising = zip(values, values.dropFirst()).filter { $1 > $0 }.count
        return (first, last, Double(rising) / Double(values.count - 1))
    }

    /// The means of consecutive windows of `width` steps: an objective that climbs
    /// monotonically on average (Adam's single steps may dip) has them strictly increasing.
    func windowMeans(_ values: [Float], width: Int = 5) -> [Float] {
        stride(from: 0, to: values.count - width + 1, by: width).map { values[$0..<$0 + width].reduce(0, +) / Float(width) }
    }

    @Test func pixelClassVisualizationClimbs() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 30
        settings.size = 128
        let result = try model.visualize(try .classLogit(130, model: model), settings: settings)
        #expect(result.values.count == 30)
        let s = summary(result.values)
        #expect(s.last > s.first + 15, "mean logit of the first 10 steps \(s.first), last 10 \(s.last)")
        let windows = windowMeans(result.values)
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $1 > $0 }, "means of 5 steps: \(windows)")
        #expect(s.rising > 0.7, "\(Int(s.rising * 100)) % of steps increased the logit: \(result.values)")
        #expect(result.finalValue > result.startValue + 20, "flamingo logit \(result.startValue) → \(result.finalValue)")
        #expect(result.imageValue > result.startValue + 15, "on the 8-bit image: \(result.imageValue)")
        #expect((result.image.width, result.image.height) == (128, 128))
        #expect(result.objective.description == "logit of flamingo (130)")
    }

    @Test func fourierVisualizationWithTransformsClimbs() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 30
        settings.size = 128
        settings.parameterization = .fourier
        settings.l2 = 0
        settings.transforms = ImageTransform.pipeline(jitter: 4, scale: 0.05, rotate: 5)
        let result = try model.visualize(try VisualizationObjective(parsing: "flamingo", model: model), settings: settings)
        let s = summary(result.values)
        #expect(s.last > s.first + 10, "mean logit of the first 10 steps \(s.first), last 10 \(s.last)")
        #expect(s.rising > 0.6, "\(Int(s.rising * 100)) % of steps increased the logit")
        #expect(result.finalValue > result.startValue + 15, "flamingo logit \(result.startValue) → \(result.finalValue)")
        #expect(result.imageValue > result.startValue + 15, "on the 8-bit image: \(result.imageValue)")
    }

    @Test func theSeedDecidesTheImage() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 3
        settings.size = 64
        settings.parameterization = .fourier
        settings.transforms = ImageTransform.pipeline(jitter: 4, scale: 0.1, rotate: 10)
        let objective = try VisualizationObjective.classLogit(130, model: model)
        let a = try model.visualize(objective, settings: settings)
        let b = try model.visualize(objective, settings: settings)
        settings.seed = 1
        let c = try model.visualize(objective, settings: settings)
        #expect(a.image == b.image && a.values == b.values)
        #expect(a.image != c.image)
    }

    @Test func channelNeuronAndDirectionObjectivesClimb() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 8
        settings.size = 64
        for target in [
            "_blocks.10:7", "_blocks.10:7:center", "_blocks.5:3:1:2",
            "_blocks.3:" + (0..<40).map { $0 % 3 == 0 ? "1" : "0" }.joined(separator: ","),
        ] {
            let objective = try VisualizationObjective(parsing: target, model: model)
            let result = try model.visualize(objective, settings: settings)
            #expect(result.finalValue > result.startValue, "\(objective): \(result.startValue) → \(result.finalValue)")
            #expect(result.values.last ?? 0 > result.values.first ?? 0, "\(objective): \(result.values)")
        }
    }

    @Test func targetsParse() throws {
        let model = try Self.model.get()
        #expect(try VisualizationObjective(parsing: "130", model: model).terms[0].term == .classLogit(130, name: "flamingo (130)"))
        #expect(try VisualizationObjective(parsing: "Flamingo", model: model).terms[0].term == .classLogit(130, name: "flamingo (130)"))
        #expect(
            try VisualizationObjective(parsing: "_blocks.10:7", model: model).terms[0].term == .channel(layer: "_blocks.10", channel: 7))
        #expect(
            try VisualizationObjective(parsing: "_blocks.10:7:2:3", model: model).terms[0].term
                == .neuron(layer: "_blocks.10", channel: 7, y: 2, x: 3))
        #expect(
            try VisualizationObjective(parsing: "_conv_head:1, 0.5", model: model).terms[0].term
                == .direction(layer: "_conv_head", weights: [1, 0.5]))
        #expect(throws: ModelError.self) { try VisualizationObjective(parsing: "_blocks.99:1", model: model) }
        #expect(throws: InterpError.self) { try VisualizationObjective(parsing: "_blocks.1:x", model: model) }
        #expect(throws: InterpError.classOutOfRange(1000, classes: 1000)) { try VisualizationObjective(parsing: "1000", model: model) }
        do {
            _ = try VisualizationObjective(parsing: "flamingoo", model: model)
            Issue.record("expected an unknown label")
        } catch let InterpError.unknownLabel(_, suggestions) {
            #expect(suggestions.first == "flamingo")
        }
        let sum =
            try 2 * VisualizationObjective.classLogit(130, model: model) - VisualizationObjective(parsing: "_blocks.10:7", model: model)
        #expect(sum.description == "2.0 · logit of flamingo (130) − _blocks.10:7 (channel mean)")
        #expect(sum.layers == ["_blocks.10"] && sum.needsLogits)
    }

    @Test func badSettingsAndTargetsThrowNamedErrors() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 1
        settings.size = 64
        settings.parameterization = .fourier
        settings.blurEvery = 2
        #expect(throws: InterpError.self) { try model.visualize(try .classLogit(1, model: model), settings: settings) }
        settings.blurEvery = 0
        #expect(throws: InterpError.channelOutOfRange(layer: "_blocks.10", channel: 500, channels: 112)) {
            try model.visualize(try VisualizationObjective(parsing: "_blocks.10:500", model: model), settings: settings)
        }
        #expect(throws: InterpError.self) {
            try model.visualize(try VisualizationObjective(parsing: "_conv_head:1,2", model: model), settings: settings)
        }
    }

    @Test func pixelBlurAndTotalVariationSmoothTheImage() throws {
        let model = try Self.model.get()
        var settings = VisualizationSettings()
        settings.steps = 12
        settings.size = 64
        let plain = try model.visualize(try .classLogit(130, model: model), settings: settings)
        settings.blurEvery = 4
        settings.blurSigma = 1
        settings.totalVariation = 5
        let smooth = try model.visualize(try .classLogit(130, model: model), settings: settings)
        let tv = { (image: RGBImage) throws -> Float in try ImageRegularizer.totalVariation(try image.tensor()).item }
        let (rough, smoothed) = (try tv(plain.image), try tv(smooth.image))
        #expect(smoothed < 0.7 * rough, "TV \(rough) → \(smoothed)")
        #expect(smooth.finalValue > smooth.startValue + 5)
    }

    /// A direction's value is the mean over positions of the weighted channel sum, including on
    /// a 1 × 1 map.
    @Test func aDirectionIsTheWeightedSumOfTheChannelMeans() throws {
        let values: [Float] = [1, 2, 3, 4, -1, 0, 1, 2, 5, 5, 5, 9]  // channels of 2 × 2
        let objective = VisualizationObjective(.direction(layer: "x", weights: [1, -2, 0.5]))
        let value = try objective.value(logits: nil, activations: ["x": try Tensor(shape: [1, 3, 2, 2], scalars: values)]).item
        #expect(abs(value - (2.5 - 2 * 0.5 + 0.5 * 6)) < 1e-6)
        let point = try objective.value(logits: nil, activations: ["x": try Tensor(shape: [1, 3, 1, 1], scalars: [1, 2, 4])]).item
        #expect(abs(point - (1 - 4 + 2)) < 1e-6)
    }
}
