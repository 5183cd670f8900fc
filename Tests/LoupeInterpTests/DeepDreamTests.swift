import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Deep dream on the real EfficientNet-Lite0 and a real photo.
@Suite(.serialized) struct DeepDreamTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let setup = Result { () throws -> (Model, RGBImage) in
        let model = try Model(named: "efficientnet-lite0")
        let photo = try RGBImage(contentsOf: root.appendingPathComponent("Notebooks/images/dog.jpg"))
        return (model, try model.preprocessing.preparedImage(from: photo))
    }

    @Test func dreamingRaisesTheLayerNorm() throws {
        let (model, picture) = try Self.setup.get()
        var settings = DeepDreamSettings()
        settings.octaves = 2
        settings.steps = 6
        settings.jitter = 4
        let dream = try model.deepDream(picture, layer: "_blocks.7", settings: settings)
        #expect(dream.norms.count == 12)
        #expect(dream.octaveOfStep == [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
        #expect(dream.octaveSizes == [[160, 160], [224, 224]])
        let lastOctave = Array(dream.norms.suffix(6))
        #expect(lastOctave.last ?? 0 > 1.1 * (lastOctave.first ?? 0), "norms in the full-size octave: \(lastOctave)")
        #expect(dream.finalNorm > 1.3 * dream.startNorm, "‖_blocks.7‖ \(dream.startNorm) → \(dream.finalNorm)")
        #expect((dream.image.width, dream.image.height) == (224, 224))
        #expect(dream.image != picture)
    }

    @Test func oneOctaveIsTheLecturesLoopAndIsDeterministic() throws {
        let (model, picture) = try Self.setup.get()
        var settings = DeepDreamSettings()
        settings.octaves = 1
        settings.steps = 4
        let a = try model.deepDream(picture, layer: "_blocks.7", settings: settings)
        let b = try model.deepDream(picture, layer: "_blocks.7", settings: settings)
        #expect(a.image == b.image && a.norms == b.norms)
        #expect(Swift.abs(a.norms[0] - a.startNorm) < 1e-3 * a.startNorm, "the first step sees the original picture")
        #expect(zip(a.norms, a.norms.dropFirst()).allSatisfy { $1 > $0 }, "every step raises the norm: \(a.norms)")
    }

    @Test func badLayersAndSettingsThrow() throws {
        let (model, picture) = try Self.setup.get()
        #expect(throws: ModelError.self) { try model.deepDream(picture, layer: "_blocks.77") }
        var settings = DeepDreamSettings()
        settings.octaves = 9
        #expect(throws: InterpError.self) { try model.deepDream(picture, layer: "_blocks.7", settings: settings) }
        settings.octaves = 2
        settings.octaveScale = 1
        #expect(throws: InterpError.self) { try model.deepDream(picture, layer: "_blocks.7", settings: settings) }
    }
}
