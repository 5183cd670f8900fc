import Foundation
import LoupeNotebook
import Testing

/// Namespace for the parse-stage suites, so `--filter LoupeNotebookTests.Parsing` selects them.
enum Parsing {}

/// One case of a MyST-style fixture file: a title, the Markdown input and the expected parse.
///
/// The file format follows MyST-Parser's `fixtures/*.txt`:
///
/// ```text
/// title line
/// .
/// input lines
/// .
/// expected lines
/// .
/// ```
///
/// Cases are separated by blank lines. `[crlf]` in a title turns the input's line endings
/// into `\r\n`; `[cr]` into `\r`.
struct FixtureCase: Sendable, CustomTestStringConvertible {
    /// The title line.
    let title: String
    /// The 1-based line of the title in the fixture file.
    let line: Int
    /// The Markdown input, line endings already converted.
    let input: String
    /// The expected rendering from ``ParsingFixtures/render(_:source:)``.
    let expected: String

    var testDescription: String { "\(title) (line \(line))" }
}

enum ParsingFixtures {
    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    /// The source name every fixture input is parsed under.
    static let source = "doc.md"

    /// Reads every case of `Fixtures/parsing/<name>`.
    static func load(_ name: String) throws -> [FixtureCase] {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw Malformed(description: "Fixtures folder missing from the test bundle")
        }
        let text = try String(contentsOf: root.appendingPathComponent("parsing/\(name)"), encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var cases: [FixtureCase] = []
        var index = 0
        func section(after start: Int) throws -> (text: [String], next: Int) {
            guard let end = lines[start...].firstIndex(of: ".") else {
                throw Malformed(description: "\(name):\(start + 1): section is not closed by a '.' line")
            }
            return (Array(lines[start..<end]), end + 1)
        }
        while index < lines.count {
            if lines[index].isEmpty {
                index += 1
                continue
            }
            let title = lines[index]
            guard index + 1 < lines.count, lines[index + 1] == "." else {
                throw Malformed(description: "\(name):\(index + 2): expected '.' after the title '\(title)'")
            }
            let (input, afterInput) = try section(after: index + 2)
            let (expected, afterExpected) = try section(after: afterInput)
            var inputText = input.map { $0 + "\n" }.joined()
            if title.contains("[crlf]") { inputText = inputText.replacingOccurrences(of: "\n", with: "\r\n") }
            if title.contains("[cr]") { inputText = inputText.replacingOccurrences(of: "\n", with: "\r") }
            cases.append(
                FixtureCase(
                    title: title, line: index + 1, input: inputText,
                    expected: expected.joined(separator: "\n")))
            index = afterExpected
        }
        return cases
    }

    /// Parses a case's input and renders the outcome as compact text.
    ///
    /// `throws: <description>` for a thrown error; otherwise a `front-matter` section (when
    /// not empty), one section per block with its line range, and one `diagnostic:` line per
    /// diagnostic. Text lines are prefixed with `| `.
    static func render(_ input: String, source: String = source) -> String {
        let document: Document
        let diagnostics: [Diagnostic]
        do {
            (document, diagnostics) = try Document.parse(input, source: source)
        } catch {
            return "throws: \(error)"
        }
        var out: [String] = []
        func text(_ value: String) {
            guard !value.isEmpty else { return }
            for line in value.split(separator: "\n", omittingEmptySubsequences: false) {
                out.append(line.isEmpty ? "  |" : "  | \(line)")
            }
        }
        func range(_ lines: ClosedRange<Int>) -> String { "\(lines.lowerBound)-\(lines.upperBound)" }

        let front = document.frontMatter
        if front != FrontMatter() {
            out.append("front-matter")
            if let title = front.title { out.append("  title: \(title)") }
            if !front.authors.isEmpty { out.append("  authors: \(front.authors.joined(separator: " ; "))") }
            if let description = front.description { out.append("  description: \(description)") }
            for param in front.orderedParams { out.append("  param \(param.name) = \(param.value)") }
            for item in front.orderedDefaults { out.append("  default \(item.name) = \(item.value)") }
        }
        for block in document.blocks {
            switch block {
            case let .prose(markdown, lines):
                out.append("prose \(range(lines))")
                text(markdown)
            case let .code(language, body, lines):
                out.append("code \(language ?? "-") \(range(lines))")
                text(body)
            case let .directive(directive):
                out.append("directive {\(directive.name)} \(range(directive.lines))")
                if let argument = directive.argument { out.append("  argument: \(argument)") }
                for option in directive.options {
                    out.append("  option \(option.name) = \(option.value) @\(directive.optionLines[option.name] ?? -1)")
                }
                if !directive.body.isEmpty {
                    out.append("  body")
                    text(directive.body)
                }
            }
        }
        for diagnostic in diagnostics {
            out.append("diagnostic \(diagnostic.code.rawValue): \(diagnostic)")
        }
        return out.joined(separator: "\n")
    }
}

extension Parsing {
    @Suite("Document.parse fixtures")
    struct DocumentParseTests {
        static let cases: [FixtureCase] = (try? ParsingFixtures.load("directives.txt")) ?? []

        @Test("fixture file loads with all its cases")
        func fixtureFileLoads() throws {
            let cases = try ParsingFixtures.load("directives.txt")
            #expect(cases.count >= 40)
            #expect(Set(cases.map(\.title)).count == cases.count, "case titles must be unique")
        }

        @Test("directives.txt", arguments: cases)
        func fixture(_ fixture: FixtureCase) {
            let actual = ParsingFixtures.render(fixture.input)
            #expect(
                actual == fixture.expected,
                "\(fixture.title) (directives.txt:\(fixture.line))\n--- actual ---\n\(actual)\n--- expected ---\n\(fixture.expected)")
        }
    }
}
