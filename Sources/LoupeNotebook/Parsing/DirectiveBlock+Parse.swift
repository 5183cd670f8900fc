import Yams

extension DirectiveBlock {
    /// Splits a directive's content into options and body, MyST-style.
    ///
    /// Options are either `:key: value` lines directly after the opening fence, or a YAML
    /// mapping between `---` lines at the start of the content. One blank line after them is
    /// skipped. Problems become diagnostics; the directive is still returned.
    ///
    /// - Parameters:
    ///   - name: The directive name.
    ///   - argument: The text after the name, or `nil`.
    ///   - content: The lines between the fences, already dedented.
    ///   - lines: The source lines of the whole block.
    ///   - source: The source name for messages.
    ///   - diagnostics: Receives duplicate and malformed option errors.
    /// - Returns: The directive block.
    static func parse(
        name: String, argument: String?, content: [SourceLine], lines: ClosedRange<Int>, source: String,
        diagnostics: inout [Diagnostic]
    ) -> DirectiveBlock {
        var block = DirectiveBlock(name: name, argument: argument, lines: lines)
        func report(_ code: Diagnostic.Code, _ line: Int, _ message: String) {
            diagnostics.append(Diagnostic(severity: .error, code: code, file: source, line: line, message: message))
        }
        func add(_ key: String, _ value: String, line: Int) {
            if let first = block.optionLines[key] {
                report(.duplicateOption, line, "option ':\(key):' of '{\(name)}' is already set on line \(first)")
                return
            }
            block.options.append(NamedValue(name: key, value: value))
            block.optionLines[key] = line
        }

        var index = 0
        if let first = content.first, first.text.trimmingEdges() == "---" {
            if let close = content.dropFirst().firstIndex(where: { $0.text.trimmingEdges() == "---" }) {
                parseYAMLOptions(Array(content[1..<close]), directive: name, add: add, report: report)
                index = close + 1
            } else {
                report(.malformedOption, first.number, "option block opened with '---' is never closed by '---'")
            }
        } else {
            while index < content.count, content[index].text.hasPrefix(":") {
                let line = content[index]
                switch OptionLine(line.text) {
                case let .valid(key, value): add(key, value, line: line.number)
                case let .invalid(reason): report(.malformedOption, line.number, reason)
                }
                index += 1
            }
        }
        if index < content.count, content[index].isBlank { index += 1 }
        block.body = content[index...].map(\.text).joined(separator: "\n")
        return block
    }

    /// Reads a YAML option block; each value must be a scalar.
    private static func parseYAMLOptions(
        _ lines: [SourceLine], directive: String, add: (String, String, Int) -> Void,
        report: (Diagnostic.Code, Int, String) -> Void
    ) {
        guard let firstLine = lines.first?.number else { return }
        let yaml = lines.map(\.text).joined(separator: "\n")
        let node: Node?
        do {
            node = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            let (line, message) = FrontMatter.describe(error, firstLine: firstLine)
            report(.malformedOption, line, "option block of '{\(directive)}' is not valid YAML: \(message)")
            return
        } catch {
            report(.malformedOption, firstLine, "option block of '{\(directive)}' is not valid YAML: \(error)")
            return
        }
        guard let node else { return }
        guard let mapping = node.mapping else {
            report(.malformedOption, firstLine, "option block of '{\(directive)}' must be a mapping of keys to values")
            return
        }
        for (key, value) in mapping {
            let line = (key.mark?.line).map { firstLine + $0 - 1 } ?? firstLine
            guard let keyText = key.scalar?.string, let valueText = value.scalar?.string else {
                report(.malformedOption, line, "options of '{\(directive)}' must be plain 'key: value' pairs")
                continue
            }
            add(keyText, valueText, line)
        }
    }
}

/// One `:key: value` option line.
enum OptionLine: Equatable {
    /// A readable option, value unquoted.
    case valid(key: String, value: String)
    /// A line starting with `:` that is not an option; the reason says what was expected.
    case invalid(String)

    /// Reads an option line.
    ///
    /// The key is ASCII letters, digits, `-` and `_`; a space separates it from the value.
    /// Quoted values follow YAML's quoting rules (`"{{ photo }}"` gives `{{ photo }}`); plain
    /// values are kept as written, minus a trailing ` # comment`.
    ///
    /// - Parameter line: The line, starting with `:`.
    init(_ line: String) {
        let afterColon = line.dropFirst()
        guard let close = afterColon.firstIndex(of: ":") else {
            self = .invalid("expected an option ':key: value', found '\(line)'")
            return
        }
        let key = afterColon[..<close]
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard !key.isEmpty, key.allSatisfy({ allowed.contains($0) }) else {
            self = .invalid("expected an option key of letters, digits, '-' or '_', found ':\(key):'")
            return
        }
        let rest = afterColon[afterColon.index(after: close)...]
        if let first = rest.first, first != " ", first != "\t" {
            self = .invalid("expected a space after ':\(key):', found '\(first)'")
            return
        }
        let raw = rest.trimmingEdges()
        guard let quote = raw.first, quote == "\"" || quote == "'" else {
            self = .valid(key: String(key), value: String(Self.stripComment(raw)))
            return
        }
        guard let node = try? Yams.compose(yaml: String(raw)), let scalar = node.scalar else {
            self = .invalid("option ':\(key):' has a malformed quoted value \(raw)")
            return
        }
        self = .valid(key: String(key), value: scalar.string)
    }

    /// Drops a YAML comment: `#` after whitespace, to the end of the line.
    private static func stripComment(_ value: Substring) -> Substring {
        var previous: Character = " "
        for index in value.indices {
            if value[index] == "#", previous == " " || previous == "\t" {
                return value[..<index].trimmingEdges()
            }
            previous = value[index]
        }
        return value
    }
}
