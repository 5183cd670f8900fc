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
    public static var isOptionalType: Bool { false }
}

extension String: OptionValue {
    public static var optionType: OptionType { .text }
    public static var placeholder: String { "" }
    public init(optionText text: String, option: String, baseDirectory: URL) throws { self = text }
    public var optionText: String { self }
}

extension Int: OptionValue {
    public static var optionType: OptionType { .integer(Int.min...Int.max) }
    public static var placeholder: Int { 0 }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw CellError.badValue(option: option, value: text, expected: "an integer")
        }
        self = value
    }
    public var optionText: String { String(self) }
}

extension Double: OptionValue {
    public static var optionType: OptionType { .number(-Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) }
    public static var placeholder: Double { 0 }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else {
            throw CellError.badValue(option: option, value: text, expected: "a number")
        }
        self = value
    }
    public var optionText: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self) }
}

extension Float: OptionValue {
    public static var optionType: OptionType { Double.optionType }
    public static var placeholder: Float { 0 }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = Float(try Double(optionText: text, option: option, baseDirectory: baseDirectory))
    }
    public var optionText: String { self == rounded() && abs(self) < 1e7 ? String(Int(self)) : String(self) }
}

extension Bool: OptionValue {
    public static var optionType: OptionType { .flag }
    public static var placeholder: Bool { false }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let flag = OptionText.parseFlag(text) else {
            throw CellError.badValue(option: option, value: text, expected: "true or false")
        }
        self = flag
    }
    public var optionText: String { self ? "true" : "false" }
}

/// Text split at `|` into a list, each item trimmed (captions and the like).
extension Array: OptionValue where Element == String {
    public static var optionType: OptionType { .list }
    public static var placeholder: [String] { [] }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = text.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
    public var optionText: String { joined(separator: " | ") }
}

/// An option that may be left unset: `nil` then, and the front matter's `defaults` do not fill it.
extension Optional: OptionValue where Wrapped: OptionValue {
    public static var optionType: OptionType { Wrapped.optionType }
    public static var placeholder: Wrapped? { nil }
    public static var isOptionalType: Bool { true }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        self = try Wrapped(optionText: text, option: option, baseDirectory: baseDirectory)
    }
    public var optionText: String { map(\.optionText) ?? "" }
}

/// One of a fixed set of words: an enum whose raw values are what authors write.
public protocol ChoiceOption: OptionValue, RawRepresentable, CaseIterable where RawValue == String {}

extension ChoiceOption {
    public static var optionType: OptionType { .choice(allCases.map(\.rawValue)) }
    /// The first case (an enum without cases has no values, so it cannot be an option's type).
    public static var placeholder: Self { allCases[allCases.startIndex] }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        guard let value = Self(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
            throw CellError.badValue(option: option, value: text, expected: "one of \(Self.optionType)")
        }
        self = value
    }
    public var optionText: String { rawValue }
}

/// The name of an earlier cell that defines a `Value` (a model, an image).
public struct CellName<Value: NotebookValue>: OptionValue, Hashable, CustomStringConvertible {
    public let name: String
    public init(_ name: String) { self.name = name }
    public static var optionType: OptionType { .reference(Value.kind) }
    public static var placeholder: CellName { CellName("") }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        name = text.trimmingCharacters(in: .whitespaces)
    }
    public var optionText: String { name }
    public var description: String { name }
}

/// Names of earlier cells that define `Value`s, comma-separated, in order.
public struct CellNames<Value: NotebookValue>: OptionValue, Hashable {
    public let names: [String]
    public init(_ names: [String]) { self.names = names }
    public static var optionType: OptionType { .references(Value.kind) }
    public static var placeholder: CellNames { CellNames([]) }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        names = OptionText.splitReferences(text)
    }
    public var optionText: String { names.joined(separator: ", ") }
}

/// A file named relative to the notebook; its bytes are part of the cell's cache key.
public struct FilePath: OptionValue, Hashable, CustomStringConvertible {
    /// As written, for captions and provenance.
    public let path: String
    /// Absolute: `~` expanded, relative paths against the notebook's folder.
    public let url: URL
    public static var optionType: OptionType { .file }
    public static var placeholder: FilePath { FilePath(path: "", url: URL(fileURLWithPath: "/")) }
    init(path: String, url: URL) {
        self.path = path
        self.url = url
    }
    public init(optionText text: String, option: String, baseDirectory: URL) throws {
        path = text
        url = OptionText.resolve(path: text, against: baseDirectory)
    }
    public var optionText: String { path }
    public var description: String { path }
}
