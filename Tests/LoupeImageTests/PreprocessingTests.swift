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
        for pipeline in [Preprocessing.imagenet, Preprocessing(size: 224, resize: .exact, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5])] {
            let data = try JSONEncoder().encode(pipeline)
            #expect(try JSONDecoder().decode(Preprocessing.self, from: data) == pipeline)
        }
        #expect(Set([Preprocessing.imagenet, .imagenet]).count == 1)
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
