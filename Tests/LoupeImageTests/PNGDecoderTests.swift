import CPNG
import Foundation
import Testing

@testable import LoupeImage

/// PNG decoding against PIL 9.4's `convert("RGB")`, byte for byte.
@Suite struct PNGDecoderTests {
    static let cases = Fixtures.decodeCases.filter { $0.file.hasSuffix(".png") }
    /// 16-bit RGBA is exact only where pixels are opaque (see `PNGDecoder.decodeRGBA16`).
    static let exactCases = cases.filter { !$0.file.contains("rgba16") }
    static let rgba16Cases = cases.filter { $0.file.contains("rgba16") }

    @Test func fixturesCoverEveryLayout() {
        let names = Set(Self.cases.map { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent })
        for layout in [
            "grey1", "grey2", "grey4", "grey8", "grey16", "greyalpha8", "greyalpha16", "palette8_trns", "rgb8",
            "rgb8_interlaced", "rgb16", "rgba8", "rgba16", "rgba16_interlaced",
        ] {
            #expect(names.contains(layout), "decode.json lacks \(layout)")
        }
    }

    @Test(arguments: exactCases)
    func matchesPIL(_ fixture: DecodeCase) throws {
        let image = try RGBImage(contentsOf: Fixtures.url(fixture.file))
        #expect(image.width == fixture.width && image.height == fixture.height, "\(fixture.note)")
        let difference = PixelDifference(image.pixels, fixture.pixels)
        #expect(image.pixels == fixture.pixels, "\(fixture.note): \(difference)")
    }

    @Test func sixteenBitGreyIsClippedLikePIL() throws {
        // Values 0, 100, 255, 256, 65535 in one column: PIL's mode I → RGB clips at 255.
        let values: [UInt16] = [0, 100, 255, 256, 65535]
        let png = Self.png(
            width: 1, height: values.count, bitDepth: 16, colorType: 0,
            rows: values.map { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
        let image = try RGBImage(data: png, name: "grey16")
        #expect(image.pixels == [0, 100, 255, 255, 255].flatMap { [UInt8($0), UInt8($0), UInt8($0)] })
    }

    @Test func gammaChunksAreIgnored() throws {
        let plain = try RGBImage(contentsOf: Fixtures.url("decode/rgb8.png"))
        let withGamma = try RGBImage(contentsOf: Fixtures.url("decode/rgb8_gamma.png"))
        #expect(plain == withGamma)
        let rgb16 = try RGBImage(contentsOf: Fixtures.url("decode/rgb16.png"))
        let rgb16sRGB = try RGBImage(contentsOf: Fixtures.url("decode/rgb16_srgb.png"))
        #expect(rgb16 == rgb16sRGB)
    }

    @Test func transparentColourIsKeptNotComposited() throws {
        // rgb8_trns.png marks the colour of pixel (0, 0) transparent; libpng would composite it onto black.
        let image = try RGBImage(contentsOf: Fixtures.url("decode/rgb8_trns.png"))
        let plain = try RGBImage(contentsOf: Fixtures.url("decode/rgb8.png"))
        #expect(image == plain)
        #expect(image.pixel(x: 0, y: 0) != SIMD3(0, 0, 0))
    }

    @Test func chunkStreamDropsConvertingChunksAndRewritesGreyAlpha16() throws {
        let bytes = [UInt8](try Fixtures.data("decode/greyalpha16.png"))
        let stream = try PNGChunkStream(bytes, name: "ga16")
        #expect(stream.header == .init(width: 13, height: 9, bitDepth: 16, colorType: 4, interlaced: false))
        // The rewritten IHDR: 8-bit RGBA with a valid CRC.
        #expect(Array(stream.data[24..<26]) == [8, 6])
        #expect(CRC32.checksum(stream.data[12..<29]) == PNGChunkStream.bigEndian32(stream.data, at: 29))

        let gamma = try PNGChunkStream([UInt8](try Fixtures.data("decode/rgb8_gamma.png")), name: "gamma")
        let kinds = Self.chunkTypes(gamma.data)
        #expect(!kinds.contains("gAMA") && !kinds.contains("cHRM") && !kinds.contains("iCCP"))
        #expect(kinds.first == "IHDR" && kinds.last == "IEND")
    }

    @Test func missingEndChunkIsTolerated() throws {
        // PIL stops once the image data is complete; so does Loupe.
        let bytes = [UInt8](try Fixtures.data("decode/rgb8.png"))
        let withoutEnd = Data(bytes.dropLast(12))
        let image = try RGBImage(data: withoutEnd, name: "no-iend.png")
        #expect(image == (try RGBImage(data: Data(bytes), name: "rgb8.png")))
    }

    @Test func exifChunkTurnsTheImage() throws {
        let upright = try RGBImage(contentsOf: Fixtures.url("decode/rgb8_exif6.png"))
        let stored = try RGBImage(contentsOf: Fixtures.url("decode/rgb8_exif6.png"), applyingOrientation: false)
        #expect(stored == (try RGBImage(contentsOf: Fixtures.url("decode/rgb8.png"))))
        #expect(upright == stored.transposed(.rotate270))
    }

    @Test(arguments: rgba16Cases)
    func rgba16IsExactWhereOpaque(_ fixture: DecodeCase) throws {
        let url = try Fixtures.url(fixture.file)
        let image = try RGBImage(contentsOf: url)
        // Alpha, exactly, from the premultiplying 16-bit read.
        let stream = try PNGChunkStream([UInt8](try Data(contentsOf: url)), name: fixture.file)
        let linear = try PNGDecoder.read(
            stream.data, format: PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA,
            channels: 4, of: UInt16.self, header: stream.header, name: fixture.file)
        var opaque = 0, partial = 0, transparent = 0, offByOne = 0
        for i in 0..<(fixture.width * fixture.height) {
            let alpha = linear[4 * i + 3]
            for c in 0..<3 {
                let (actual, expected) = (Int(image.pixels[3 * i + c]), Int(fixture.pixels[3 * i + c]))
                if alpha == 65535 {
                    #expect(actual == expected, "opaque pixel \(i)")
                } else if alpha == 0 && stream.header.interlaced {
                    #expect(actual == 0, "transparent pixel \(i) of an interlaced file is black")
                } else {
                    #expect(abs(actual - expected) <= 1, "pixel \(i) with alpha \(alpha): \(actual) vs \(expected)")
                    if actual != expected { offByOne += 1 }
                }
            }
            if alpha == 65535 { opaque += 1 } else if alpha == 0 { transparent += 1 } else { partial += 1 }
        }
        #expect(opaque >= 39 && partial >= 30 && transparent >= 13, "the fixture mixes opaque, partial and transparent pixels")
        print(
            "rgba16 \(fixture.file): \(opaque) opaque (exact), \(partial) partial, \(transparent) transparent; \(offByOne) samples one level off"
        )
    }

    /// Chunk types in order.
    static func chunkTypes(_ png: [UInt8]) -> [String] {
        var types: [String] = []
        var position = 8
        while position + 12 <= png.count {
            let length = Int(PNGChunkStream.bigEndian32(png, at: position))
            types.append(String(decoding: png[(position + 4)..<(position + 8)], as: UTF8.self))
            position += 12 + length
        }
        return types
    }

    /// A PNG with unfiltered rows, built with the chunk writer under test's sibling.
    static func png(width: Int, height: Int, bitDepth: UInt8, colorType: UInt8, rows: [[UInt8]]) -> Data {
        var out = ImageFormat.pngSignature
        let header: [UInt8] = Self.bigEndian(UInt32(width)) + Self.bigEndian(UInt32(height)) + [bitDepth, colorType, 0, 0, 0]
        PNGChunkStream.appendChunk("IHDR", header, to: &out)
        PNGChunkStream.appendChunk("IDAT", Self.storedZlib(rows.flatMap { [0] + $0 }), to: &out)
        PNGChunkStream.appendChunk("IEND", [], to: &out)
        return Data(out)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// A zlib stream of uncompressed ("stored") blocks, so tests need no compressor.
    static func storedZlib(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let n = min(65535, data.count - offset)
            let final: UInt8 = offset + n == data.count ? 1 : 0
            out += [final, UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += data[offset..<(offset + n)]
            offset += n
        } while offset < data.count
        // Adler-32.
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in data {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        return out + bigEndian(b << 16 | a)
    }
}
