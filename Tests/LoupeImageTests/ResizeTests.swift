import Foundation
import LoupeImage
import Testing

/// Resizing against torchvision 0.14 / PIL 9.4, plus the size arithmetic.
@Suite struct ResizeTests {
    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let source: String
        let pipeline: [PipelineStep]
        let width: Int
        let height: Int
        let pixels: [UInt8]
        var testDescription: String { name }
    }

    struct File: Decodable {
        let cases: [Case]
    }

    static let cases = (try? Fixtures.load("resize.json", as: File.self).cases) ?? []

    @Test func fixturesArePresent() {
        #expect(Self.cases.count >= 20)
    }

    @Test(arguments: cases)
    func matchesTorchvision(_ fixture: Case) throws {
        let source = try RGBImage(contentsOf: Fixtures.url(fixture.source))
        let out = try fixture.pipeline.apply(to: source)
        #expect(out.width == fixture.width && out.height == fixture.height)
        let difference = PixelDifference(out.pixels, fixture.pixels)
        print("resize parity \(fixture.name): \(difference)")
        // PIL's algorithm is reproduced exactly; the bound is a mean of at most one level.
        #expect(difference.mean <= 1.0 / 255)
        #expect(out.pixels == fixture.pixels, "\(difference)")
    }

    @Test func shorterSideFollowsTorchvisionRounding() throws {
        let portrait = try RGBImage(width: 97, height: 131, pixels: Array(repeating: 0, count: 97 * 131 * 3))
        #expect(try Self.size(portrait, shorterSide: 64) == [64, 86])  // int(64 * 131 / 97) = int(86.43)
        let landscape = try RGBImage(width: 768, height: 576, pixels: Array(repeating: 0, count: 768 * 576 * 3))
        #expect(try Self.size(landscape, shorterSide: 256) == [341, 256])  // int(341.33)
        let square = try RGBImage(width: 5, height: 5, pixels: Array(repeating: 0, count: 75))
        #expect(try Self.size(square, shorterSide: 3) == [3, 3])
        // 3 * 10 / 6 = 5.0 exactly: no truncation error from floating point.
        let exact = try RGBImage(width: 10, height: 6, pixels: Array(repeating: 0, count: 180))
        #expect(try Self.size(exact, shorterSide: 3) == [5, 3])
        #expect(throws: ImageError.self) { try square.sizeAfterResizing(shorterSide: 0) }
        let sliver = try RGBImage(width: 1, height: 300, pixels: Array(repeating: 0, count: 900))
        #expect(throws: ImageError.self) { try sliver.sizeAfterResizing(shorterSide: 200) }  // 60000 px long
    }

    static func size(_ image: RGBImage, shorterSide: Int) throws -> [Int] {
        let size = try image.sizeAfterResizing(shorterSide: shorterSide)
        return [size.width, size.height]
    }

    @Test func sameSizeIsUnchangedAndConstantsStayConstant() throws {
        let image = try RGBImage(width: 7, height: 5, pixels: (0..<105).map { UInt8($0) })
        #expect(try image.resized(width: 7, height: 5) == image)
        let flat = try RGBImage(width: 9, height: 13, pixels: Array(repeating: 77, count: 9 * 13 * 3))
        for (w, h) in [(4, 4), (20, 3), (1, 1), (31, 40)] {
            let out = try flat.resized(width: w, height: h)
            #expect(out.pixels.allSatisfy { $0 == 77 }, "\(w)×\(h)")
        }
    }

    @Test func rejectsInvalidSizes() throws {
        let image = try RGBImage(width: 2, height: 2, pixels: Array(repeating: 0, count: 12))
        #expect(throws: ImageError.self) { try image.resized(width: 0, height: 3) }
        #expect(throws: ImageError.self) { try image.resized(width: 3, height: -1) }
        #expect(throws: ImageError.self) { try image.resized(width: 40_000, height: 1) }
    }
}
