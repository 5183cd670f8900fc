import Foundation

/// The parts of the Jupyter notebook format (nbformat 4.5) that ``IPYNBRenderer`` writes, as
/// `Encodable` values whose JSON matches the nbformat schema key for key.
///
/// Keys are spelled as the schema spells them (`cell_type`, `nbformat_minor`, …). Optional
/// fields that the schema requires (`execution_count`) are written as `null`; optional fields
/// that it does not require are left out.
enum NBFormat {
    /// A whole notebook: `{"cells", "metadata", "nbformat": 4, "nbformat_minor": 5}`.
    struct Notebook: Encodable {
        var cells: [Cell]
        var metadata: NotebookMetadata

        enum CodingKeys: String, CodingKey {
            case cells, metadata, nbformat
            case nbformatMinor = "nbformat_minor"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(cells, forKey: .cells)
            try container.encode(metadata, forKey: .metadata)
            try container.encode(4, forKey: .nbformat)
            try container.encode(5, forKey: .nbformatMinor)
        }
    }

    /// Notebook metadata: the schema's `title`, `authors` and `language_info`, plus Loupe's
    /// provenance under `loupe`.
    struct NotebookMetadata: Encodable {
        struct Author: Encodable {
            var name: String
        }

        struct LanguageInfo: Encodable {
            var name: String
        }

        var title: String
        var authors: [Author]
        var languageInfo: LanguageInfo
        var loupe: Provenance

        enum CodingKeys: String, CodingKey {
            case title, authors, loupe
            case languageInfo = "language_info"
        }
    }

    /// A markdown or code cell.
    struct Cell: Encodable {
        enum Kind {
            case markdown
            case code(outputs: [Output])
        }

        /// 1–64 characters of `[A-Za-z0-9_-]`, unique in the notebook.
        var id: String
        var kind: Kind
        var source: String
        var metadata: CellMetadata

        enum CodingKeys: String, CodingKey {
            case id, source, metadata, outputs
            case cellType = "cell_type"
            case executionCount = "execution_count"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(source, forKey: .source)
            try container.encode(metadata, forKey: .metadata)
            switch kind {
            case .markdown:
                try container.encode("markdown", forKey: .cellType)
            case let .code(outputs):
                try container.encode("code", forKey: .cellType)
                try container.encode(outputs, forKey: .outputs)
                try container.encodeNil(forKey: .executionCount)
            }
        }
    }

    /// Cell metadata: `{}` or `{"loupe": {…}}`.
    struct CellMetadata: Encodable {
        var loupe: LoupeCellMetadata?
    }

    /// What Loupe records about a cell: its id, and for a directive cell how it ran.
    struct LoupeCellMetadata: Encodable {
        /// ``CellResult/id``.
        var id: String
        /// `"ok"`, `"failed"` or `"skipped"`; `nil` for prose.
        var status: String?
        /// Whether the outputs came from the cache; `nil` for prose.
        var cached: Bool?
        /// Seconds, when known and finite.
        var duration: Double?
    }

    /// One output of a code cell.
    enum Output: Encodable {
        /// `display_data` with a MIME bundle (`image/png` base64, `text/html`, `text/plain`) and
        /// per-type metadata (an image's display size).
        case displayData(data: [String: String], metadata: [String: ImageSize])
        /// `stream` text on `stdout` or `stderr`.
        case stream(name: String, text: String)
        /// `error` with a name, a value and traceback lines.
        case error(name: String, value: String, traceback: [String])

        enum CodingKeys: String, CodingKey {
            case data, metadata, name, text, ename, evalue, traceback
            case outputType = "output_type"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case let .displayData(data, metadata):
                try container.encode("display_data", forKey: .outputType)
                try container.encode(data, forKey: .data)
                try container.encode(metadata, forKey: .metadata)
            case let .stream(name, text):
                try container.encode("stream", forKey: .outputType)
                try container.encode(name, forKey: .name)
                try container.encode(text, forKey: .text)
            case let .error(name, value, traceback):
                try container.encode("error", forKey: .outputType)
                try container.encode(name, forKey: .ename)
                try container.encode(value, forKey: .evalue)
                try container.encode(traceback, forKey: .traceback)
            }
        }
    }

    /// The size at which a front end should show an image, in CSS pixels.
    struct ImageSize: Encodable {
        var width: Int
        var height: Int
    }
}

/// Unique nbformat 4.5 cell ids: 1–64 characters of `[A-Za-z0-9_-]`.
///
/// A base id is cleaned (other characters become `-`), cut to 64 characters, and made unique
/// with `-2`, `-3`… in the order ids are asked for, so the same report always gives the same ids.
struct NotebookCellIDs {
    private var used: Set<String> = []

    /// A fresh id based on `base`.
    mutating func unique(_ base: String) -> String {
        var cleaned = identifierCharacters(base)
        if cleaned.isEmpty { cleaned = "cell" }
        cleaned = String(cleaned.prefix(64))
        var candidate = cleaned
        var counter = 2
        while used.contains(candidate) {
            let suffix = "-\(counter)"
            candidate = String(cleaned.prefix(64 - suffix.count)) + suffix
            counter += 1
        }
        used.insert(candidate)
        return candidate
    }
}

/// HTML prepared for a Jupyter front end.
enum JupyterHTML {
    /// `html` wrapped in a `<div>` that MathJax skips, with `$` written as `&#36;`.
    ///
    /// Jupyter typesets `$…$` as TeX in markdown cells and HTML outputs; the report shows
    /// dollars literally, and so should the notebook. The classes are MathJax 2's and 3's
    /// "ignore" classes as Jupyter configures them.
    static func output(_ html: String) -> String {
        "<div class=\"tex2jax_ignore mathjax_ignore\">\n"
            + html.replacingOccurrences(of: "$", with: "&#36;")
            + "\n</div>"
    }

    /// `html` as the source of a markdown cell that displays exactly that HTML.
    ///
    /// A markdown cell whose text starts with `<div` is one CommonMark HTML block, passed
    /// through unchanged, until the first blank line; after that, Markdown rules would apply
    /// (indented lines become code, `*` emphasis…). So no line may be blank: the newline before
    /// a blank line becomes `&#10;` and a whitespace-only line's spaces and tabs become
    /// character references. In HTML this is the same text (inside `<pre>` too).
    static func markdownCell(_ html: String) -> String {
        let text = output(html).replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var result = ""
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard index > 0 else {
                result += line
                continue
            }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                result += "&#10;" + line.map { $0 == "\t" ? "&#9;" : "&#32;" }.joined()
            } else {
                result += "\n" + line
            }
        }
        return result
    }
}
