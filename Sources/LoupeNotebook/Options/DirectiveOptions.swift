import Foundation

/// A directive's options as one Swift type: each stored property is an ``CellOption`` (or a nested
/// group of options shared between directives, itself a `DirectiveOptions`).
///
/// The option specs the planner checks cells against, the defaults and the directive reference
/// are all read from this one declaration, and the planner hands the directive a filled value,
/// so a directive reads `options.method` instead of looking a key up by string: a misspelt
/// option is a compile error.
///
/// Conforming types get `Decodable` synthesised by the compiler; only ``OptionsDecoder`` decodes
/// them, from the planner's checked values.
public protocol DirectiveOptions: Decodable, Sendable {
    /// Every option at its default (required options hold a placeholder until filled).
    init()
    /// Keys of nested groups' options to use under another name in this type, such as
    /// `["steps": "ig-steps"]` where a group's `steps` would clash with this type's own.
    static var renamedKeys: [String: String] { get }
}

extension DirectiveOptions {
    /// No renames.
    public static var renamedKeys: [String: String] { [:] }

    /// The options in declaration order, as the planner checks them and the reference lists them.
    public static var specs: [OptionSpec] { declarations.map { $0.declaration.spec(key: $0.key) } }

    /// Every option, found by reflecting on a default value: its property path (for the
    /// decoder), its key and its declaration.
    static var declarations: [DeclaredOption] { DeclaredOption.all(in: Self(), renames: [:]) }

    /// The options filled from checked text (`values` by key; a missing key keeps the default).
    static func filled(from values: [String: String], baseDirectory: URL) throws -> Self {
        let table = Dictionary(declarations.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return try Self(from: OptionsDecoder(table: table, values: values, baseDirectory: baseDirectory, codingPath: []))
    }
}

/// One option of an options type, with where it sits.
struct DeclaredOption: Sendable {
    /// Property names from the options type down to the option (`["attribution", "steps"]`).
    let path: [String]
    /// The key authors write.
    let key: String
    let declaration: any OptionDeclaration

    static func all(in options: any DirectiveOptions, renames: [String: String], path: [String] = []) -> [DeclaredOption] {
        let ownRenames = type(of: options).renamedKeys.merging(renames) { _, outer in outer }
        var found: [DeclaredOption] = []
        for child in Mirror(reflecting: options).children {
            guard let label = child.label else { continue }
            if let declaration = child.value as? any OptionDeclaration {
                // A wrapped property is stored as `_name`.
                let property = label.hasPrefix("_") ? String(label.dropFirst()) : label
                let key = declaration.explicitKey ?? property
                found.append(DeclaredOption(path: path + [property], key: renames[key] ?? key, declaration: declaration))
            } else if let group = child.value as? any DirectiveOptions {
                found += all(in: group, renames: ownRenames, path: path + [label])
            }
        }
        return found
    }
}

/// Builds an options value through its synthesised `init(from:)`: each ``CellOption`` property is
/// its declaration filled with the checked text of its key; nested groups recurse.
struct OptionsDecoder: Decoder {
    let table: [[String]: DeclaredOption]
    let values: [String: String]
    let baseDirectory: URL
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Container<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath, debugDescription: "options are keyed"))
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer {
        throw DecodingError.typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: "options are keyed"))
    }

    private struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let decoder: OptionsDecoder
        var codingPath: [CodingKey] { decoder.codingPath }
        private var path: [String] { decoder.codingPath.map(\.stringValue) }

        var allKeys: [Key] {
            decoder.table.keys.filter { $0.count == path.count + 1 && Array($0.prefix(path.count)) == path }.compactMap {
                Key(stringValue: $0[path.count])
            }
        }

        func contains(_ key: Key) -> Bool { true }

        func decodeNil(forKey key: Key) throws -> Bool { false }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            let here = path + [key.stringValue]
            if let declared = decoder.table[here] {
                let filled = try declared.declaration.filled(
                    with: decoder.values[declared.key], key: declared.key, baseDirectory: decoder.baseDirectory)
                guard let value = filled as? T else {
                    throw DecodingError.typeMismatch(
                        T.self, .init(codingPath: codingPath + [key], debugDescription: "option ':\(declared.key):' has another type"))
                }
                return value
            }
            guard type is any DirectiveOptions.Type else {
                throw DecodingError.keyNotFound(
                    key,
                    .init(codingPath: codingPath, debugDescription: "'\(key.stringValue)' is neither a @CellOption nor a group of options"))
            }
            return try T(
                from: OptionsDecoder(
                    table: decoder.table, values: decoder.values, baseDirectory: decoder.baseDirectory,
                    codingPath: codingPath + [key]))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<
            NestedKey
        > {
            KeyedDecodingContainer(
                Container<NestedKey>(
                    decoder: OptionsDecoder(
                        table: decoder.table, values: decoder.values, baseDirectory: decoder.baseDirectory, codingPath: codingPath + [key]))
            )
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer {
            throw DecodingError.typeMismatch([Any].self, .init(codingPath: codingPath + [key], debugDescription: "options are keyed"))
        }

        func superDecoder() throws -> Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> Decoder { decoder }
    }
}
