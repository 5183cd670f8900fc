import Foundation

/// A grid of small captioned pictures (filter weights, feature maps) as ``CellOutput/images(_:caption:)``
/// rows: `columns` tiles to a row, the grid's caption under the last row.
///
/// Tiles keep their own pixel size in HTML (they are already enlarged by nearest neighbour, so
/// the browser must not stretch them): the style sheet recognises them by an alt text starting
/// with ``altPrefix`` and hides the empty captions of the rows above the last.
enum TileGrid {
    /// How a tile's alt text starts; `HTMLRenderer.styleSheet` keys its tile rules on it.
    static let altPrefix = "tile: "

    /// A tile with its caption, and the values it shows when it has them; `alt` gets ``altPrefix``.
    static func tile(png: Data, width: Int, height: Int, caption: String, alt: String, values: ValueGrid? = nil) -> ImageOutput {
        ImageOutput(png: png, width: width, height: height, caption: caption, alt: altPrefix + alt, values: values)
    }

    /// The rows: `tiles` in groups of `columns`, starting a new row at every index in
    /// `breaks` as well; the caption goes under the last row.
    static func rows(_ tiles: [ImageOutput], columns: Int, breaks: Set<Int> = [], caption: String) -> [CellOutput] {
        var rows: [[ImageOutput]] = []
        var current: [ImageOutput] = []
        for (index, tile) in tiles.enumerated() {
            if !current.isEmpty, current.count == max(columns, 1) || breaks.contains(index) {
                rows.append(current)
                current = []
            }
            current.append(tile)
        }
        if !current.isEmpty { rows.append(current) }
        return rows.enumerated().map { index, row in .images(row, caption: index == rows.count - 1 ? caption : "") }
    }
}
