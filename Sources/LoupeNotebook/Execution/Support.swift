import Foundation
import LoupeImage

extension Set<String> {
    /// `base`, or `base-2`, `base-3`, … — the first not yet in the set, which is then added.
    mutating func claim(_ base: String) -> String {
        var candidate = base
        var counter = 2
        while contains(candidate) {
            candidate = "\(base)-\(counter)"
            counter += 1
        }
        insert(candidate)
        return candidate
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
