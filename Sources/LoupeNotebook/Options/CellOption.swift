import Foundation

/// One option of a directive, declared as a property of its ``DirectiveOptions`` type: the key
/// (the property's name unless given), the values it takes (from the property's type and an
/// optional range), its default (the property's initial value) and one sentence of help.
///
/// ```swift
/// struct Options: DirectiveOptions {
///     @CellOption(help: "The `{model}` cell.") var model: CellName<LoadedModel>
///     @CellOption(range: 1...1000, help: "How many classes to list.") var top = 5
///     @CellOption("blur-sigma", range: 0.01...10, help: "…") var blurSigma = 0.5
///     @CellOption(help: "The caption.") var caption: String?
/// }
/// ```
///
/// A property without an initial value is required (the front matter's `defaults:` may supply
/// it); an optional property may stay unset. The planner checks each value against the
/// declaration and fills the properties, so a directive reads `options.top`, never a key.
@propertyWrapper
public struct CellOption<Value: OptionValue>: Sendable {
    /// The key when it is not the property's name (keys with hyphens).
    let key: String?
    let type: OptionType
    let defaultText: String?
    let help: String
    /// The value: the default or placeholder as declared, then the cell's value once the planner fills it.
    public var wrappedValue: Value

    /// An option with a default, the property's initial value.
    public init(wrappedValue: Value, _ key: String? = nil, help: String) {
        self.init(key: key, type: Value.optionType, value: wrappedValue, isDefault: true, help: help)
    }

    /// A required option, or one that may stay unset when `Value` is optional.
    public init(_ key: String? = nil, help: String) {
        self.init(key: key, type: Value.optionType, value: .placeholder, isDefault: false, help: help)
    }

    private init(key: String?, type: OptionType, value: Value, isDefault: Bool, help: String) {
        self.key = key
        self.type = type
        self.wrappedValue = value
        self.defaultText = isDefault && !Value.isOptionalType ? value.optionText : nil
        self.help = help
    }

    /// The same declaration holding `value`.
    func holding(_ value: Value) -> CellOption {
        var copy = self
        copy.wrappedValue = value
        return copy
    }
}

extension CellOption where Value == Int {
    /// An integer option with a default, within `range`.
    public init(wrappedValue: Int, _ key: String? = nil, range: ClosedRange<Int>, help: String) {
        self = CellOption(key: key, type: .integer(range), defaultText: wrappedValue.optionText, help: help, wrappedValue: wrappedValue)
    }
}

extension CellOption where Value == Int {
    /// A required integer option within `range`.
    public init(_ key: String? = nil, range: ClosedRange<Int>, help: String) {
        self = CellOption(key: key, type: .integer(range), defaultText: nil, help: help, wrappedValue: range.lowerBound)
    }
}

extension CellOption where Value == Int? {
    /// An integer option within `range` that may stay unset.
    public init(_ key: String? = nil, range: ClosedRange<Int>, help: String) {
        self = CellOption(key: key, type: .integer(range), defaultText: nil, help: help, wrappedValue: nil)
    }
}

extension CellOption where Value == Double {
    /// A number option with a default, within `range`.
    public init(wrappedValue: Double, _ key: String? = nil, range: ClosedRange<Double>, help: String) {
        self = CellOption(key: key, type: .number(range), defaultText: wrappedValue.optionText, help: help, wrappedValue: wrappedValue)
    }
}

extension CellOption where Value == Double? {
    /// A number option within `range` that may stay unset.
    public init(_ key: String? = nil, range: ClosedRange<Double>, help: String) {
        self = CellOption(key: key, type: .number(range), defaultText: nil, help: help, wrappedValue: nil)
    }
}

extension CellOption where Value == Float {
    /// A number option with a default, within `range`.
    public init(wrappedValue: Float, _ key: String? = nil, range: ClosedRange<Double>, help: String) {
        self = CellOption(key: key, type: .number(range), defaultText: wrappedValue.optionText, help: help, wrappedValue: wrappedValue)
    }
}

extension CellOption where Value == Float? {
    /// A number option within `range` that may stay unset.
    public init(_ key: String? = nil, range: ClosedRange<Double>, help: String) {
        self = CellOption(key: key, type: .number(range), defaultText: nil, help: help, wrappedValue: nil)
    }
}

extension CellOption {
    /// The memberwise form the ranged initialisers use.
    init(key: String?, type: OptionType, defaultText: String?, help: String, wrappedValue: Value) {
        self.key = key
        self.type = type
        self.defaultText = defaultText
        self.help = help
        self.wrappedValue = wrappedValue
    }
}

/// An option declaration seen without its value type: what the planner and the reference read.
protocol OptionDeclaration: Sendable {
    /// The spec, under `key` unless the declaration names its own.
    func spec(key: String) -> OptionSpec
    /// The declaration holding the value of `text` (`nil`: unset, which keeps the default or
    /// leaves an optional option `nil`).
    func filled(with text: String?, key: String, baseDirectory: URL) throws -> any OptionDeclaration
    var explicitKey: String? { get }
}

extension CellOption: OptionDeclaration {
    var explicitKey: String? { key }

    func spec(key name: String) -> OptionSpec {
        OptionSpec(key ?? name, type, default: defaultText, optional: Value.isOptionalType, help: help)
    }

    func filled(with text: String?, key name: String, baseDirectory: URL) throws -> any OptionDeclaration {
        guard let text else { return self }
        return holding(try Value(optionText: text, option: key ?? name, baseDirectory: baseDirectory))
    }
}

/// `Decodable` so that an options type's synthesised `init(from:)` builds it from the checked
/// values; only ``OptionsDecoder`` can decode one.
extension CellOption: Decodable {
    /// Always throws `DecodingError.dataCorrupted`: options are filled by the planner, never decoded.
    public init(from decoder: Decoder) throws {
        throw DecodingError.dataCorrupted(
            .init(codingPath: decoder.codingPath, debugDescription: "an option is filled by the notebook planner, not decoded"))
    }
}
