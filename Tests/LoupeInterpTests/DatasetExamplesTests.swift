import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Dataset examples on the real Lite0 and the photos in Notebooks/images (plus Debian darknet's
/// photos where a test says so), checked against activations captured independently, one image
/// per forward pass.
@Suite(.serialized) struct DatasetExamplesTests {
    static let images = AttributionTests.root.appendingPathComponent("Notebooks/images")
    static let darknet = URL(fileURLWithPath: "/usr/share/darknet/data")
    static let model: Result<Model, Error> = Result { try Model(named: "efficientnet-lite0") }

    /// The channel's feature map for one image, from a hook of the test's own.
    static func featureMap(_ model: Model, _ file: URL, layer: String, channel: Int) throws -> (values: [Float], width: Int) {
        let input = try model.preprocessing.tensor(from: try RGBImage(contentsOf: file))
        var captured: Tensor?
        _ = try GradMode.withoutGrad {
            try model(input) { name, output in
                if name == layer { captured = output }
                return output
            }
        }
        let output = try #require(captured)
        let (h, w) = (output.shape[2], output.shape[3])
        return (Array(try output.scalars[(channel * h * w)..<((channel + 1) * h * w)]), w)
    }

    @Test func rankingMatchesActivationsCapturedPerImage() throws {
        let model = try Self.model.get()
        let files = try DatasetExamples.imageFiles(in: Self.images)
        #expect(
            files.map(\.lastPathComponent) == [
                "astronaut.png", "chelsea.png", "coffee.png", "dog.jpg", "eagle.jpg", "giraffe.jpg", "horses.jpg", "person.jpg",
                "rocket.jpg",
            ])
        // Both scores on one layer, the maximum on two more.
        let cases: [(String, Int, [ActivationScore])] = [
            ("_blocks.9", 17, [.max, .mean]), ("_conv_head", 3, [.max]), ("_blocks.2._depthwise_conv", 40, [.max]),
        ]
        for (layer, channel, scores) in cases {
            let expected = try files.map { file -> (name: String, maximum: Float, mean: Float) in
                let map = try Self.featureMap(model, file, layer: layer, channel: channel).values
                return (file.lastPathComponent, map.max() ?? 0, map.reduce(0, +) / Float(map.count))
            }
            for score in scores {
                let examples = try DatasetExamples(
                    model: model, layer: layer, channel: channel, files: files,
                    count: files.count, score: score, batchSize: 3)
                #expect(examples.imageCount == files.count)
                #expect(examples.skipped.isEmpty)
                let key: ((name: String, maximum: Float, mean: Float)) -> Float = { score == .max ? $0.maximum : $0.mean }
                let order = expected.sorted { key($0) > key($1) }
                #expect(examples.examples.map(\.name) == order.map(\.name), "\(layer):\(channel) by \(score)")
                for (example, reference) in zip(examples.examples, order) {
                    #expect(abs(example.maximum - reference.maximum) <= 1e-4 * max(1, abs(reference.maximum)), "\(example.name)")
                    #expect(abs(example.mean - reference.mean) <= 1e-4 * max(1, abs(reference.mean)), "\(example.name)")
                    #expect(example.score == (score == .max ? example.maximum : example.mean))
                }
            }
        }
        let top = try DatasetExamples(model: model, layer: "_blocks.9", channel: 17, files: files, count: 2)
        #expect(top.examples.count == 2)
    }

    @Test func thePatchIsTheReceptiveFieldOfTheMaximum() throws {
        let model = try Self.model.get()
        let files = try DatasetExamples.imageFiles(in: Self.images)
        let layer = "_blocks.4", channel = 7
        let result = try DatasetExamples(model: model, layer: layer, channel: channel, files: files, count: 4)
        let field = result.receptiveField
        #expect(field.layer == layer)
        for example in result.examples {
            let (map, width) = try Self.featureMap(model, example.file, layer: layer, channel: channel)
            let location = example.location
            #expect(map[location.row * width + location.column] == map.max(), "the location holds the maximum")
            #expect(map.firstIndex(of: map.max() ?? 0) == location.row * width + location.column)
            // The field of a position at stride s starts at origin + s·index, clipped to the image.
            let top = max(field.vertical.origin + location.row * field.vertical.stride, 0)
            let left = max(field.horizontal.origin + location.column * field.horizontal.stride, 0)
            let bottom = min(field.vertical.origin + location.row * field.vertical.stride + field.vertical.size, 224)
            let right = min(field.horizontal.origin + location.column * field.horizontal.stride + field.horizontal.size, 224)
            #expect(example.region == PixelRegion(top: top, left: left, height: bottom - top, width: right - left))
            let seen = try model.preprocessing.preparedImage(from: try RGBImage(contentsOf: example.file))
            #expect(example.image == seen)
            #expect(example.patch == (try seen.cropped(x: left, y: top, width: right - left, height: bottom - top)))
            // Independently: the maximum's gradient with respect to the input is zero outside the
            // patch and not zero inside it.
            let input = try model.preprocessing.tensor(from: seen)
            let support = try ReceptiveFieldTests.gradientSupport(
                model, layer: layer, channel: channel, row: location.row,
                column: location.column, input: input)
            #expect(!support.isEmpty)
            #expect(support.allSatisfy { example.region.contains(row: $0[0], column: $0[1]) }, "\(example.name)")
        }
    }

    @Test func unreadableFilesAreSkippedAndNamed() throws {
        let model = try Self.model.get()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-examples-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["dog.jpg", "chelsea.png"] {
            try FileManager.default.copyItem(at: Self.images.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("broken.JPG"))
        try Data("notes".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let files = try DatasetExamples.imageFiles(in: folder)
        #expect(files.map(\.lastPathComponent) == ["broken.JPG", "chelsea.png", "dog.jpg"])
        let result = try DatasetExamples(model: model, layer: "_conv_head", channel: 0, files: files)
        #expect(result.imageCount == 2)
        #expect(result.examples.count == 2)
        #expect(result.skipped.map(\.file.lastPathComponent) == ["broken.JPG"])
        #expect(result.skipped.first?.reason.hasPrefix("not a PNG or JPEG image (it starts with 6E 6F 74") == true, "without the path")
        #expect(throws: DatasetError.self) {
            try DatasetExamples(model: model, layer: "_conv_head", channel: 0, files: [folder.appendingPathComponent("broken.JPG")])
        }
    }

    @Test func badInputsGiveClearErrors() throws {
        let model = try Self.model.get()
        let files = try DatasetExamples.imageFiles(in: Self.images)
        do {
            _ = try DatasetExamples(model: model, layer: "_blocks.9._project_cnv", channel: 0, files: files)
            Issue.record("expected an error")
        } catch let ModelError.unknownLayer(_, _, suggestions) {
            #expect(suggestions.first == "_blocks.9._project_conv")
        }
        #expect(throws: InterpError.channelOutOfRange(layer: "_conv_head", channel: 1280, channels: 1280)) {
            try DatasetExamples(model: model, layer: "_conv_head", channel: 1280, files: files)
        }
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        #expect(throws: DatasetError.noImages(path: empty.path)) { try DatasetExamples.imageFiles(in: empty) }
        let missing = empty.appendingPathComponent("nowhere")
        #expect(throws: DatasetError.missingFolder(path: missing.path)) { try DatasetExamples.imageFiles(in: missing) }
        #expect(DatasetError.missingFolder(path: "x").description == "the folder 'x' does not exist")
        #expect(throws: DatasetError.notAFolder(path: files[0].path)) { try DatasetExamples.imageFiles(in: files[0]) }
    }
}
