import Foundation

/// Stable JSON coding for cell outputs, so that a cell's outputs can be cached on disk and read
/// back unchanged.
///
/// Each output is an object whose `kind` names the case, with the case's payload beside it:
///
/// | `kind`    | other keys                                     |
/// |-----------|------------------------------------------------|
/// | `prose`   | `html` (string)                                |
/// | `table`   | `table` (a ``Table``)                          |
/// | `image`   | `image` (an ``ImageOutput``)                   |
/// | `images`  | `images` (array of ``ImageOutput``), `caption` |
/// | `heatmap` | `heatmap` (a ``HeatmapFigure``)                      |
/// | `chart`   | `chart` (a ``Chart``)                          |
/// | `text`    | `text` (string)                                |
/// | `error`   | `message` (string)                             |
///
/// An unknown `kind` or a missing key throws `DecodingError`.
extension CellOutput: Codable {
    /// The `kind` values, one per case.
    enum Kind: String, Codable {
        case prose, table, image, images, heatmap, chart, text, error
    }

    enum CodingKeys: String, CodingKey {
        case kind, html, table, image, images, caption, heatmap, chart, text, message
    }

    /// The case's `kind` tag.
    var kind: Kind {
        switch self {
        case .prose: return .prose
        case .table: return .table
        case .image: return .image
        case .images: return .images
        case .heatmap: return .heatmap
        case .chart: return .chart
        case .text: return .text
        case .error: return .error
        }
    }

    /// Decodes an output written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for an unknown `kind`, a missing key or a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .kind) {
        case .prose: self = .prose(html: try container.decode(String.self, forKey: .html))
        case .table: self = .table(try container.decode(Table.self, forKey: .table))
        case .image: self = .image(try container.decode(ImageOutput.self, forKey: .image))
        case .images:
            self = .images(
                try container.decode([ImageOutput].self, forKey: .images),
                caption: try container.decode(String.self, forKey: .caption)
            )
        case .heatmap: self = .heatmap(try container.decode(HeatmapFigure.self, forKey: .heatmap))
        case .chart: self = .chart(try container.decode(Chart.self, forKey: .chart))
        case .text: self = .text(try container.decode(String.self, forKey: .text))
        case .error: self = .error(try container.decode(String.self, forKey: .message))
        }
    }

    /// Encodes the output as `{"kind": …, …}` (see the extension's discussion).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case let .prose(html): try container.encode(html, forKey: .html)
        case let .table(table): try container.encode(table, forKey: .table)
        case let .image(image): try container.encode(image, forKey: .image)
        case let .images(images, caption):
            try container.encode(images, forKey: .images)
            try container.encode(caption, forKey: .caption)
        case let .heatmap(heatmap): try container.encode(heatmap, forKey: .heatmap)
        case let .chart(chart): try container.encode(chart, forKey: .chart)
        case let .text(text): try container.encode(text, forKey: .text)
        case let .error(message): try container.encode(message, forKey: .message)
        }
    }
}

/// A table is `{"caption": …, "columns": […], "rows": [[…], …]}`.
extension Table: Codable {
    enum CodingKeys: String, CodingKey {
        case caption, columns, rows
    }

    /// Decodes a table written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key or a value of the wrong type.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            caption: try container.decode(String.self, forKey: .caption),
            columns: try container.decode([String].self, forKey: .columns),
            rows: try container.decode([[String]].self, forKey: .rows)
        )
    }

    /// Encodes the table's caption, columns and rows.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(caption, forKey: .caption)
        try container.encode(columns, forKey: .columns)
        try container.encode(rows, forKey: .rows)
    }
}

/// An image is `{"png": …, "width": …, "height": …, "caption": …, "alt": …}`, and `"values":
/// {"png": …, "low": …, "high": …, "label": …}` when it carries a ``ValueGrid``.
///
/// `png` is `Data`, which `JSONEncoder` writes as base64 by default; the bytes are stored as
/// they are, not re-encoded.
extension ImageOutput: Codable {
    enum CodingKeys: String, CodingKey {
        case png, width, height, caption, alt, values
    }

    enum GridKeys: String, CodingKey {
        case png, low, high, label
    }

    /// Decodes an image written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key, a value of the wrong type or invalid base64.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        var values: ValueGrid?
        if container.contains(.values) {
            let grid = try container.nestedContainer(keyedBy: GridKeys.self, forKey: .values)
            let (low, high) = (try grid.decode(Float.self, forKey: .low), try grid.decode(Float.self, forKey: .high))
            guard low <= high else {
                throw DecodingError.dataCorruptedError(forKey: .high, in: grid, debugDescription: "a value grid's high is below its low")
            }
            values = ValueGrid(
                png: try grid.decode(Data.self, forKey: .png), range: low...high,
                label: try grid.decodeIfPresent(String.self, forKey: .label))
        }
        self.init(
            png: try container.decode(Data.self, forKey: .png),
            width: try container.decode(Int.self, forKey: .width),
            height: try container.decode(Int.self, forKey: .height),
            caption: try container.decode(String.self, forKey: .caption),
            alt: try container.decode(String.self, forKey: .alt),
            values: values
        )
    }

    /// Encodes the PNG bytes, size, caption, alternative text and value grid.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(png, forKey: .png)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(caption, forKey: .caption)
        try container.encode(alt, forKey: .alt)
        if let values {
            var grid = container.nestedContainer(keyedBy: GridKeys.self, forKey: .values)
            try grid.encode(values.png, forKey: .png)
            try grid.encode(values.range.lowerBound, forKey: .low)
            try grid.encode(values.range.upperBound, forKey: .high)
            try grid.encodeIfPresent(values.label, forKey: .label)
        }
    }
}
