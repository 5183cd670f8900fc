import Foundation
import LoupeImage

/// A heatmap as a report shows it: the map (over the photo, optionally), its colour bar with
/// the range at its ends, and a caption saying what the map shows.
///
/// Made by a directive when its cell runs: the initialiser checks that the map can be drawn,
/// so a map that cannot fails its cell instead of leaving a hole in a report that says `ok`.
public struct HeatmapFigure: Sendable, Equatable {
    /// The values and how to colour them.
    public let heatmap: Heatmap
    /// What the map shows (model, layer, method, target class…).
    public let caption: String
    /// A picture of the same size drawn under the map (the photo), or `nil`.
    public let underlay: RGBImage?
    /// The map's opacity over ``underlay`` (0…1).
    public let opacity: Float

    /// A figure of `heatmap`, over `underlay` at `opacity` when one is given.
    ///
    /// - Throws: ``LoupeImage/ImageError/invalidHeatmap(_:)`` when the map cannot be drawn (a
    ///   value count that is not `width × height`, an empty range, a bad gamma), and
    ///   ``LoupeImage/ImageError/sizeMismatch(expectedWidth:expectedHeight:width:height:)`` for
    ///   an underlay of another size.
    public init(_ heatmap: Heatmap, caption: String, underlay: RGBImage? = nil, opacity: Float = 1) throws {
        try heatmap.validate()
        if let underlay, underlay.width != heatmap.width || underlay.height != heatmap.height {
            throw ImageError.sizeMismatch(
                expectedWidth: heatmap.width, expectedHeight: heatmap.height, width: underlay.width, height: underlay.height)
        }
        self.heatmap = heatmap
        self.caption = caption
        self.underlay = underlay
        self.opacity = opacity
    }

    /// Columns.
    public var width: Int { heatmap.width }
    /// Rows.
    public var height: Int { heatmap.height }
    /// The colour map.
    public var colorMap: ColorMap { heatmap.colorMap }
    /// The gamma, if any.
    public var gamma: Float? { heatmap.gamma }

    /// The map and its colour bar as PNG files.
    ///
    /// - Throws: ``LoupeImage/ImageError`` when PNG encoding fails.
    public func rendered() throws -> RenderedHeatmap {
        let map = try heatmap.colored(over: underlay, opacity: opacity)
        return RenderedHeatmap(
            map: try ImageOutput(map, caption: caption, alt: caption), colorBar: try heatmap.colorBar().pngData(),
            range: try heatmap.shownRange(), dataExtent: heatmap.dataExtent, values: try ValueGrid(heatmap))
    }
}

/// A heatmap turned into pictures: the map, its colour bar and the labels at the bar's ends.
public struct RenderedHeatmap: Sendable, Equatable {
    /// The map as an RGB PNG, one pixel per value.
    public var map: ImageOutput
    /// A horizontal colour bar (256 × 12 pixels), values rising linearly from the range's lower
    /// end on the left to its upper end on the right.
    public var colorBar: Data
    /// The range that the colour map spans.
    public var range: ClosedRange<Float>
    /// The smallest and largest finite values in the data (`nil` when there are none).
    public var dataExtent: ClosedRange<Float>?
    /// The values, for the page to show the value under the cursor; `nil` when no value is finite.
    public var values: ValueGrid?
    /// The label at the colour bar's left end (the range's lower end).
    public var lowerLabel: String { formatValue(range.lowerBound) }
    /// The label at the colour bar's right end (the range's upper end).
    public var upperLabel: String { formatValue(range.upperBound) }
}

extension HeatmapFigure {
    /// A matrix drawn as a heatmap, each value a square of 8 to 48 pixels (the whole at most
    /// about 480 wide), rows top to bottom, with a caption that lists the rows and the columns
    /// by number after `title`.
    ///
    /// - Parameters:
    ///   - values: the rows of the matrix, each as long as `columns`.
    ///   - rows: the rows' names.
    ///   - columns: the columns' names.
    ///   - colorMap: the colour map.
    ///   - title: what the values are, for the caption.
    /// - Returns: the figure.
    /// - Throws: the errors of ``init(_:caption:underlay:opacity:)``.
    static func matrix(_ values: [[Float]], rows: [String], columns: [String], colorMap: ColorMap, title: String) throws -> HeatmapFigure {
        let side = Swift.max(8, Swift.min(48, 480 / Swift.max(rows.count, columns.count, 1)))
        var pixels: [Float] = []
        pixels.reserveCapacity(rows.count * side * columns.count * side)
        for row in values {
            let line = row.flatMap { Array(repeating: $0, count: side) }
            for _ in 0..<side { pixels += line }
        }
        func list(_ texts: [String]) -> String {
            texts.enumerated().map { "\($0.offset + 1) \($0.element)" }.joined(separator: "; ")
        }
        return try HeatmapFigure(
            Heatmap(values: pixels, width: columns.count * side, height: rows.count * side, colorMap: colorMap),
            caption: "\(title). Rows (top to bottom): \(list(rows)). Columns (left to right): \(list(columns))")
    }
}
