import LoupeImage
import Testing

/// Construction and pixel access.
@Suite struct RGBImageTests {
    @Test func storesInterleavedRowMajorPixels() throws {
        let image = try RGBImage(width: 2, height: 2, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(image.pixel(x: 1, y: 0) == SIMD3(4, 5, 6))
        #expect(image.pixel(x: 0, y: 1) == SIMD3(7, 8, 9))
        #expect(image == (try RGBImage(width: 2, height: 2, pixels: Array(1...12))))
        #expect(image != (try RGBImage(width: 4, height: 1, pixels: Array(1...12))))
    }

    @Test func rejectsWrongSizes() {
        #expect(throws: ImageError.pixelCountMismatch(width: 2, height: 2, channels: 3, count: 11)) {
            try RGBImage(width: 2, height: 2, pixels: Array(repeating: 0, count: 11))
        }
        #expect(throws: ImageError.self) { try RGBImage(width: 0, height: 2, pixels: []) }
        #expect(throws: ImageError.self) { try RGBImage(width: -1, height: -3, pixels: [0, 0, 0]) }
    }

    @Test func errorMessagesSayWhatWasExpected() {
        let mismatch = ImageError.pixelCountMismatch(width: 2, height: 2, channels: 3, count: 11)
        #expect(mismatch.description == "a 2×2 image with 3 channels needs 12 bytes, got 11")
        let format = ImageError.unrecognizedFormat(name: "notes.jpg", leadingBytes: Array("Hello".utf8))
        #expect(format.description == "notes.jpg: not a PNG or JPEG image (it starts with 48 65 6C 6C 6F, \"Hello\")")
    }
}
