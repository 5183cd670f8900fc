import LoupeImage
import Testing

/// Flips and turns on a 3×2 image whose pixels are numbered 0…5 (row-major).
@Suite struct TranspositionTests {
    /// Pixel `i` has red value `i`.
    static let image = try? RGBImage(width: 3, height: 2, pixels: (0..<6).flatMap { [UInt8($0), 100, 200] })

    /// The red values of an image, row by row.
    static func reds(_ image: RGBImage) -> [[Int]] {
        (0..<image.height).map { y in (0..<image.width).map { x in Int(image.pixel(x: x, y: y).x) } }
    }

    @Test func eachTranspositionMovesPixelsAsPIL() throws {
        let image = try #require(Self.image)
        // Stored:  0 1 2
        //          3 4 5
        let expected: [(Transposition, [[Int]])] = [
            (.flipLeftRight, [[2, 1, 0], [5, 4, 3]]),
            (.flipTopBottom, [[3, 4, 5], [0, 1, 2]]),
            (.rotate90, [[2, 5], [1, 4], [0, 3]]),  // counter-clockwise
            (.rotate180, [[5, 4, 3], [2, 1, 0]]),
            (.rotate270, [[3, 0], [4, 1], [5, 2]]),  // clockwise
            (.transpose, [[0, 3], [1, 4], [2, 5]]),
            (.transverse, [[5, 2], [4, 1], [3, 0]]),
        ]
        for (transposition, reds) in expected {
            let out = image.transposed(transposition)
            #expect(Self.reds(out) == reds, "\(transposition)")
            #expect(out.pixel(x: 0, y: 0).y == 100 && out.pixel(x: 0, y: 0).z == 200)
        }
    }

    @Test func inversesGiveTheImageBack() throws {
        let image = try #require(Self.image)
        #expect(image.transposed(.rotate90).transposed(.rotate270) == image)
        #expect(image.transposed(.transpose).transposed(.transpose) == image)
        #expect(image.transposed(.transverse).transposed(.transverse) == image)
        #expect(image.transposed(.rotate180).transposed(.rotate180) == image)
        #expect(image.oriented(.topLeft) == image)
    }
}
