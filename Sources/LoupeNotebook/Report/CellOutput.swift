import Foundation
import LoupeImage

/// One output of a cell.
///
/// All text fields are plain text and are escaped when rendered, except ``prose(html:)``, which
/// is HTML that cmark already produced and sanitised.
public enum CellOutput: Sendable, Equatable {
    /// Prose rendered to HTML by the parsing stage (trusted). `<h1>`–`<h3>` headings in it get
    /// ids and join the table of contents.
    case prose(html: String)
    /// A table of plain-text cells.
    case table(Table)
    /// One PNG image.
    case image(ImageOutput)
    /// Several images side by side, with one caption for the group.
    case images([ImageOutput], caption: String)
    /// A 2-D map of values, rendered with a colour map and a colour bar.
    case heatmap(HeatmapFigure)
    /// A line chart (an objective per step, deletion and insertion curves…), drawn as SVG.
    case chart(Chart)
    /// Monospaced plain text.
    case text(String)
    /// An error shown in a red box.
    case error(String)
}

/// A table of plain text with a caption.
public struct Table: Sendable, Equatable {
    /// What the table shows.
    public var caption: String
    /// Column headers.
    public var columns: [String]
    /// Rows of cells; a row may be shorter or longer than ``columns``.
    public var rows: [[String]]

    /// A table.
    public init(caption: String, columns: [String], rows: [[String]]) {
        self.caption = caption
        self.columns = columns
        self.rows = rows
    }
}

/// The values behind a picture (a heatmap, a feature map), for a report page to show the value under the cursor.
///
/// A grey PNG whose bytes are each value's position in ``range`` in 255 steps
/// (`Heatmap.valueImage()`), one pixel per value however large the picture is drawn.
public struct ValueGrid: Sendable, Equatable {
    /// The grey PNG.
    public var png: Data
    /// The values' extent: byte 0 is its lower end, byte 255 its upper end.
    public var range: ClosedRange<Float>
    /// What the picture is, said before the pixel (`channel 12`), or nil.
    public var label: String?

    /// A grid of `heatmap`'s values, or nil when none is finite.
    ///
    /// - Parameters:
    ///   - heatmap: the values.
    ///   - label: what they are, or nil.
    /// - Throws: `ImageError` when the heatmap is invalid or the PNG cannot be written.
    public init?(_ heatmap: Heatmap, label: String? = nil) throws {
        guard let (png, range) = try heatmap.valueImage() else { return nil }
        self.png = png
        self.range = range
        self.label = label
    }

    /// A grid from its parts.
    ///
    /// - Parameters:
    ///   - png: the grey PNG.
    ///   - range: the values' extent.
    ///   - label: what they are, or nil.
    public init(png: Data, range: ClosedRange<Float>, label: String?) {
        self.png = png
        self.range = range
        self.label = label
    }
}

/// A PNG image with its size, caption and alternative text (and the values it shows, if any).
public struct ImageOutput: Sendable, Equatable {
    /// The PNG file's bytes.
    public var png: Data
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// What the image shows (model, layer, method, target class…).
    public var caption: String
    /// Alternative text for screen readers.
    public var alt: String
    /// The values the picture shows, for the page to say under the cursor, or nil.
    public var values: ValueGrid?

    /// An image from PNG bytes that the caller already encoded.
    ///
    /// - Parameters:
    ///   - png: the PNG file's bytes.
    ///   - width: width in pixels.
    ///   - height: height in pixels.
    ///   - caption: what it shows.
    ///   - alt: alternative text.
    ///   - values: the values it shows, for the report's probe, or nil.
    public init(png: Data, width: Int, height: Int, caption: String, alt: String, values: ValueGrid? = nil) {
        self.png = png
        self.width = width
        self.height = height
        self.caption = caption
        self.alt = alt
        self.values = values
    }

    /// An image from an ``RGBImage``, encoded as PNG.
    ///
    /// - Throws: ``ImageError/encodingFailed(reason:)`` when libpng fails.
    public init(_ image: RGBImage, caption: String, alt: String) throws {
        self.init(png: try image.pngData(), width: image.width, height: image.height, caption: caption, alt: alt)
    }
}
