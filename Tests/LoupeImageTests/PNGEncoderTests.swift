import CPNG
import Foundation
import LoupeTensor
import Testing

@testable import LoupeImage

/// PNG encoding: round trips, deterministic bytes, argument checks.
@Suite struct PNGEncoderTests {
    static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    @Test func rgbRoundTrip() throws {
        let image = try RGBImage(width: 31, height: 17, pixels: Self.noise(31 * 17 * 3, seed: 1))
        let png = try image.pngData()
        #expect(png.starts(with: ImageFormat.pngSignature))
        #expect(try RGBImage(data: png, name: "round-trip.png") == image)
    }

    @Test(arguments: PNGEncoder.PixelFormat.allCases)
    func everyFormatRoundTripsThroughLibpng(_ format: PNGEncoder.PixelFormat) throws {
        let (width, height) = (23, 11)
        let pixels = Self.noise(width * height * format.channels, seed: 2)
        let png = try PNGEncoder().encode(width: width, height: height, format: format, pixels: pixels)
        let stream = try PNGChunkStream([UInt8](png), name: "encoded")
        #expect(stream.header.bitDepth == 8)
        #expect(stream.header.colorType == [PNGEncoder.PixelFormat.grey: 0, .rgb: 2, .rgba: 6][format])
        // Read back in the same layout (alpha included) with the decoder's libpng reader.
        let back = try PNGDecoder.read(
            stream.data, format: format.libpngFormat, channels: format.channels, of: UInt8.self,
            header: stream.header, name: "encoded")
        #expect(back == pixels)
        // And through the public decoder: grey replicated, alpha dropped.
        let rgb = try RGBImage(data: png, name: "encoded")
        for i in 0..<(width * height) {
            let expected: SIMD3<UInt8> =
                switch format {
                case .grey: SIMD3(repeating: pixels[i])
                case .rgb: SIMD3(pixels[3 * i], pixels[3 * i + 1], pixels[3 * i + 2])
                case .rgba: SIMD3(pixels[4 * i], pixels[4 * i + 1], pixels[4 * i + 2])
                }
            #expect(rgb.pixel(x: i % width, y: i / width) == expected)
        }
    }

    @Test func bytesAreDeterministicAndCarryNoTimestamp() throws {
        let pixels = Self.noise(40 * 30 * 4, seed: 3)
        let first = try PNGEncoder().encode(width: 40, height: 30, format: .rgba, pixels: pixels)
        let second = try PNGEncoder().encode(width: 40, height: 30, format: .rgba, pixels: pixels)
        #expect(first == second)
        let types = PNGDecoderTests.chunkTypes([UInt8](first))
        #expect(!types.contains("tIME") && !types.contains("tEXt") && !types.contains("iTXt"))
        #expect(types.first == "IHDR" && types.last == "IEND" && types.contains("IDAT"))
    }

    @Test func incompressibleAndLargeImagesFit() throws {
        // Noise does not compress, so this exercises the buffer estimate.
        let pixels = Self.noise(300 * 200 * 3, seed: 4)
        let image = try RGBImage(width: 300, height: 200, pixels: pixels)
        #expect(try RGBImage(data: try image.pngData(), name: "noise.png") == image)
        let fast = try PNGEncoder(fast: true).encode(width: 300, height: 200, format: .rgb, pixels: pixels)
        #expect(try RGBImage(data: fast, name: "fast.png") == image)
    }

    @Test func rejectsBadArguments() {
        #expect(throws: ImageError.pixelCountMismatch(width: 2, height: 2, channels: 4, count: 12)) {
            try PNGEncoder().encode(width: 2, height: 2, format: .rgba, pixels: Array(repeating: 0, count: 12))
        }
        #expect(throws: ImageError.self) { try PNGEncoder().encode(width: 0, height: 2, format: .grey, pixels: []) }
    }
}
