import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Text-side probing on the tiny random CLIP ResNet of the model tests (64×64 inputs), with a
/// zero-shot head of random label vectors: each reading is the channel's mean for the text
/// drawn on the blank canvas, as a plain forward pass gives it.
@Suite struct WrittenTextTests {
    static let model = Result { () throws -> Model in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let clip = try CLIPModel(weights: root.appendingPathComponent("Tests/LoupeModelsTests/Fixtures/clip/tiny-rn.safetensors"))
        var rng = SplitMix64(seed: 5)
        let labels = try CLIPModel.unitRows(try Tensor.randomNormal([3, clip.configuration.embedDimension], using: &rng))
        let classifier = ZeroShotClassifier(labels: ["a", "b", "c"], classEmbeddings: labels, logitScale: 10)
        return try clip.zeroShotModel(classifier)
    }

    @Test func anagramsKeepEachWordsLettersAndEverythingElse() {
        var rng = SplitMix64(seed: 1)
        let texts = ["spider-man", "a web, of lies", "Trump", "zz", "été 2024"]
        let scrambled = texts.map { WrittenText.scrambled($0, using: &rng) }
        for (text, anagram) in zip(texts, scrambled) {
            #expect(anagram.count == text.count)
            for (a, b) in zip(text, anagram) where !a.isLetter { #expect(a == b, "\(text) → \(anagram)") }
            let words = { (s: String) in s.split { !$0.isLetter }.map { String($0.sorted()) } }
            #expect(words(text) == words(anagram), "\(text) → \(anagram)")
        }
        #expect(scrambled[0] != texts[0] && scrambled[2] != texts[2], "a word of different letters always changes")
        #expect(scrambled[3] == "zz")
        var again = SplitMix64(seed: 1)
        #expect(texts.map { WrittenText.scrambled($0, using: &again) } == scrambled)
    }

    @Test func readingsAreTheChannelsMeanOnTheDrawnText() throws {
        let model = try Self.model.get()
        let texts = ["spider", "web", "a dog"]
        let probed = try WrittenText(model: model, layer: "visual.layer4", channel: 5, texts: texts, seed: 3)
        #expect(probed.side == 64)
        #expect(probed.readings.map(\.text) == texts)
        let canvas = try WrittenText.blankCanvas(side: 64)
        let widest = try probed.readings.flatMap { [$0.text, $0.scrambled] }.map {
            try canvas.textBounds($0, style: probed.style)?.width ?? 0
        }
        #expect((widest.max() ?? 0) <= 58)
        func mean(_ image: RGBImage, layer: String, channel: Int) throws -> Double {
            let input = try model.preprocessing.input(from: image, fit: .asIs).tensor
            let output = try GradMode.withoutGrad { try model.forward(input, capturing: [layer]) }
            let map = try #require(output.activations[layer])
            let positions = map.rank == 4 ? map.shape[2] * map.shape[3] : 1
            let values = try map.scalars[(channel * positions)..<((channel + 1) * positions)]
            return values.reduce(0.0) { $0 + Double($1) } / Double(positions)
        }
        let tolerance = { (x: Double) in 1e-4 * max(1, abs(x)) }
        #expect(abs(probed.blank - (try mean(canvas, layer: "visual.layer4", channel: 5))) < tolerance(probed.blank))
        for reading in probed.readings {
            let direct = try mean(try canvas.drawingText(reading.text, style: probed.style), layer: "visual.layer4", channel: 5)
            #expect(abs(reading.activation - direct) < tolerance(direct), "\(reading.text): \(reading.activation) vs \(direct)")
            let anagram = try mean(try canvas.drawingText(reading.scrambled, style: probed.style), layer: "visual.layer4", channel: 5)
            #expect(abs(reading.scrambledActivation - anagram) < tolerance(anagram))
        }
        #expect(Set(probed.readings.map(\.activation)).count == 3, "different texts give different activations")
        // A vector layer: the zero-shot logit of label 1.
        let logits = try WrittenText(model: model, layer: "classifier", channel: 1, texts: texts, seed: 3)
        let first = try mean(try canvas.drawingText("spider", style: logits.style), layer: "classifier", channel: 1)
        #expect(abs(logits.readings[0].activation - first) < tolerance(first))
    }

    @Test func badRequestsAreRefused() throws {
        let model = try Self.model.get()
        #expect(throws: InterpError.self) { try WrittenText(model: model, layer: "visual.layer4", channel: 0, texts: []) }
        #expect(throws: InterpError.self) { try WrittenText(model: model, layer: "visual.layer4", channel: 9999, texts: ["cat"]) }
        #expect(throws: ModelError.self) { try WrittenText(model: model, layer: "visual.layer9", channel: 0, texts: ["cat"]) }
    }
}
