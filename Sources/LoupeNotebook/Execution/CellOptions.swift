import Foundation

/// A cell's options after `{{ param }}` substitution, front-matter defaults and type checks:
/// what a directive's `init` reads.
///
/// Accessors throw ``CellError/undeclaredOption(_:)`` when a directive asks for an option it
/// did not declare, so a directive and its reference can never disagree silently.
public struct CellOptions: Sendable {
    /// The cell's name (its argument), if any.
    public let name: String?
    /// The cell's body text, substituted.
    public let body: String
    /// The directive's declared options.
    let specs: [String: OptionSpec]
    /// Values that are set (by the cell, the front matter or the option's default).
    let values: [String: String]
    /// The notebook's folder, against which relative paths resolve.
    let baseDirectory: URL

    init(name: String?, body: String, specs: [OptionSpec], values: [String: String], baseDirectory: URL) {
        self.name = name
        self.body = body
        self.specs = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.values = values
        self.baseDirectory = baseDirectory
    }

    /// Whether the option has a value (set, defaulted, or given a default by the directive).
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// The raw text of an option, or `nil` when unset.
    public func optionalText(_ key: String) throws -> String? {
        guard specs[key] != nil else { throw CellError.undeclaredOption(key) }
        return values[key]
    }

    /// The text of an option that has a value.
    public func text(_ key: String) throws -> String {
        guard let value = try optionalText(key) else { throw CellError.missingOption(key) }
        return value
    }

    /// An integer option.
    public func integer(_ key: String) throws -> Int {
        let value = try text(key)
        guard let number = Int(value.trimmingCharacters(in: .whitespaces)) else { throw CellError.badValue(option: key, value: value, expected: "an integer") }
        return number
    }

    /// An integer option, or `nil` when unset.
    public func optionalInteger(_ key: String) throws -> Int? {
        try optionalText(key) == nil ? nil : try integer(key)
    }

    /// A number option.
    public func number(_ key: String) throws -> Double {
        let value = try text(key)
        guard let number = Double(value.trimmingCharacters(in: .whitespaces)), number.isFinite else {
            throw CellError.badValue(option: key, value: value, expected: "a number")
        }
        return number
    }

    /// A `true`/`false` option.
    public func flag(_ key: String) throws -> Bool {
        let value = try text(key)
        guard let flag = Self.parseFlag(value) else { throw CellError.badValue(option: key, value: value, expected: "true or false") }
        return flag
    }

    /// A file option as an absolute URL: `~` expanded, relative paths against the notebook's
    /// folder.
    public func file(_ key: String) throws -> URL {
        Self.resolve(path: try text(key), against: baseDirectory)
    }

    /// A file option as written, for captions and provenance.
    public func filePath(_ key: String) throws -> String { try text(key) }

    /// A reference option: the name of an earlier cell.
    public func reference(_ key: String) throws -> String {
        try text(key).trimmingCharacters(in: .whitespaces)
    }

    /// A references option: names of earlier cells, in order.
    public func references(_ key: String) throws -> [String] {
        Self.splitReferences(try text(key))
    }

    /// A list option split at `|`, each item trimmed; empty when unset.
    public func list(_ key: String) throws -> [String] {
        guard let value = try optionalText(key) else { return [] }
        return value.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// A choice option as a `RawRepresentable` value.
    public func choice<T: RawRepresentable>(_ key: String, as type: T.Type = T.self) throws -> T where T.RawValue == String {
        let value = try text(key)
        guard let choice = T(rawValue: value.trimmingCharacters(in: .whitespaces)) else {
            throw CellError.badValue(option: key, value: value, expected: specs[key].map { "one of \($0.type)" } ?? "a valid choice")
        }
        return choice
    }

    static func parseFlag(_ value: String) -> Bool? {
        switch value.trimmingCharacters(in: .whitespaces).lowercased() {
        case "true", "yes", "on", "1": true
        case "false", "no", "off", "0": false
        default: nil
        }
    }

    static func splitReferences(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// `path` with `~` expanded, made absolute against `base` when relative.
    public static func resolve(path: String, against base: URL) -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return URL(fileURLWithPath: expanded).standardizedFileURL }
        return base.appendingPathComponent(expanded).standardizedFileURL
    }
}
