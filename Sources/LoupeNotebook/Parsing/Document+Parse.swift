extension Document {
    /// Parses a notebook: optional YAML front matter, then prose, directives and code blocks.
    ///
    /// The syntax follows MyST-Parser's directives, as Jupyter Book uses them:
    ///
    /// - Front matter is optional: YAML between a first line `---` and the next `---` line.
    /// - A fence of 3+ backticks or tildes, indented at most 3 spaces, whose info string starts
    ///   with `{name}` opens a directive (`name` is ASCII letters, digits and `-_+:.`). The rest
    ///   of the fence line, trimmed, is the argument.
    /// - Options follow the opening fence directly, either as `:key: value` lines or as a YAML
    ///   mapping between `---` lines. Quoted values are unquoted by YAML's rules; plain values
    ///   are kept as written, minus a trailing ` # comment`.
    /// - One blank line may separate options from the body, which runs to the closing fence:
    ///   the same character, at least as many, indented at most 3 spaces. Shorter or different
    ///   fences inside are body text, so a directive can hold a fenced example if its own fence
    ///   is longer.
    /// - Any other fence is a ``Block/code(language:text:lines:)`` block; lines indented 4+
    ///   columns are indented code or paragraph text and never open a fence.
    /// - `\n`, `\r\n` and `\r` line endings are accepted; all line numbers are 1-based lines
    ///   of the original text, front matter included.
    ///
    /// - Parameters:
    ///   - text: The notebook source.
    ///   - source: A name for messages, usually the file path.
    /// - Returns: The document and the non-fatal problems found, in source order. A directive
    ///   with an `.error` diagnostic is still returned, so later stages can show it failing in
    ///   place.
    /// - Throws: ``NotebookError/unclosedFrontMatter(file:line:)`` or
    ///   ``NotebookError/invalidFrontMatter(file:line:message:)``.
    public static func parse(_ text: String, source: String) throws -> (Document, [Diagnostic]) {
        let lines = SourceLine.split(text)
        var diagnostics: [Diagnostic] = []
        var index = 0
        var frontMatter = FrontMatter()

        if let first = lines.first, first.text.trimmingEdges() == "---" {
            guard let close = lines.dropFirst().firstIndex(where: { $0.text.trimmingEdges() == "---" }) else {
                throw NotebookError.unclosedFrontMatter(file: source, line: first.number)
            }
            let yaml = lines[1..<close].map(\.text).joined(separator: "\n")
            frontMatter = try FrontMatter.parse(
                yaml: yaml, firstLine: first.number + 1, source: source, diagnostics: &diagnostics)
            index = close + 1
        }

        var blocks: [Block] = []
        var prose: [SourceLine] = []
        func flushProse() {
            defer { prose.removeAll() }
            guard let start = prose.firstIndex(where: { !$0.isBlank }),
                let end = prose.lastIndex(where: { !$0.isBlank })
            else { return }
            let kept = prose[start...end]
            blocks.append(
                .prose(
                    markdown: kept.map(\.text).joined(separator: "\n"),
                    lines: kept[start].number...kept[end].number))
        }

        while index < lines.count {
            let line = lines[index]
            guard let fence = Fence(opening: line.text) else {
                prose.append(line)
                index += 1
                continue
            }
            flushProse()
            let contentStart = index + 1
            let close = lines[contentStart...].firstIndex { fence.isClosed(by: $0.text) }
            let contentEnd = close ?? lines.count
            let content = lines[contentStart..<contentEnd].map {
                SourceLine(number: $0.number, text: fence.dedent($0.text))
            }
            let range = line.number...(close.map { lines[$0].number } ?? lines[lines.count - 1].number)
            index = close.map { $0 + 1 } ?? lines.count

            switch DirectiveHeader(info: fence.info) {
            case let .directive(name, argument):
                if close == nil {
                    diagnostics.append(
                        Diagnostic(
                            severity: .error, code: .unclosedFence, file: source, line: line.number,
                            message: "directive '{\(name)}' opened here is never closed; expected a line of"
                                + " at least \(fence.length) '\(fence.character)'"))
                }
                blocks.append(
                    .directive(
                        DirectiveBlock.parse(
                            name: name, argument: argument, content: content, lines: range, source: source,
                            diagnostics: &diagnostics)))
            case let .malformed(info):
                diagnostics.append(
                    Diagnostic(
                        severity: .warning, code: .malformedDirectiveName, file: source, line: line.number,
                        message: "'\(info)' looks like a directive but is not '{name}' with a name of"
                            + " letters, digits and -_+:.; the block is shown as code"))
                fallthrough
            case .code:
                if close == nil {
                    diagnostics.append(
                        Diagnostic(
                            severity: .warning, code: .unclosedFence, file: source, line: line.number,
                            message: "code block opened here is never closed; it runs to the end of the file"))
                }
                let language = fence.info.split(separator: " ", maxSplits: 1).first.map(String.init)
                blocks.append(
                    .code(language: language, text: content.map(\.text).joined(separator: "\n"), lines: range))
            }
        }
        flushProse()
        return (Document(source: source, frontMatter: frontMatter, blocks: blocks), diagnostics)
    }
}

/// What a fence's info string says the block is.
enum DirectiveHeader: Equatable {
    /// `{name} argument`.
    case directive(name: String, argument: String?)
    /// Starts with `{` but is not a valid `{name}`.
    case malformed(String)
    /// An ordinary code block.
    case code

    /// Classifies an info string.
    ///
    /// - Parameter info: The trimmed info string.
    init(info: String) {
        guard info.hasPrefix("{") else {
            self = .code
            return
        }
        guard let close = info.firstIndex(of: "}") else {
            self = .malformed(info)
            return
        }
        let name = info[info.index(after: info.startIndex)..<close]
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_+:.")
        guard !name.isEmpty, name.allSatisfy({ allowed.contains($0) }) else {
            self = .malformed(info)
            return
        }
        let rest = info[info.index(after: close)...].trimmingEdges()
        self = .directive(name: String(name), argument: rest.isEmpty ? nil : String(rest))
    }
}
