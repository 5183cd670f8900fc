import LoupeImage
import Testing

/// Cropping and torchvision's `CenterCrop` arithmetic.
@Suite struct CropTests {
    /// A `width`×`height` image whose pixel (x, y) is (x, y, 9).
    static func coordinates(width: Int, height: Int) throws -> RGBImage {
        try RGBImage(
            width: width, height: height,
            pixels: (0..<(width * height)).flatMap { [UInt8(truncatingIfNeeded: $0 % width), UInt8(truncatingIfNeeded: $0 / width), 9] })
    }

    @Test func cropTakesTheRectangle() throws {
        let image = try Self.coordinates(width: 10, height: 8)
        let crop = try image.cropped(x: 3, y: 2, width: 4, height: 5)
        #expect(crop.width == 4 && crop.height == 5)
        #expect(crop.pixel(x: 0, y: 0) == SIMD3(3, 2, 9))
        #expect(crop.pixel(x: 3, y: 4) == SIMD3(6, 6, 9))
        #expect(throws: ImageError.self) { try image.cropped(x: 7, y: 0, width: 4, height: 1) }
        #expect(throws: ImageError.self) { try image.cropped(x: -1, y: 0, width: 2, height: 1) }
        #expect(throws: ImageError.self) { try image.cropped(x: 0, y: 0, width: 0, height: 1) }
    }

    @Test(arguments: [
        // (image side, crop side, expected offset): int(round((n - c) / 2.0)), halves to even.
        (10, 4, 3), (9, 4, 2), (11, 4, 4), (13, 8, 2), (12, 7, 2), (256, 224, 16), (341, 224, 58), (8, 8, 0),
    ])
    func centerCropOffsetRoundsHalfToEven(side: Int, crop: Int, offset: Int) throws {
        let image = try Self.coordinates(width: side, height: 3)
        let out = try image.centerCropped(width: crop, height: 3)
        #expect(out.pixel(x: 0, y: 0).x == UInt8(offset), "(\(side) − \(crop)) / 2")
    }

    @Test func centerCropLargerThanImagePadsWithBlack() throws {
        let image = try Self.coordinates(width: 3, height: 2)
        // Width 3 → 6: pad 1 left, 2 right; height 2 → 5: pad 1 top, 2 bottom.
        let out = try image.centerCropped(width: 6, height: 5)
        #expect(out.width == 6 && out.height == 5)
        #expect(out.pixel(x: 0, y: 0) == SIMD3(0, 0, 0))
        #expect(out.pixel(x: 1, y: 1) == SIMD3(0, 0, 9))
        #expect(out.pixel(x: 3, y: 2) == SIMD3(2, 1, 9))
        #expect(out.pixel(x: 4, y: 2) == SIMD3(0, 0, 0))
        // Wider crop, shorter height: pad the width, crop the height.
        let mixed = try Self.coordinates(width: 4, height: 9).centerCropped(width: 6, height: 4)
        #expect(mixed.pixel(x: 1, y: 0) == SIMD3(0, 2, 9))  // rows 2…5, offset round(2.5) = 2
    }

    @Test func paddingAddsBorders() throws {
        let image = try Self.coordinates(width: 2, height: 2)
        let out = try image.padded(left: 1, top: 2, right: 0, bottom: 1)
        #expect(out.width == 3 && out.height == 5)
        #expect(out.pixel(x: 1, y: 2) == SIMD3(0, 0, 9))
        #expect(out.pixel(x: 0, y: 2) == SIMD3(0, 0, 0))
        #expect(throws: ImageError.self) { try image.padded(left: -1, top: 0, right: 0, bottom: 0) }
    }
}
