/// A rendered notebook before it becomes HTML: the last value type of `parse → plan → execute →
/// render`.
///
/// Everything here is plain data; ``HTMLRenderer`` turns it into one self-contained page. No
/// field holds a date or anything else that changes between runs, so the same notebook and the
/// same results always give the same bytes.
public struct Report: Sendable, Equatable {
    /// The notebook's title (plain text; escaped when rendered).
    public var title: String
    /// The authors, in the order the notebook lists them.
    public var authors: [String]
    /// A one-paragraph description (plain text), or `nil`.
    public var description: String?
    /// The cells in notebook order.
    public var cells: [CellResult]
    /// What the results were computed from, shown in the footer.
    public var provenance: Provenance

    /// A report with the given parts.
    public init(
        title: String,
        authors: [String] = [],
        description: String? = nil,
        cells: [CellResult],
        provenance: Provenance
    ) {
        self.title = title
        self.authors = authors
        self.description = description
        self.cells = cells
        self.provenance = provenance
    }
}

/// What a report's results were computed from: the Loupe version, model files and images.
///
/// The render date is deliberately absent so that reports are byte-for-byte reproducible.
/// Lists keep the caller's order.
public struct Provenance: Sendable, Equatable {
    /// A model's name and the SHA-256 of its weights file.
    public struct Model: Sendable, Equatable {
        /// The model's name as the notebook refers to it.
        public var name: String
        /// Lower-case hexadecimal SHA-256 of the weights file.
        public var sha256: String

        /// A model entry.
        public init(name: String, sha256: String) {
            self.name = name
            self.sha256 = sha256
        }
    }

    /// An input image's path and the SHA-256 of its file.
    public struct Image: Sendable, Equatable {
        /// The path as written in the notebook.
        public var path: String
        /// Lower-case hexadecimal SHA-256 of the file.
        public var sha256: String

        /// An image entry.
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    /// The Loupe version string that produced the report.
    public var loupeVersion: String
    /// The models used, in the caller's order.
    public var models: [Model]
    /// The input images used, in the caller's order.
    public var images: [Image]

    /// Provenance with the given parts.
    public init(loupeVersion: String, models: [Model] = [], images: [Image] = []) {
        self.loupeVersion = loupeVersion
        self.models = models
        self.images = images
    }
}
