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

/// A PNG image with its size, caption and alternative text.
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

    /// An image from PNG bytes that the caller already encoded.
    public init(png: Data, width: Int, height: Int, caption: String, alt: String) {
        self.png = png
        self.width = width
        self.height = height
        self.caption = caption
        self.alt = alt
    }

    /// An image from an ``RGBImage``, encoded as PNG.
    ///
    /// - Throws: ``ImageError/encodingFailed(reason:)`` when libpng fails.
    public init(_ image: RGBImage, caption: String, alt: String) throws {
        self.init(png: try image.pngData(), width: image.width, height: image.height, caption: caption, alt: alt)
    }
}
