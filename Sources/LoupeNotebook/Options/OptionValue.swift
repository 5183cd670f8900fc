import Foundation

/// A Swift type an option's text converts to: the type of an ``CellOption`` property.
///
/// Each conforming type says which ``OptionType`` it is checked as (the planner checks the
/// text before anything runs) and how checked text becomes a value.
public protocol OptionValue: Sendable {
    /// How the option's text is checked, and described in the reference.
    static var optionType: OptionType { get }
    /// A value to hold before the planner fills a required option; never read by a directive.
    static var placeholder: Self { get }
    /// Whether leaving the option unset is a value (`nil`), rather than a missing option.
    static var isOptionalType: Bool { get }
    /// The value of checked text.
    ///
    /// - Throws: ``CellError/badValue(option:value:expected:)`` when the text does not convert
    ///   (the planner's check makes this rare).
    init(optionText text: String, option: String, baseDirectory: URL) throws
    /// The value as an author would write it (for defaults in the reference).
    var optionText: String { get }
}

extension OptionValue {
    /// `false`: an unset option without a default is missing.
    public static var isOptionalType: Bool { false }
}

extension String: OptionValue {
    /// ``OptionType/text``: any text.
    public static var optionType: OptionType { .text }
    /// The empty string.
    public static var placeholder: String { "" }
    /// The text as written.
    public init(optionText text: String, option: String, baseDirectory: URL) throws { self = text }
    /// The text itself.
    public var optionText: String { self }
}

extension Int: OptionValue {
    /// ``OptionType/integer(_:)`` over every `Int`.
    public static var optionType: OptionType { .integer(Int.min...Int.max) }
    /// Zero.
    public static var placeholder: Int { 0 }
    /// The integer `text` spells, surrounding spaces ignored; ``CellError/badValue(option:value:expected:)`` otherwise.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw CellError.badValue(option: option, value: text, expected: "an integer")
        }
        self = value
    }
    /// The decimal digits, as `42`.
    public var optionText: String { String(self) }
}

extension Double: OptionValue {
    /// ``OptionType/number(_:)`` over every finite `Double`.
    public static var optionType: OptionType { .number(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) }
    /// Zero.
    public static var placeholder: Double { 0 }
    /// The finite number `text` spells, surrounding spaces ignored; ``CellError/badValue(option:value:expected:)`` otherwise.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw CellError.badValue(option: option, value: text, expected: "a number")
        }
        self = value
    }
    /// A whole number without a fractional part (`3`, not `3.0`); any other as Swift prints it.
    public var optionText: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

extension Float: OptionValue {
    /// The same as `Double`'s: any finite number.
    public static var optionType: OptionType { Double.optionType }
    /// Zero.
    public static var placeholder: Float { 0 }
    /// The number `text` spells, read as a `Double` and rounded to the nearest `Float`.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = Float(try Double(optionText: text, option: option, baseDirectory: baseDirectory))
    }
    /// A whole number without a fractional part (`3`, not `3.0`); any other as Swift prints it.
    public var optionText: String { self == rounded() && abs(self) < 1e7 ? String(Int(self)) : String(self) }
}

extension Bool: OptionValue {
    /// ``OptionType/flag``.
    public static var optionType: OptionType { .flag }
    /// `false`.
    public static var placeholder: Bool { false }
    /// `true`/`yes`/`on`/`1` or `false`/`no`/`off`/`0`, any case; ``CellError/badValue(option:value:expected:)`` otherwise.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let flag = OptionText.parseFlag(text) else {
            throw CellError.badValue(option: option, value: text, expected: "true or false")
        }
        self = flag
    }
    /// `true` or `false`.
    public var optionText: String { self ? "true" : "false" }
}

/// Text split at `|` into a list, each item trimmed (captions and the like).
extension Array: OptionValue where Element == String {
    /// ``OptionType/list``.
    public static var optionType: OptionType { .list }
    /// The empty list.
    public static var placeholder: [String] { [] }
    /// The text split at every `|`, each item trimmed; empty items are kept.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = text.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
    /// The items joined by ` | `.
    public var optionText: String { joined(separator: " | ") }
}

/// An option that may be left unset: `nil` then, and the front matter's `defaults` do not fill it.
extension Optional: OptionValue where Wrapped: OptionValue {
    /// The wrapped type's.
    public static var optionType: OptionType { Wrapped.optionType }
    /// `nil`: unset.
    public static var placeholder: Wrapped? { nil }
    /// `true`: an unset option is `nil`, not missing.
    public static var isOptionalType: Bool { true }
    /// The wrapped type's value for `text`, with its errors.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = try Wrapped(optionText: text, option: option, baseDirectory: baseDirectory)
    }
    /// The wrapped value's text, or the empty string for `nil`.
    public var optionText: String { map(\.optionText) ?? "" }
}

/// One of a fixed set of words: an enum whose raw values are what authors write.
public protocol ChoiceOption: OptionValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ChoiceOption {
    /// ``OptionType/choice(_:)`` of every case's raw value, in declaration order.
    public static var optionType: OptionType { .choice(allCases.map(\.rawValue)) }
    /// The first case (an enum without cases has no values, so it cannot be an option's type).
    public static var placeholder: Self { allCases[allCases.startIndex] }
    /// The case whose raw value is `text`, surrounding spaces ignored; ``CellError/badValue(option:value:expected:)`` otherwise.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Self(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
            throw CellError.badValue(option: option, value: text, expected: "one of \(Self.optionType)")
        }
        self = value
    }
    /// The raw value.
    public var optionText: String { rawValue }
}

/// The name of an earlier cell that defines a `Value` (a model, an image).
public struct CellName<Value: NotebookValue>: OptionValue, Hashable, CustomStringConvertible {
    /// The cell's name, trimmed.
    public let name: String
    /// A reference to the cell called `name`.
    public init(_ name: String) { self.name = name }
    /// ``OptionType/reference(_:)`` to a cell that defines a `Value`.
    public static var optionType: OptionType { .reference(Value.kind) }
    /// The empty name.
    public static var placeholder: CellName { CellName("") }
    /// The name with surrounding spaces trimmed; the planner checks that an earlier cell defines it.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        name = text.trimmingCharacters(in: .whitespaces)
    }
    /// The name.
    public var optionText: String { name }
    /// The name.
    public var description: String { name }
}

/// Names of earlier cells that define `Value`s, comma-separated, in order.
public struct CellNames<Value: NotebookValue>: OptionValue, Hashable {
    /// The cells' names, trimmed, in the order written.
    public let names: [String]
    /// References to the cells called `names`.
    public init(_ names: [String]) { self.names = names }
    /// ``OptionType/references(_:)`` to cells that define `Value`s.
    public static var optionType: OptionType { .references(Value.kind) }
    /// No names.
    public static var placeholder: CellNames { CellNames([]) }
    /// The comma-separated names, trimmed, empty ones dropped.
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        names = OptionText.splitReferences(text)
    }
    /// The names joined by `, `.
    public var optionText: String { names.joined(separator: ", ") }
}

/// A file named relative to the notebook; its bytes are part of the cell's cache key.
public struct FilePath: OptionValue, Hashable, CustomStringConvertible {
    /// As written, for captions and provenance.
    public let path: String
    /// Absolute: `~` expanded, relative paths against the notebook's folder.
    public let url: URL
    /// ``OptionType/file``.
    public static var optionType: OptionType { .file }
    /// An empty path at `/`, never read.
    public static var placeholder: FilePath { FilePath(path: "", url: URL(fileURLWithPath: "/")) }
    init(path: String, url: URL) {
        self.path = path
        self.url = url
    }
    /// `text` as written, resolved against `baseDirectory` with `~` expanded (see ``url``).
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        path = text
        url = OptionText.resolve(path: text, against: baseDirectory)
    }
    /// The path as written.
    public var optionText: String { path }
    /// The path as written.
    public var description: String { path }
}
