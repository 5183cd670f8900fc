import Crypto
import Foundation
import LoupeImage

/// Lower-case hexadecimal SHA-256.
enum SHA256Hex {
    static func digest(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

extension RGBImage {
    /// The longest side reports show an input image at; larger photos are scaled down so a
    /// report stays small.
    static let displaySide = 448

    /// The image scaled down (never up) so that its longest side is at most ``displaySide``.
    func fittingDisplay() throws -> RGBImage {
        let side = Swift.max(width, height)
        guard side > Self.displaySide else { return self }
        let scale = Double(Self.displaySide) / Double(side)
        return try resized(
            width: Swift.max(1, Int((Double(width) * scale).rounded())),
            height: Swift.max(1, Int((Double(height) * scale).rounded())))
    }
}
