import LoupeNotebook
import Testing

extension Parsing {
    @Suite("Diagnostic and NotebookError")
    struct DiagnosticTests {
        @Test("description is file:line: severity: message")
        func description() {
            let error = Diagnostic(
                severity: .error, code: .duplicateOption, file: "lecture.md", line: 12, message: "duplicate")
            #expect(error.description == "lecture.md:12: error: duplicate")
            let warning = Diagnostic(
                severity: .warning, code: .unknownFrontMatterKey, file: "a/b.md", line: 3, message: "unknown")
            #expect(warning.description == "a/b.md:3: warning: unknown")
        }

        @Test("NotebookError names file and line")
        func notebookError() {
            let error = NotebookError.invalidFrontMatter(file: "x.md", line: 4, message: "bad")
            #expect(error.description == "x.md:4: error: invalid front matter: bad")
        }

        @Test("parse keeps the source name and exposes typed blocks")
        func typedAccess() throws {
            let text = "```{predict} top\n:model: net\n:top: 5\n```\n"
            let (document, diagnostics) = try Document.parse(text, source: "lecture.md")
            #expect(diagnostics.isEmpty)
            #expect(document.source == "lecture.md")
            let expected = DirectiveBlock(
                name: "predict", argument: "top",
                options: [NamedValue(name: "model", value: "net"), NamedValue(name: "top", value: "5")],
                lines: 1...4, optionLines: ["model": 2, "top": 3])
            #expect(document.blocks == [.directive(expected)])
            #expect(document.directives.first?.option("top") == "5")
            #expect(document.directives.first?.option("missing") == nil)
            #expect(document.blocks.first?.lines == 1...4)
        }

        @Test("front matter params and defaults by name")
        func frontMatterDictionaries() throws {
            let text = "---\nparams:\n  photo: a.png\ndefaults:\n  model: net\n---\n"
            let (document, _) = try Document.parse(text, source: "x.md")
            #expect(document.frontMatter.params == ["photo": "a.png"])
            #expect(document.frontMatter.defaults == ["model": "net"])
        }

        @Test("a thrown front-matter error names the notebook line")
        func invalidYAMLLine() {
            let text = "---\ntitle: ok\nparams: [unclosed\n---\n"
            #expect {
                _ = try Document.parse(text, source: "x.md")
            } throws: { error in
                guard case let .invalidFrontMatter(file, line, message) = error as? NotebookError else { return false }
                return file == "x.md" && (3...4).contains(line) && !message.isEmpty
            }
        }
    }
}
