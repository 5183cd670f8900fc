import Foundation
import Testing

@testable import LoupeImage

/// JPEG decoding against PIL 9.4 (both on libjpeg-turbo 2.1.5), byte for byte.
@Suite struct JPEGDecoderTests {
    static let cases = Fixtures.decodeCases.filter { $0.file.hasSuffix(".jpg") }

    @Test func fixturesCoverEveryVariant() {
        let names = Set(Self.cases.map { URL(fileURLWithPath: $0.file).deletingPathExtension().lastPathComponent })
        let expected = ["rgb444", "rgb422", "rgb420", "progressive", "grey", "cmyk"] + (1...8).map { "orientation\($0)" }
        for variant in expected {
            #expect(names.contains(variant), "decode.json lacks \(variant)")
        }
    }

    @Test(arguments: cases)
    func matchesPIL(_ fixture: DecodeCase) throws {
        let image = try RGBImage(contentsOf: Fixtures.url(fixture.file))
        #expect(image.width == fixture.width && image.height == fixture.height, "\(fixture.note)")
        let difference = PixelDifference(image.pixels, fixture.pixels)
        #expect(image.pixels == fixture.pixels, "\(fixture.note): \(difference)")
    }

    @Test(arguments: 1...8)
    func orientationIsReadAndCanBeIgnored(_ value: Int) throws {
        let bytes = [UInt8](try Fixtures.data("decode/orientation\(value).jpg"))
        let structure = JPEGStructure(bytes)
        #expect(structure.ending == .complete)
        let payload = try #require(structure.exif)
        #expect(ExifOrientation(tiff: payload)?.rawValue == value)

        let stored = try RGBImage(data: Data(bytes), name: "o\(value)", applyingOrientation: false)
        #expect(stored.width == 12 && stored.height == 7)
        let upright = try RGBImage(data: Data(bytes), name: "o\(value)")
        let orientation = try #require(ExifOrientation(rawValue: value))
        #expect(upright == stored.oriented(orientation))
    }

    @Test func cmykConversionFollowsPIL() {
        // Stored (inverted) CMYK bytes → PIL's CMYK;I then cmyk2rgb.
        // Stored k = 255 means no black; stored c = 255 means no cyan.
        #expect(JPEGDecoder.cmykToRGB([255, 255, 255, 255], count: 1) == [255, 255, 255])
        #expect(JPEGDecoder.cmykToRGB([0, 0, 0, 255], count: 1) == [0, 0, 0])
        #expect(JPEGDecoder.cmykToRGB([255, 255, 255, 0], count: 1) == [0, 0, 0])
        // PIL: nk = 200, c' = 155 → 200 − (155·200+128)/255 ≈ 200 − 122 = 78.
        #expect(JPEGDecoder.cmykToRGB([100, 255, 0, 200], count: 1) == [78, 200, 0])
    }

    @Test func structureWalkFindsExifAndTheEnd() {
        let tiff: [UInt8] = [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0]
        let app0: [UInt8] = [0xFF, 0xE0, 0, 4, 0x4A, 0x46]
        let app1: [UInt8] = [0xFF, 0xE1] + [UInt8(0), UInt8(tiff.count + 8)] + Array("Exif".utf8) + [0, 0] + tiff
        // Scan data with a stuffed FF 00 and a restart marker, then the end of image.
        let scan: [UInt8] = [0xFF, 0xDA, 0, 2, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56]
        let jpeg: [UInt8] = [0xFF, 0xD8] + app0 + [0xFF, 0xFF] + app1 + scan + [0xFF, 0xD9]
        let structure = JPEGStructure(jpeg)
        #expect(structure.exif == tiff)
        #expect(structure.ending == .complete)
        // Trailing bytes after the end are ignored, as PIL ignores them.
        #expect(JPEGStructure(jpeg + Array("trailer".utf8)).ending == .complete)
        // Without the end marker, at any cut inside the scan, the file is truncated.
        for cut in (jpeg.count - scan.count)..<jpeg.count {
            #expect(JPEGStructure(Array(jpeg.prefix(cut))).ending == .truncated, "cut at \(cut)")
        }
        // An end marker inside a segment (an EXIF thumbnail's) does not end the file.
        let thumbnail: [UInt8] = [0xFF, 0xE1, 0, 6, 0xFF, 0xD9, 0xFF, 0xD9]
        #expect(JPEGStructure([0xFF, 0xD8] + thumbnail + scan).ending == .truncated)
        // A segment length below 2 is left to libjpeg.
        #expect(JPEGStructure([0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 0, 0]).ending == .malformed)
        // Only the first Exif segment counts; a length past the end is not read.
        #expect(JPEGStructure([0xFF, 0xD8] + app1 + app1.prefix(10)).exif == tiff)
        #expect(JPEGStructure([0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00] + Array("Exif".utf8) + [0, 0]).exif == nil)
    }

    @Test func warningsAreToleratedAndFatalErrorsAreNot() {
        #expect(JPEGDecoder.isWarning("Corrupt JPEG data: 3 extraneous bytes before marker 0xd9"))
        #expect(JPEGDecoder.isWarning("Corrupt JPEG data: bad Huffman code"))
        #expect(!JPEGDecoder.isWarning("Bogus Huffman table definition"))
        #expect(!JPEGDecoder.isWarning("Premature end of JPEG file"))
        #expect(JPEGDecoder.failure("Premature end of JPEG file", name: "a.jpg") == .truncated(name: "a.jpg", format: "JPEG"))
    }
}
