import Foundation
import Testing

@testable import LoupeImage

/// Bicubic (and bilinear) resampling of synthetic pictures and a real photo against PIL 9.4, byte
/// for byte (`resample.json`, written by `Scripts/parity/images.py`).
@Suite struct ResamplerTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let source: String
        let pipeline: [PipelineStep]
        let width: Int
        let height: Int
        let crc32: UInt32
        /// PIL's output, saved as a PNG.
        let expected: String
        var testDescription: String { name }
    }

    struct Photo: Decodable, Sendable {
        let name: String
        let source: String
        /// `[x, y, width, height]` of the crop resized.
        let crop: [Int]
        let pipeline: [PipelineStep]
        let summary: PhotoParityTests.Summary

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            source = try container.decode(String.self, forKey: .source)
            crop = try container.decode([Int].self, forKey: .crop)
            pipeline = try container.decode([PipelineStep].self, forKey: .pipeline)
            summary = try PhotoParityTests.Summary(from: decoder)
        }

        enum CodingKeys: String, CodingKey { case name, source, crop, pipeline }
    }

    struct File: Decodable {
        let cases: [Case]
        let photo: Photo
    }

    static let file = try? Fixtures.load("resample.json", as: File.self)
    static let cases = file?.cases ?? []

    @Test func fixturesArePresent() {
        #expect(Self.cases.count >= 15)
        #expect(Self.cases.contains { $0.pipeline.first?.interpolation == .bicubic && $0.width == 1 })
        #expect(Self.file?.photo.summary.width == 298)
    }

    @Test(arguments: cases)
    func matchesPIL(_ fixture: Case) throws {
        let source = try RGBImage(contentsOf: Fixtures.url(fixture.source))
        let expected = try RGBImage(contentsOf: Fixtures.url(fixture.expected))
        #expect(CRC32.checksum(expected.pixels) == fixture.crc32, "the expected PNG does not decode to PIL's bytes")
        let out = try fixture.pipeline.apply(to: source)
        #expect(out.width == fixture.width && out.height == fixture.height)
        let difference = PixelDifference(out.pixels, expected.pixels)
        print("resample parity \(fixture.name): \(difference)")
        #expect(out.pixels == expected.pixels, "\(difference)")
    }

    @Test func photoCropMatchesPIL() throws {
        let photo = try #require(Self.file?.photo)
        let image = try RGBImage(contentsOf: Fixtures.repositoryRoot.appendingPathComponent(photo.source))
        let crop = try image.cropped(x: photo.crop[0], y: photo.crop[1], width: photo.crop[2], height: photo.crop[3])
        let out = try photo.pipeline.apply(to: crop)
        let difference = photo.summary.check(out, photo.name)
        print("resample parity \(photo.name): sampled \(difference)")
        #expect(difference.max == 0)
    }

    @Test func bicubicKernelIsKeysWithAMinusHalf() {
        let values = [0, 0.5, 1, 1.5, 2, 2.5].map { Interpolation.bicubic.weight($0) }
        #expect(values == [1, 0.5625, 0, -0.0625, 0, 0])
        #expect(Interpolation.bicubic.weight(-1.5) == -0.0625)
        #expect([0, 0.25, 1, 3].map { Interpolation.bilinear.weight($0) } == [1, 0.75, 0, 0])
    }

    @Test func supportStretchesWithTheDownscaleFactor() {
        // 37 → 16 shrinks by 2.3125: support 4.625 input pixels, PIL's ksize = ceil(4.625) * 2 + 1.
        let down = Resampler.Axis(inputSize: 37, outputSize: 16, filter: .bicubic)
        #expect(down.stride == 11)
        #expect(down.counts.max() == 10)
        // Upscaling keeps support 2: at most four taps, five slots.
        let up = Resampler.Axis(inputSize: 50, outputSize: 224, filter: .bicubic)
        #expect(up.stride == 5 && up.counts.max() == 4)
        #expect(Resampler.Axis(inputSize: 50, outputSize: 224, filter: .bilinear).stride == 3)
        // Interior weights sum to one in fixed point, give or take the rounding of each tap.
        for out in 0..<up.counts.count {
            let sum = (0..<up.counts[out]).reduce(0) { $0 + up.weights[out * up.stride + $1] }
            #expect(abs(sum - (1 << Resampler.precisionBits)) <= up.counts[out])
        }
    }

    @Test func bicubicClipsItsOvershoot() throws {
        // A black/white step upscaled: the kernel's negative lobes ring below 0 and above 255.
        let axis = Resampler.Axis(inputSize: 8, outputSize: 32, filter: .bicubic)
        let sums = (0..<32).map { out in
            (0..<axis.counts[out]).reduce(0) { $0 + (axis.starts[out] + $1 >= 4 ? 255 : 0) * axis.weights[out * axis.stride + $1] }
        }
        #expect(sums.contains { $0 < 0 } && sums.contains { $0 >> Resampler.precisionBits > 255 })
        // Clipped, not wrapped: the dark half stays dark and the light half light.
        let step = try RGBImage(width: 8, height: 1, pixels: (0..<8).flatMap { x in Array(repeating: UInt8(x < 4 ? 0 : 255), count: 3) })
        let out = try step.resized(width: 32, height: 1, filter: .bicubic)
        #expect(out.pixels[..<48].allSatisfy { $0 < 128 } && out.pixels[48...].allSatisfy { $0 >= 128 })
        #expect(out.pixels[..<36].allSatisfy { $0 == 0 } && out.pixels[60...].allSatisfy { $0 == 255 })
        #expect(out != (try step.resized(width: 32, height: 1)))
        let flat = try RGBImage(width: 9, height: 13, pixels: Array(repeating: 200, count: 9 * 13 * 3))
        for (w, h) in [(4, 4), (20, 3), (1, 1), (31, 40)] {
            #expect(try flat.resized(width: w, height: h, filter: .bicubic).pixels.allSatisfy { $0 == 200 }, "\(w)×\(h)")
        }
    }
}
