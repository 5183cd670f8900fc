import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Channel ablation on the real Lite0 and dog.jpg, checked against computations that do not use
/// the ablator: a hook of the test's own that rewrites the layer's values, and a copy of the model
/// whose classifier ignores the removed channels.
@Suite(.serialized) struct ChannelAblationTests {
    struct Setup {
        let model: Model
        let input: Tensor
        let logits: [Float]
    }

    static let setup: Result<Setup, Error> = Result {
        let model = try Model(named: "efficientnet-lite0")
        let photo = try RGBImage(contentsOf: AttributionTests.root.appendingPathComponent("Notebooks/images/dog.jpg"))
        let input = try model.preprocessing.tensor(from: photo)
        return Setup(model: model, input: input, logits: try GradMode.withoutGrad { try model(input) }.scalars)
    }

    /// The logits with `channels` of `layer` (its last run) set to zero by rewriting the values.
    static func zeroing(_ model: Model, _ input: Tensor, layer: String, channels: Set<Int>) throws -> [Float] {
        var runs = 0
        _ = try GradMode.withoutGrad {
            try model(input, observing: [layer]) { name, output in
                if name == layer { runs += 1 }
                return output
            }
        }
        var run = 0
        return try GradMode.withoutGrad {
            try model(input, observing: [layer]) { name, output in
                guard name == layer else { return output }
                run += 1
                guard run == runs else { return output }
                var values = try output.scalars
                let plane = output.shape[2] * output.shape[3]
                for channel in channels { for i in (channel * plane)..<((channel + 1) * plane) { values[i] = 0 } }
                return try Tensor(shape: output.shape, scalars: values)
            }
        }.scalars
    }

    static func argmax(_ values: [Float]) -> Int { values.indices.max { values[$0] < values[$1] } ?? -1 }

    @Test func ablatingNothingGivesTheOriginalLogits() throws {
        let s = try Self.setup.get()
        let ablation = try ChannelAblator(model: s.model, layer: "_blocks.10").ablate([], input: s.input)
        // Before and after come from the same layer-by-layer pass; the plain forward fuses
        // conv + batch norm + ReLU6, which rounds differently in the last bits.
        #expect(ablation.logitsAfter == ablation.logitsBefore)
        #expect(zip(ablation.logitsBefore, s.logits).map { abs($0 - $1) }.max() ?? 1 <= 1e-5)
        #expect(ablation.before == ablation.after)
        #expect(ablation.before.map(\.index) == (try s.model.topClasses(for: s.input, count: 5)).map(\.index))
        #expect(!ablation.changesTopClass)
    }

    @Test func ablatingEqualsRewritingTheValues() throws {
        let s = try Self.setup.get()
        for (layer, channels) in [("_blocks.10._project_conv", [1, 5, 90]), ("_blocks.3", Array(0..<20)), ("_relu", [7])] {
            let ablation = try ChannelAblator(model: s.model, layer: layer).ablate(channels + [channels[0]], input: s.input)
            #expect(ablation.channels == channels, "repeats dropped")
            let expected = try Self.zeroing(s.model, s.input, layer: layer, channels: Set(channels))
            #expect(expected != s.logits)
            let worst = zip(ablation.logitsAfter, expected).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-5, "\(layer): \(worst)")
        }
    }

    @Test func ablatingTheHeadEqualsZeroingTheClassifiersInputs() throws {
        let s = try Self.setup.get()
        // `_relu` at its last run is the head; after average pooling `_fc` reads channel c through
        // column c of its weight, so zeroing those columns removes the same channels.
        let channels = [3, 100, 517, 1279]
        var weights = StateDict()
        for (key, parameter) in s.model.network.namedParameters {
            weights[key] = parameter.value
        }
        let fc = try #require(weights["_fc.weight"])
        var values = try fc.scalars
        for row in 0..<fc.shape[0] { for channel in channels { values[row * fc.shape[1] + channel] = 0 } }
        weights["_fc.weight"] = try Tensor(shape: fc.shape, scalars: values)
        let copy = Model(architecture: .efficientnet_lite0)
        try copy.load(weights)
        let expected = try GradMode.withoutGrad { try copy(s.input) }.scalars
        let ablation = try ChannelAblator(model: s.model, layer: "_relu").ablate(channels, input: s.input)
        let worst = zip(ablation.logitsAfter, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(worst <= 1e-4, "\(worst)")
        #expect(abs((ablation.after.first?.logit ?? 0) - (expected.max() ?? 1)) <= 1e-4)
    }

    @Test(arguments: [
        ("dog.jpg", "_relu"), ("dog.jpg", "_blocks.12._project_conv"), ("eagle.jpg", "_blocks.15"), ("coffee.png", "_blocks.9"),
    ])
    func theFoundSetChangesTheTopClassAndEveryChannelInItIsNeeded(photo: String, layer: String) throws {
        let s = try Self.setup.get()
        let input = try s.model.preprocessing.tensor(
            from: try RGBImage(contentsOf: AttributionTests.root.appendingPathComponent("Notebooks/images/\(photo)")))
        let original = Self.argmax(try GradMode.withoutGrad { try s.model(input) }.scalars)
        let search = try ChannelAblator(model: s.model, layer: layer).search(input: input)
        #expect(search.originalClass == original)
        #expect(search.found, "\(layer): nothing found within \(search.budget)")
        #expect(search.isMinimal, "\(layer)")
        #expect(search.forwardPasses <= search.budget.maxForwardPasses + 1)
        guard let ablation = search.ablation, let greedy = search.greedy else { return }
        #expect(Set(search.channels).isSubset(of: Set(greedy)))
        if photo == "coffee.png" { #expect(search.channels.count < greedy.count, "pruning gave channels back") }
        #expect(Array(search.candidates.prefix(greedy.count)) == greedy)
        #expect(ablation.changesTopClass)
        // Independently: removing the set changes the top class…
        let after = try Self.zeroing(s.model, input, layer: layer, channels: Set(search.channels))
        #expect(Self.argmax(after) != original, "\(layer): \(search.channels)")
        #expect(Self.argmax(after) == ablation.after.first?.index)
        // …and giving back any one of its channels restores it.
        for channel in search.channels where search.channels.count > 1 {
            let back = try Self.zeroing(s.model, input, layer: layer, channels: Set(search.channels).subtracting([channel]))
            #expect(Self.argmax(back) == original, "\(layer): giving back \(channel)")
        }
        // The ranking is activation × gradient of the margin, largest drop first.
        #expect(search.ranking.count == ["_relu": 1280, "_blocks.15": 320, "_blocks.12._project_conv": 192, "_blocks.9": 112][layer])
        #expect(zip(search.ranking, search.ranking.dropFirst()).allSatisfy { $0.estimatedMarginDrop >= $1.estimatedMarginDrop })
        #expect(search.runnerUp != original)
    }

    @Test func theEstimateIsFirstOrderAccurateForTheTopChannel() throws {
        let s = try Self.setup.get()
        let ablator = try ChannelAblator(model: s.model, layer: "_relu")
        let search = try ablator.search(input: s.input, budget: AblationBudget(maxChannels: 1, maxForwardPasses: 1))
        let best = try #require(search.ranking.first)
        // At the head the logits are linear in the channels (average pooling, then `_fc`), so the
        // estimate is exact there.
        let after = try ablator.ablate([best.channel], input: s.input).logitsAfter
        let margin = { (l: [Float]) in l[search.originalClass] - l[search.runnerUp] }
        #expect(abs((margin(s.logits) - margin(after)) - best.estimatedMarginDrop) <= 1e-3 * max(1, abs(best.estimatedMarginDrop)))
    }

    @Test func budgetsAndBadChannelsAreEnforced() throws {
        let s = try Self.setup.get()
        let ablator = try ChannelAblator(model: s.model, layer: "_blocks.3")
        #expect(throws: InterpError.channelOutOfRange(layer: "_blocks.3", channel: 40, channels: 40)) {
            try ablator.ablate([0, 40], input: s.input)
        }
        let tight = try ablator.search(input: s.input, budget: AblationBudget(maxChannels: 2, maxForwardPasses: 3, batchSize: 2))
        #expect(tight.forwardPasses <= 4)
        #expect(tight.found || !tight.isMinimal)
        #expect(throws: InterpError.self) { try ablator.search(input: s.input, budget: AblationBudget(maxChannels: 0)) }
        do {
            _ = try ChannelAblator(model: s.model, layer: "_blocks.3._expand_cnv")
            Issue.record("expected an error")
        } catch let ModelError.unknownLayer(_, _, suggestions) {
            #expect(suggestions.first == "_blocks.3._expand_conv")
        }
    }
}
