import Yams

/// The YAML front matter of a notebook: metadata, parameters and defaults.
///
/// ```yaml
/// ---
/// title: Saliency maps
/// authors: [Ada, Grace]
/// params:
///   photo: images/chelsea.png
/// defaults:
///   model: net
/// ---
/// ```
///
/// Scalar values are kept as text (`top: 5` gives `"5"`); directives convert them later.
public struct FrontMatter: Sendable, Equatable {
    /// The keys Loupe understands; others produce an `unknownFrontMatterKey` warning.
    public static let knownKeys: [String] = ["title", "authors", "description", "params", "defaults"]

    /// The notebook title.
    public var title: String?
    /// The authors; a single string is accepted as one author.
    public var authors: [String]
    /// A one-paragraph summary.
    public var description: String?
    /// Parameters substituted as `{{ name }}`, in source order.
    public var orderedParams: [NamedValue]
    /// Defaults for directive options (for example `model`, `image`), in source order.
    public var orderedDefaults: [NamedValue]

    /// Creates front matter.
    ///
    /// - Parameters:
    ///   - title: The notebook title.
    ///   - authors: The authors.
    ///   - description: A summary.
    ///   - params: Parameters in source order.
    ///   - defaults: Option defaults in source order.
    public init(
        title: String? = nil,
        authors: [String] = [],
        description: String? = nil,
        params: [NamedValue] = [],
        defaults: [NamedValue] = []
    ) {
        self.title = title
        self.authors = authors
        self.description = description
        self.orderedParams = params
        self.orderedDefaults = defaults
    }

    /// Parameters by name.
    public var params: [String: String] {
        Dictionary(orderedParams.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Option defaults by name.
    public var defaults: [String: String] {
        Dictionary(orderedDefaults.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}

extension FrontMatter {
    /// Reads front matter from the YAML between the `---` lines.
    ///
    /// - Parameters:
    ///   - yaml: The YAML text (without the `---` lines).
    ///   - firstLine: The notebook line of the YAML's first line, to translate YAML marks.
    ///   - source: The source name for messages.
    ///   - diagnostics: Receives non-fatal problems (unknown keys, wrong shapes, duplicates).
    /// - Returns: The front matter.
    /// - Throws: ``NotebookError/invalidFrontMatter(file:line:message:)`` when the YAML does
    ///   not parse or is not a mapping.
    static func parse(
        yaml: String, firstLine: Int, source: String, diagnostics: inout [Diagnostic]
    ) throws -> FrontMatter {
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            let (line, message) = Self.describe(error, firstLine: firstLine)
            throw NotebookError.invalidFrontMatter(file: source, line: line, message: message)
        }
        guard let node else { return FrontMatter() }
        guard let mapping = node.mapping else {
            throw NotebookError.invalidFrontMatter(
                file: source, line: Self.line(of: node, firstLine: firstLine),
                message: "expected a mapping of keys to values, found \(Self.kind(of: node))")
        }

        var result = FrontMatter()
        var seen = Set<String>()
        func report(_ severity: Diagnostic.Severity, _ code: Diagnostic.Code, _ node: Node, _ message: String) {
            diagnostics.append(
                Diagnostic(
                    severity: severity, code: code, file: source,
                    line: Self.line(of: node, firstLine: firstLine), message: message))
        }
        func text(_ value: Node, key: String) -> String? {
            if let scalar = value.scalar { return scalar.string }
            report(.error, .malformedFrontMatterValue, value, "'\(key)' must be text, found \(Self.kind(of: value))")
            return nil
        }
        func pairs(_ value: Node, key: String) -> [NamedValue] {
            guard let inner = value.mapping else {
                report(
                    .error, .malformedFrontMatterValue, value,
                    "'\(key)' must be a mapping of names to values, found \(Self.kind(of: value))")
                return []
            }
            var out: [NamedValue] = []
            for (name, item) in inner {
                guard let nameText = text(name, key: key) else { continue }
                if out.contains(where: { $0.name == nameText }) {
                    report(.error, .duplicateFrontMatterKey, name, "'\(key).\(nameText)' is given more than once")
                    continue
                }
                guard let valueText = text(item, key: "\(key).\(nameText)") else { continue }
                out.append(NamedValue(name: nameText, value: valueText))
            }
            return out
        }

        for (keyNode, value) in mapping {
            guard let key = text(keyNode, key: "key") else { continue }
            guard seen.insert(key).inserted else {
                report(.error, .duplicateFrontMatterKey, keyNode, "front-matter key '\(key)' is given more than once")
                continue
            }
            switch key {
            case "title": result.title = text(value, key: key)
            case "description": result.description = text(value, key: key)
            case "authors":
                if let list = value.sequence {
                    result.authors = list.compactMap { text($0, key: "authors") }
                } else if let single = text(value, key: key) {
                    result.authors = [single]
                }
            case "params": result.orderedParams = pairs(value, key: key)
            case "defaults": result.orderedDefaults = pairs(value, key: key)
            default:
                report(
                    .warning, .unknownFrontMatterKey, keyNode,
                    "unknown front-matter key '\(key)'; expected one of "
                        + knownKeys.joined(separator: ", "))
            }
        }
        return result
    }

    private static func line(of node: Node, firstLine: Int) -> Int {
        (node.mark?.line).map { firstLine + $0 - 1 } ?? firstLine
    }

    private static func kind(of node: Node) -> String {
        switch node {
        case .scalar: "text"
        case .mapping: "a mapping"
        case .sequence: "a list"
        }
    }

    /// Splits a Yams error into the notebook line and a one-line message.
    ///
    /// - Parameters:
    ///   - error: The error from Yams.
    ///   - firstLine: The notebook line of the YAML's first line.
    /// - Returns: The notebook line (the line before the YAML when Yams gives none) and the
    ///   message, with the context's notebook line when Yams gives one.
    static func describe(_ error: YamlError, firstLine: Int) -> (line: Int, message: String) {
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
            let .composer(context, problem, mark, _):
            let suffix = context.map { " (\($0.text) started on line \(firstLine + $0.mark.line - 1))" } ?? ""
            return (firstLine + mark.line - 1, "\(problem)\(suffix)")
        default:
            return (firstLine - 1, error.description)
        }
    }
}
