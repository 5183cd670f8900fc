import Foundation
import LoupeImage
import Testing

/// Model input pipelines.
@Suite struct PreprocessingTests {
    static func photo() throws -> RGBImage { try RGBImage(contentsOf: Fixtures.url("photos/dog_131x97.png")) }

    @Test func imagenetIsResize256CenterCrop224() throws {
        let pipeline = Preprocessing.imagenet
        #expect(pipeline.size == 224 && pipeline.resize == .shorterSideThenCenterCrop(resize: 256))
        #expect(pipeline.mean == [0.485, 0.456, 0.406] && pipeline.std == [0.229, 0.224, 0.225])
        let photo = try Self.photo()
        let tensor = try pipeline.tensor(from: photo)
        #expect(tensor.shape == [1, 3, 224, 224])
        let expected = try photo.resized(shorterSide: 256).centerCropped(width: 224, height: 224).tensor(
            mean: pipeline.mean, std: pipeline.std)
        #expect(try tensor.scalars == expected.scalars)
    }

    @Test func exactModeResizesBothSidesWithoutCropping() throws {
        let pipeline = Preprocessing(size: 32, resize: .exact, mean: [0, 0, 0], std: [1, 1, 1])
        let photo = try Self.photo()
        let prepared = try pipeline.preparedImage(from: photo)
        #expect(prepared == (try photo.resized(width: 32, height: 32)))
        #expect(try pipeline.tensor(from: photo).scalars == prepared.tensor().scalars)
    }

    @Test func withoutResizingNeedsTheExactSize() throws {
        let pipeline = Preprocessing(size: 64, resize: .exact, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        let photo = try Self.photo()
        #expect {
            try pipeline.tensorWithoutResizing(from: photo)
        } throws: { error in
            let message = "\(error)"
            return error as? ImageError == .sizeMismatch(expectedWidth: 64, expectedHeight: 64, width: 131, height: 97)
                && message.contains("131×97") && message.contains("64×64")
        }
        let fitting = try photo.cropped(x: 0, y: 0, width: 64, height: 64)
        let tensor = try pipeline.tensorWithoutResizing(from: fitting)
        #expect(try tensor.scalars == fitting.tensor(mean: pipeline.mean, std: pipeline.std).scalars)
    }

    @Test func codableRoundTrip() throws {
        let exact = Preprocessing(size: 224, resize: .exact, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])
        var bicubic = exact
        bicubic.interpolation = .bicubic
        for pipeline in [Preprocessing.imagenet, .clip, exact, bicubic] {
            let data = try JSONEncoder().encode(pipeline)
            #expect(try JSONDecoder().decode(Preprocessing.self, from: data) == pipeline)
        }
        #expect(Set([Preprocessing.imagenet, .imagenet]).count == 1)
        #expect(Set([exact, bicubic]).count == 2)
    }

    @Test func valuesEncodedBeforeInterpolationDecodeAsBilinear() throws {
        // What JSONEncoder wrote for `.imagenet` and an exact pipeline before `interpolation` existed.
        let imagenet =
            #"{"size":224,"resize":{"shorterSideThenCenterCrop":{"resize":256}},"mean":[0.485,0.456,0.406],"std":[0.229,0.224,0.225]}"#
        let exact = #"{"size":32,"resize":{"exact":{}},"mean":[0,0,0],"std":[1,1,1]}"#
        #expect(try JSONDecoder().decode(Preprocessing.self, from: Data(imagenet.utf8)) == .imagenet)
        let decoded = try JSONDecoder().decode(Preprocessing.self, from: Data(exact.utf8))
        #expect(decoded == Preprocessing(size: 32, resize: .exact, mean: [0, 0, 0], std: [1, 1, 1]))
        #expect(decoded.interpolation == .bilinear)
        let bicubic = #"{"size":32,"resize":{"exact":{}},"mean":[0,0,0],"std":[1,1,1],"interpolation":"bicubic"}"#
        #expect(try JSONDecoder().decode(Preprocessing.self, from: Data(bicubic.utf8)).interpolation == .bicubic)
        let unknown = #"{"size":32,"resize":{"exact":{}},"mean":[0,0,0],"std":[1,1,1],"interpolation":"lanczos"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Preprocessing.self, from: Data(unknown.utf8)) }
    }

    @Test func clipIsBicubicResize224CenterCrop224() throws {
        let pipeline = Preprocessing.clip
        #expect(pipeline.size == 224 && pipeline.resize == .shorterSideThenCenterCrop(resize: 224))
        #expect(pipeline.interpolation == .bicubic && Preprocessing.imagenet.interpolation == .bilinear)
        #expect(pipeline.mean == [0.48145466, 0.4578275, 0.40821073] && pipeline.std == [0.26862954, 0.26130258, 0.27577711])
        let photo = try Self.photo()
        let prepared = try pipeline.preparedImage(from: photo)
        #expect(prepared == (try photo.resized(shorterSide: 224, filter: .bicubic).centerCropped(width: 224, height: 224)))
        #expect(prepared != (try photo.resized(shorterSide: 224).centerCropped(width: 224, height: 224)))
        var exact = pipeline
        exact.resize = .exact
        #expect(try exact.preparedImage(from: photo) == photo.resized(width: 224, height: 224, filter: .bicubic))
        #expect(try pipeline.input(from: photo, fit: .exact).seen == photo.resized(width: 224, height: 224, filter: .bicubic))
    }

    struct CLIPFixture: Decodable {
        let source: String
        let pipeline: [PipelineStep]
        let mean: [Float]
        let std: [Float]
        let picture: PhotoParityTests.Summary
        let shape: [Int]
        let channelMeans: [Double]
        /// torchvision's `Normalize(ToTensor(byte))` for each channel and byte value.
        let table: [[Float]]
        /// `[flat index, value]` of torchvision's tensor.
        let samples: [[Double]]

        enum CodingKeys: String, CodingKey {
            case source, pipeline, mean, std, picture, shape, table, samples
            case channelMeans = "channel_means"
        }
    }

    @Test func clipMatchesTorchvisionOnTheNotebookDog() throws {
        let fixture = try Fixtures.load("clip.json", as: CLIPFixture.self)
        #expect(fixture.mean == Preprocessing.clip.mean && fixture.std == Preprocessing.clip.std)
        let image = try RGBImage(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(fixture.source))
        // The picture: torchvision's Resize(224, BICUBIC) + CenterCrop(224), byte for byte.
        let picture = try Preprocessing.clip.preparedImage(from: image)
        #expect(picture == (try fixture.pipeline.apply(to: image)))
        let sampled = fixture.picture.check(picture, "CLIP picture")
        #expect(sampled.max == 0)
        // The tensor: every element against torchvision's value for its channel and byte (the
        // picture's bytes being torchvision's, this is torchvision's whole tensor).
        let tensor = try Preprocessing.clip.tensor(from: image)
        #expect(tensor.shape == fixture.shape)
        let values = try tensor.scalars
        let plane = 224 * 224
        var largest: Float = 0
        for c in 0..<3 {
            for i in 0..<plane {
                largest = max(largest, abs(values[c * plane + i] - fixture.table[c][Int(picture.pixels[3 * i + c])]))
            }
            let mean = values[(c * plane)..<((c + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane)
            #expect(abs(mean - fixture.channelMeans[c]) < 1e-6, "channel \(c) mean \(mean)")
        }
        print("CLIP pipeline parity on dog.jpg: largest difference from torchvision \(largest)")
        #expect(largest <= 1e-6)
        for sample in fixture.samples {
            #expect(abs(values[Int(sample[0])] - Float(sample[1])) <= 1e-6, "tensor element \(Int(sample[0]))")
        }
    }

    @Test func invalidPipelinesThrow() throws {
        let photo = try Self.photo()
        #expect(throws: ImageError.self) {
            try Preprocessing(size: 0, resize: .exact, mean: [0, 0, 0], std: [1, 1, 1]).tensor(from: photo)
        }
        #expect(throws: ImageError.self) {
            try Preprocessing(size: 8, resize: .shorterSideThenCenterCrop(resize: -3), mean: [0, 0, 0], std: [1, 1, 1]).tensor(from: photo)
        }
        #expect(throws: ImageError.self) { try Preprocessing(size: 8, resize: .exact, mean: [0], std: [1]).tensor(from: photo) }
    }
}
