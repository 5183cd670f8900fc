import Foundation

/// A rectangle of pixels: top-left corner and size.
public struct PixelRegion: Sendable, Equatable, CustomStringConvertible {
    /// The first row, from 0 at the top.
    public var top: Int
    /// The first column, from 0 at the left.
    public var left: Int
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int

    /// The `height`×`width` rectangle whose top-left pixel is (`top`, `left`).
    public init(top: Int, left: Int, height: Int, width: Int) {
        self.top = top
        self.left = left
        self.height = height
        self.width = width
    }

    /// Whether the pixel (`row`, `column`) lies inside.
    public func contains(row: Int, column: Int) -> Bool {
        (top..<(top + height)).contains(row) && (left..<(left + width)).contains(column)
    }

    /// Size and top-left corner, as `11×11 at (x 0, y 4)`.
    public var description: String { "\(width)×\(height) at (x \(left), y \(top))" }
}
