import Foundation

/// One kind of notebook cell, such as `model`, `image` or `predict`.
///
/// A directive is a small value type in its own file under `Directives/`, registered once in
/// ``DirectiveRegistry/standard``. It describes itself (name, summary, argument, example) and
/// declares its options as one ``DirectiveOptions`` type, from which the planner checks a cell
/// before anything runs and `loupe directives` and `docs/directives.md` are generated. Its
/// ``init(_:)`` receives the checked, typed options; ``run(_:)`` does the work through
/// ``CellContext`` and returns the cell's outputs and, when the cell defines a name, its value.
///
/// ```swift
/// struct Greet: Directive {
///     static let name = "greet"
///     static let summary = "Prints a greeting."
///     static let example = "```{greet}\n:who: Ada\n```"
///     struct Options: DirectiveOptions {
///         @CellOption(help: "Whom to greet.") var who = "world"
///     }
///     let options: Options
///     init(_ cell: DirectiveCell<Options>) throws { options = cell.options }
///     func run(_ context: CellContext) throws -> CellRun { CellRun(outputs: [.text("Hello, \(options.who)")]) }
/// }
/// ```
public protocol Directive: Sendable {
    /// The options, as one type whose properties are ``CellOption``s.
    associatedtype Options: DirectiveOptions
    /// The name between the braces.
    static var name: String { get }
    /// One sentence: what the cell does.
    static var summary: String { get }
    /// What the word after `{name}` means, if the directive accepts one.
    static var argument: ArgumentSpec { get }
    /// The options the directive accepts, in the order the reference lists them; by default
    /// read from ``Options``.
    static var options: [OptionSpec] { get }
    /// A complete cell, as an author would write it.
    static var example: String { get }

    /// Makes the directive from a cell whose options have been checked and filled.
    ///
    /// - Throws: ``CellError`` when a value is well-typed but unusable (for example two
    ///   options that contradict each other).
    init(_ cell: DirectiveCell<Options>) throws

    /// Extra text that identifies the cell's inputs beyond its options, referenced cells and
    /// files; part of the cache key. The default is empty. The `model` directive returns the
    /// pinned SHA-256 of a store model here.
    func cacheKeyMaterial() throws -> [String]

    /// Runs the cell.
    ///
    /// - Throws: Any error; its description becomes the cell's failure message.
    func run(_ context: CellContext) throws -> CellRun
}

/// What a directive is made from: the cell's name and body and its checked, typed options.
public struct DirectiveCell<Options: DirectiveOptions>: Sendable {
    /// The cell's name (its argument), if any.
    public let name: String?
    /// The cell's body text, substituted.
    public let body: String
    /// The options, filled from the cell, the front matter's defaults and the declarations.
    public let options: Options
    /// The notebook's folder, against which relative paths resolve.
    public let baseDirectory: URL
}

extension Directive {
    /// No argument, unless the directive declares one.
    public static var argument: ArgumentSpec { .none }
    /// The options declared by ``Options``, in declaration order.
    public static var options: [OptionSpec] { Options.specs }
    /// Nothing beyond the options, referenced cells and files.
    public func cacheKeyMaterial() throws -> [String] { [] }

    /// The directive for a cell: its options filled from checked text (by key) and handed to
    /// ``init(_:)``.
    static func make(name: String?, body: String, values: [String: String], baseDirectory: URL) throws -> Self {
        let options = try Options.filled(from: values, baseDirectory: baseDirectory)
        return try Self(DirectiveCell(name: name, body: body, options: options, baseDirectory: baseDirectory))
    }
}

/// Whether a directive takes the word after `{name}`, and what it names.
public enum ArgumentSpec: Sendable, Equatable {
    /// The directive takes no argument.
    case none
    /// The argument names the value the cell defines, of the given kind; it may be omitted.
    case optionalName(ValueKind)
    /// The argument names the value the cell defines, of the given kind, and must be given.
    case requiredName(ValueKind)

    /// The kind of value the cell defines, if any.
    public var definedKind: ValueKind? {
        switch self {
        case .none: nil
        case let .optionalName(kind), let .requiredName(kind): kind
        }
    }
}

/// The kind of a named value a cell defines and other cells read, for example `model`.
public struct ValueKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The kind's name, as the reference and messages write it (`model`).
    public let rawValue: String
    /// The kind called `rawValue`.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// The kind's name.
    public var description: String { rawValue }

    /// The kind with its indefinite article: "a model", "an image".
    public var withArticle: String {
        ("aeiou".contains(rawValue.prefix(1).lowercased()) ? "an " : "a ") + rawValue
    }

    /// A loaded network (``LoadedModel``).
    public static let model = ValueKind(rawValue: "model")
    /// A decoded image (``LoadedImage``).
    public static let image = ValueKind(rawValue: "image")
}

/// One option a directive accepts.
public struct OptionSpec: Sendable, Equatable {
    /// The key, written `:key: value` in a cell.
    public let name: String
    /// What values it takes.
    public let type: OptionType
    /// The value used when the cell does not set it; `nil` means required, unless
    /// ``isOptional``.
    public let defaultValue: String?
    /// Whether the option may be left out with no default.
    public let isOptional: Bool
    /// One sentence for the reference.
    public let help: String

    /// An option with a default (or required when `defaultValue` is `nil` and `optional` is
    /// false).
    public init(_ name: String, _ type: OptionType, default defaultValue: String? = nil, optional: Bool = false, help: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.isOptional = optional
        self.help = help
    }

    /// Whether a cell must set the option (possibly through the front matter's `defaults`).
    public var isRequired: Bool { defaultValue == nil && !isOptional }
}

/// The values an option takes.
///
/// The planner checks every value against its type before any cell runs, so a typo fails early
/// and names the cell, option and line.
public enum OptionType: Sendable, Equatable, CustomStringConvertible {
    /// Any text.
    case text
    /// An integer within the range.
    case integer(ClosedRange<Int>)
    /// A finite number within the range.
    case number(ClosedRange<Double>)
    /// `true`/`false` (also yes/no, on/off).
    case flag
    /// One of the listed words.
    case choice([String])
    /// A path to a file, relative to the notebook; its bytes are part of the cache key.
    case file
    /// The name of an earlier cell that defines a value of this kind.
    case reference(ValueKind)
    /// Comma-separated names of earlier cells defining values of this kind.
    case references(ValueKind)
    /// Text split at `|` into a list (captions and the like).
    case list

    /// How the reference and messages describe the type, as `integer 1…1000` or `name of a model cell`.
    public var description: String {
        switch self {
        case .text: "text"
        case let .integer(range): "integer \(range.lowerBound)…\(range.upperBound)"
        case let .number(range): "number \(Self.format(range.lowerBound))…\(Self.format(range.upperBound))"
        case .flag: "true/false"
        case let .choice(words): words.joined(separator: " | ")
        case .file: "file path"
        case let .reference(kind): "name of \(kind.withArticle) cell"
        case let .references(kind): "names of \(kind) cells, comma-separated"
        case .list: "texts separated by |"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// What a cell produced.
public struct CellRun: Sendable {
    /// The outputs in display order.
    public var outputs: [CellOutput]
    /// The value the cell defines under its argument's name, if any.
    public var value: (any NotebookValue)?
    /// Models and images the outputs were computed from, for the report's footer.
    public var provenance: CellProvenance

    /// A result with `outputs`, the value the cell defines, if any, and what it was computed from.
    public init(outputs: [CellOutput], value: (any NotebookValue)? = nil, provenance: CellProvenance = CellProvenance()) {
        self.outputs = outputs
        self.value = value
        self.provenance = provenance
    }
}

/// The models and images one cell read directly.
public struct CellProvenance: Sendable, Equatable {
    /// The models read, with their weights' SHA-256.
    public var models: [Provenance.Model]
    /// The image files read, with their SHA-256.
    public var images: [Provenance.Image]

    /// Provenance listing `models` and `images` (none by default).
    public init(models: [Provenance.Model] = [], images: [Provenance.Image] = []) {
        self.models = models
        self.images = images
    }
}

/// A value one cell defines and later cells read by name.
public protocol NotebookValue: Sendable {
    /// The kind other cells ask for.
    static var kind: ValueKind { get }
}
