/// The result of running one notebook cell, as the render stage receives it.
public struct CellResult: Sendable, Equatable {
    /// How the cell ended.
    public enum Status: Sendable, Equatable {
        /// The cell ran (or came from the cache) without error.
        case ok
        /// The cell failed; the message says what was expected and what was found.
        case failed(String)
        /// The cell did not run, for the given reason (for example, an earlier cell failed).
        case skipped(String)
    }

    /// The cell's identifier; the HTML anchor is derived from it (see ``anchor``).
    public var id: String
    /// A heading for the table of contents, or `nil` for none.
    public var heading: String?
    /// The directive's source text, shown collapsed.
    public var source: String
    /// The outputs in the order the directive produced them.
    public var outputs: [CellOutput]
    /// Wall-clock time in seconds, or `nil` when unknown.
    public var duration: Double?
    /// Whether the outputs came from the cache.
    public var cached: Bool
    /// How the cell ended.
    public var status: Status

    /// A cell result.
    public init(
        id: String,
        heading: String? = nil,
        source: String,
        outputs: [CellOutput],
        duration: Double? = nil,
        cached: Bool = false,
        status: Status = .ok
    ) {
        self.id = id
        self.heading = heading
        self.source = source
        self.outputs = outputs
        self.duration = duration
        self.cached = cached
        self.status = status
    }

    /// Whether the cell is a block of prose rather than a directive: it has no source, at least
    /// one output, only ``CellOutput/prose(html:)`` outputs and status ``Status/ok``.
    ///
    /// Renderers show a prose block as text alone: no cell id, time or cache badge in HTML, and
    /// a markdown cell (not a code cell) in a Jupyter notebook.
    public var isProseBlock: Bool {
        guard source.isEmpty, !outputs.isEmpty, status == .ok else { return false }
        return outputs.allSatisfy { output in
            if case .prose = output { return true }
            return false
        }
    }

    /// The HTML `id` of the cell's section: `cell-` followed by ``id`` with every character
    /// outside `[A-Za-z0-9_-]` replaced by `-`.
    public var anchor: String {
        "cell-" + identifierCharacters(id)
    }
}

/// `text` with every character outside `[A-Za-z0-9_-]` replaced by `-`.
func identifierCharacters(_ text: String) -> String {
    String(
        String.UnicodeScalarView(
            text.unicodeScalars.map { scalar in
                scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_")
                    ? scalar : "-"
            }))
}
