import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Spearman's ρ against hand-computed values, the cascade's stages from the module trees, and
/// the model-randomisation test on the real EfficientNet-Lite0 and the dog photo.
@Suite(.serialized) struct SanityCheckTests {
    @Test func ranksAverageTies() {
        #expect(RankCorrelation.ranks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
        #expect(RankCorrelation.ranks([2, 1, 4, 4, 6, 3]) == [2, 1, 4.5, 4.5, 6, 3])
        #expect(RankCorrelation.ranks([7, 7, 7]) == [2, 2, 2])
    }

    @Test func spearmanMatchesHandComputedValues() throws {
        // Ranks 1…6 against [2, 1, 4.5, 4.5, 6, 3]: Σ dx·dy = 10, Σ dx² = 17.5, Σ dy² = 17.
        let tied = try RankCorrelation.spearman([1, 2, 3, 4, 5, 6], [2, 1, 4, 4, 6, 3])
        #expect(abs(tied - 10 / (17.5 * 17).squareRoot()) < 1e-12)
        #expect(abs(tied - 0.5797710356524484) < 1e-12, "scipy.stats.spearmanr")
        // Ranks [2, 2, 2, 4, 5] and [5, 1, 3, 3, 3]: deviations (−1, −1, −1, 1, 2) · (2, −2, 0, 0, 0) = 0.
        #expect(try RankCorrelation.spearman([0.5, 0.5, 0.5, 2, 3], [3, 1, 2, 2, 2]) == 0)
        #expect(try RankCorrelation.spearman([1, 2, 3], [10, 100, 1000]) == 1, "monotone, not linear")
        #expect(try RankCorrelation.spearman([1, 2, 3], [3, 2, 1]) == -1)
        #expect(try RankCorrelation.spearman([1, 1, 1], [1, 2, 3]).isNaN, "a constant map has no ranking")
        #expect(throws: InterpError.self) { try RankCorrelation.spearman([1, 2], [1, 2, 3]) }
        #expect(throws: InterpError.self) { try RankCorrelation.spearman([1, .nan], [1, 2]) }
    }

    @Test func stagesRunFromTheLogitsDownAndGroupBlocks() {
        let lite = Model(architecture: .efficientnet_lite0).randomizationStages.map(\.layers)
        #expect(lite.count == 19)
        #expect(Array(lite.prefix(4)) == [["_fc"], ["_conv_head", "_bn1"], ["_blocks.15"], ["_blocks.14"]])
        #expect(lite.last == ["_conv_stem", "_bn0"])
        let resnet = Model(architecture: .resnet18).randomizationStages.map(\.name)
        #expect(
            resnet == ["fc", "layer4.1", "layer4.0", "layer3.1", "layer3.0", "layer2.1", "layer2.0", "layer1.1", "layer1.0", "conv1 + bn1"])
        let vgg = Model(architecture: .vgg11_bn).randomizationStages.map(\.name)
        #expect(Array(vgg.prefix(4)) == ["classifier.6", "classifier.3", "classifier.0", "features.25 + features.26"])
        #expect(vgg.last == "features.0 + features.1")
        let mobile = Model(architecture: .mobilenet_v2).randomizationStages.map(\.name)
        #expect(mobile.first == "classifier.1")
        #expect(mobile.dropFirst().first == "features.18")
        #expect(mobile.last == "features.0")
    }

    @Test func reinitialisationIsPyTorchsDefault() throws {
        let conv = Conv2d(8, 16, kernelSize: 3, groups: 2)
        var generator = SplitMix64(seed: 3)
        let values = Dictionary(uniqueKeysWithValues: try Attributor.reinitialized(conv, named: "c", using: &generator))
        let weight = try #require(values["c.weight"]).scalars
        let bias = try #require(values["c.bias"]).scalars
        let bound = 1 / Float(4 * 9).squareRoot()  // fan-in: 8 / 2 groups × 3 × 3
        #expect(weight.count == 16 * 4 * 9 && bias.count == 16)
        #expect(weight.allSatisfy { abs($0) <= bound } && bias.allSatisfy { abs($0) <= bound })
        #expect((weight.max() ?? 0) > 0.9 * bound && (weight.min() ?? 0) < -0.9 * bound, "uniform over the whole range")
        let norm = Dictionary(uniqueKeysWithValues: try Attributor.reinitialized(BatchNorm2d(4), named: "bn", using: &generator))
        #expect(try norm["bn.weight"]?.scalars == [1, 1, 1, 1])
        #expect(try norm["bn.bias"]?.scalars == [0, 0, 0, 0])
        #expect(norm["bn.running_mean"] == nil && norm["bn.running_var"] == nil, "running statistics are kept")
    }

    struct Setup {
        let model: Model
        let input: Tensor
        let seen: RGBImage
        let target: ResolvedTarget
    }

    static let setup: Result<Setup, Error> = Result {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let model = try Model(named: "efficientnet-lite0")
        let photo = try RGBImage(contentsOf: root.appendingPathComponent("Notebooks/images/dog.jpg"))
        let input = try model.preprocessing.tensor(from: photo)
        return Setup(
            model: model, input: input, seen: try model.preprocessing.preparedImage(from: photo),
            target: try model.resolve(.topClass, for: input))
    }

    @Test func saliencyLosesItsRankCorrelationOnceTheTopBlocksAreRandom() throws {
        let s = try Self.setup.get()
        let before = try GradMode.withoutGrad { try s.model(s.input) }.scalars
        let attributor = Attributor(model: s.model)
        let check = try attributor.sanityCheck(.saliency, input: s.input, seen: s.seen, target: s.target, seed: 1)
        let after = try GradMode.withoutGrad { try s.model(s.input) }.scalars
        #expect(before == after, "the caller's model is unchanged")

        #expect(check.stages.count == 20)
        #expect(check.stages.map(\.depth) == Array(0...19))
        let original = try #require(check.stages.first)
        #expect(original.label == "original" && original.rankCorrelation == 1)
        #expect(
            original.attribution.values == (try attributor.saliency(s.input, target: s.target)).values,
            "the copy computes the trained model's map")
        let rhos = check.stages.map(\.rankCorrelation)
        // Once the head and the top four blocks are random (`_blocks.12` is stage 6) ρ is below
        // 0.5 (seed 1 measured 0.59 after `_fc`, 0.26 after `_blocks.12`), and so is its mean
        // over the deeper stages. It need not fall monotonically: gradients of a random network
        // still follow the photo's edges (with seed 0 ρ climbs back to 0.62 at `_blocks.6`).
        let top = try #require(check.stages.first { $0.randomized?.layers == ["_blocks.12"] })
        #expect(top.depth == 6)
        #expect(top.rankCorrelation < 0.5, "ρ after _blocks.12: \(top.rankCorrelation)")
        let deeper = rhos.dropFirst(7)
        #expect(deeper.reduce(0, +) / Double(deeper.count) < 0.5, "\(rhos)")
        #expect(check.stages.dropFirst().allSatisfy { $0.rankCorrelation == $0.signedRankCorrelation }, "unsigned maps")
    }

    @Test func theRandomisationIsSeededAndCanStopEarly() throws {
        let s = try Self.setup.get()
        let attributor = Attributor(model: s.model)
        var settings = AttributionSettings()
        settings.signed = true
        let first = try attributor.sanityCheck(
            .saliency, input: s.input, seen: s.seen, target: s.target, settings: settings, stages: 5, every: 2, seed: 7)
        let again = try attributor.sanityCheck(
            .saliency, input: s.input, seen: s.seen, target: s.target, settings: settings, stages: 5, every: 2, seed: 7)
        let other = try attributor.sanityCheck(
            .saliency, input: s.input, seen: s.seen, target: s.target, settings: settings, stages: 5, every: 2, seed: 8)
        #expect(first.stages.map(\.depth) == [0, 2, 4, 5], "every second stage and the last")
        #expect(first.stages.map(\.label) == ["original", "_conv_head + _bn1", "_blocks.14", "_blocks.13"])
        #expect(first.stages.map(\.attribution.values) == again.stages.map(\.attribution.values))
        #expect(first.stages.map(\.signedRankCorrelation) == again.stages.map(\.signedRankCorrelation))
        #expect(first.stages.last?.attribution.values != other.stages.last?.attribution.values)
        // A stage's weights do not depend on which stages are evaluated.
        let all = try attributor.sanityCheck(
            .saliency, input: s.input, seen: s.seen, target: s.target, settings: settings, stages: 5, seed: 7)
        #expect(all.stages.last?.attribution.values == first.stages.last?.attribution.values)
        #expect(first.stages.dropFirst().contains { $0.signedRankCorrelation != $0.rankCorrelation }, "signed maps differ from |map|")
        #expect(throws: InterpError.self) {
            try attributor.sanityCheck(.saliency, input: s.input, seen: s.seen, target: s.target, stages: 0)
        }
    }
}
