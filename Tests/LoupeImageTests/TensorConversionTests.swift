import Foundation
import LoupeImage
import LoupeTensor
import Testing

/// `ToTensor` + `Normalize` against torchvision, and the inverse.
@Suite struct TensorConversionTests {
    struct TensorCase: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let source: String
        let pipeline: [PipelineStep]
        let mean: [Float]
        let std: [Float]
        let shape: [Int]
        let data: [Float]
        var testDescription: String { name }
    }

    struct File: Decodable {
        let tensors: [TensorCase]
    }

    static let cases = (try? Fixtures.load("resize.json", as: File.self).tensors) ?? []

    @Test func fixturesArePresent() {
        #expect(Self.cases.count == 3)
    }

    @Test(arguments: cases)
    func matchesTorchvisionBitForBit(_ fixture: TensorCase) throws {
        let image = try fixture.pipeline.apply(to: RGBImage(contentsOf: Fixtures.url(fixture.source)))
        let tensor = try image.tensor(mean: fixture.mean, std: fixture.std)
        #expect(tensor.shape == fixture.shape)
        let values = try tensor.scalars
        let worst = zip(values, fixture.data).map { abs($0 - $1) }.max() ?? .infinity
        #expect(values == fixture.data, "largest difference \(worst)")
    }

    @Test func unnormalisedTensorIsPixelsOver255InCHW() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 51, 255, 102, 153, 204])
        let tensor = try image.tensor()
        #expect(tensor.shape == [1, 3, 1, 2])
        #expect(try tensor.scalars == [0, Float(102) / 255, Float(51) / 255, Float(153) / 255, 1, Float(204) / 255])
    }

    @Test func normalisationUsesChannelStatistics() throws {
        let image = try RGBImage(width: 1, height: 1, pixels: [255, 0, 51])
        let tensor = try image.tensor(mean: [0.5, 0.25, 0], std: [0.5, 0.25, 2])
        #expect(try tensor.scalars == [1, -1, 0.1])
        #expect(throws: ImageError.self) { try image.tensor(mean: [0, 0], std: [1, 1, 1]) }
        #expect(throws: ImageError.self) { try image.tensor(mean: [0, 0, 0], std: [1, 0, 1]) }
        #expect(throws: ImageError.self) { try image.tensor(mean: [.nan, 0, 0], std: [1, 1, 1]) }
    }

    @Test func imageFromTensorInvertsToTensor() throws {
        var generator = SplitMix64(seed: 11)
        let image = try RGBImage(width: 5, height: 4, pixels: (0..<60).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(try RGBImage(tensor: image.tensor()) == image)
        let unbatched = try image.tensor().reshaped(to: [3, 4, 5])
        #expect(try RGBImage(tensor: unbatched) == image)
    }

    @Test func imageFromTensorClampsAndRounds() throws {
        let tensor = try Tensor(shape: [3, 1, 2], scalars: [-0.5, 1.5, 0.5, 0.499, 0.002, 0.001])
        let image = try RGBImage(tensor: tensor)
        #expect(image.pixels == [0, 128, 1, 255, 127, 0])  // 0.5·255 = 127.5 → 128; 0.002·255 = 0.51 → 1
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor(shape: [1, 1, 2, 2], scalars: [0, 0, 0, 0])) }
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor(shape: [3, 1, 1], scalars: [0, .nan, 0])) }
        #expect(throws: ImageError.self) { try RGBImage(tensor: Tensor(shape: [2, 3, 1, 1], scalars: Array(repeating: 0, count: 6))) }
    }
}
