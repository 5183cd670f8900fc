import Crypto
import Foundation
import LoupeModels

/// A notebook ready to run: every cell checked, names resolved, params substituted and cache
/// keys computed, before anything expensive happens.
public struct Plan: Sendable {
    /// The notebook as parsed.
    public let document: Document
    /// The cells in notebook order.
    public let cells: [PlannedCell]
    /// Parser warnings and errors, for the terminal.
    public let diagnostics: [Diagnostic]
    /// The params after `--set` overrides, in front-matter order (overrides of unknown params
    /// are rejected before planning).
    public let params: [NamedValue]
}

/// One cell of a ``Plan``.
public struct PlannedCell: Sendable {
    /// What the cell is.
    public enum Content: Sendable {
        /// Prose, already rendered to safe HTML.
        case prose(html: String)
        /// A fenced code block, shown and never run (rendered to HTML by cmark).
        case code(html: String)
        /// A directive to run.
        case directive(PlannedDirective)
    }

    /// The cell's identifier in the report: its name, or the directive and its ordinal.
    public let id: String
    /// The 1-based source lines.
    public let lines: ClosedRange<Int>
    /// The cell's content.
    public let content: Content

    /// The line a message about this cell should point at: the option a planning error is
    /// about, or the opening fence.
    public var messageLine: Int {
        if case let .directive(planned) = content, let option = planned.error?.option,
            let line = planned.block.optionLines[option]
        {
            return line
        }
        return lines.lowerBound
    }

    /// The cache key of a directive cell that planned cleanly.
    public var cacheKey: String? {
        if case let .directive(directive) = content { return directive.cacheKey }
        return nil
    }
}

/// A directive cell of a ``Plan``.
public struct PlannedDirective: Sendable {
    /// The directive block after `{{ param }}` substitution.
    public let block: DirectiveBlock
    /// The source text as written (before substitution), shown in the report.
    public let source: String
    /// The directive, when the cell planned cleanly.
    public let directive: (any Directive)?
    /// Why the cell cannot run, when it did not plan cleanly.
    public let error: CellError?
    /// The name the cell defines, if any.
    public let definedName: String?
    /// Indices (into ``Plan/cells``) of the cells whose values this cell reads.
    public let dependencies: [Int]
    /// The cache key: SHA-256 over the Loupe version, the substituted cell, its resolved
    /// options, the keys of the cells it reads and the bytes of the files it names.
    public internal(set) var cacheKey: String?
}

/// Turns a parsed ``Document`` into a ``Plan``.
public struct Planner: Sendable {
    /// The directives cells may use.
    public var registry: DirectiveRegistry
    /// Params set on the command line, overriding the front matter's.
    public var overrides: [NamedValue]
    /// Reads a file's SHA-256 (overridable so tests can count reads).
    public var fileHasher: FileHasher

    /// A planner for `registry`'s directives, with `overrides` of the front matter's params.
    public init(registry: DirectiveRegistry = .standard, overrides: [NamedValue] = [], fileHasher: FileHasher = FileHasher()) {
        self.registry = registry
        self.overrides = overrides
        self.fileHasher = fileHasher
    }

    /// Plans a notebook's text.
    ///
    /// - Parameters:
    ///   - text: The notebook source.
    ///   - source: The path for messages.
    ///   - baseDirectory: The folder relative paths resolve against (the notebook's).
    /// - Returns: Every cell in order, directive cells checked and keyed (a cell that fails to
    ///   plan carries its error instead of stopping the plan), with the parser's diagnostics and
    ///   the params.
    /// - Throws: ``NotebookError`` for front matter that cannot be read, or an override of a
    ///   param the notebook does not have.
    public func plan(_ text: String, source: String, baseDirectory: URL) throws -> Plan {
        try NotebookLimits.check(bytes: text.utf8.count, file: source)
        // The fences counted without parsing (at least the directive cells), then the cells.
        try NotebookLimits.check(cells: NotebookLimits.fenceCount(text), file: source)
        var (document, diagnostics) = try Document.parse(text, source: source)
        try NotebookLimits.check(cells: document.directives.count, file: source)
        let sourceLines = SourceLine.split(text).map(\.text)
        var params = document.frontMatter.orderedParams
        for override in overrides {
            guard let index = params.firstIndex(where: { $0.name == override.name }) else {
                throw NotebookError.unknownParam(
                    file: source, name: override.name,
                    suggestions: closestNames(to: override.name, in: params.map(\.name)))
            }
            params[index].value = override.value
        }
        let paramValues = Dictionary(params.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
        let defaults = document.frontMatter.defaults

        var cells: [PlannedCell] = []
        var definitions: [String: (index: Int, kind: ValueKind, line: Int)] = [:]
        var ordinals: [String: Int] = [:]
        var usedIDs: Set<String> = []

        for block in document.blocks {
            switch block {
            case let .prose(markdown, lines):
                let id = Self.uniqueID("prose-\(lines.lowerBound)", &usedIDs)
                let (html, problems) = ProseImages.inline(try proseHTML(markdown), baseDirectory: baseDirectory)
                diagnostics += problems.map {
                    Diagnostic(severity: .warning, code: .unembeddableImage, file: source, line: lines.lowerBound, message: $0)
                }
                cells.append(PlannedCell(id: id, lines: lines, content: .prose(html: html)))
            case let .code(_, _, lines):
                let fenced = sourceLines[(lines.lowerBound - 1)..<min(lines.upperBound, sourceLines.count)].joined(separator: "\n")
                let id = Self.uniqueID("code-\(lines.lowerBound)", &usedIDs)
                cells.append(PlannedCell(id: id, lines: lines, content: .code(html: try proseHTML(fenced))))
            case let .directive(raw):
                let index = cells.count
                let written = sourceLines[(raw.lines.lowerBound - 1)..<min(raw.lines.upperBound, sourceLines.count)].joined(separator: "\n")
                let parseErrors = diagnostics.filter { $0.severity == .error && raw.lines.contains($0.line) }
                var planned = planDirective(
                    raw, written: written, parseErrors: parseErrors, params: paramValues, defaults: defaults,
                    definitions: definitions, baseDirectory: baseDirectory)
                if let material = planned.cacheKey {
                    // A dependency always precedes its dependant, so its key is final already.
                    let dependencyKeys = planned.dependencies.map { cells[$0].cacheKey ?? "failed" }
                    planned.cacheKey = Self.sha256(([material] + dependencyKeys.map { "input \($0)" }).joined(separator: "\n"))
                }
                if let name = planned.definedName {
                    if let existing = definitions[name] {
                        planned = PlannedDirective(
                            block: planned.block, source: written, directive: nil,
                            error: .duplicateName(name, firstLine: existing.line),
                            definedName: nil, dependencies: planned.dependencies, cacheKey: nil)
                    } else if let kind = registry.directive(named: raw.name)?.argument.definedKind {
                        definitions[name] = (index, kind, raw.lines.lowerBound)
                    }
                }
                let id: String
                if let name = planned.block.argument, !name.isEmpty {
                    id = Self.uniqueID(name, &usedIDs)
                } else {
                    ordinals[raw.name, default: 0] += 1
                    id = Self.uniqueID("\(raw.name)-\(ordinals[raw.name] ?? 1)", &usedIDs)
                }
                cells.append(PlannedCell(id: id, lines: raw.lines, content: .directive(planned)))
            }
        }
        return Plan(document: document, cells: cells, diagnostics: diagnostics, params: params)
    }

    private func planDirective(
        _ raw: DirectiveBlock, written: String, parseErrors: [Diagnostic], params: [String: String],
        defaults: [String: String], definitions: [String: (index: Int, kind: ValueKind, line: Int)], baseDirectory: URL
    ) -> PlannedDirective {
        var block = raw
        var definedName: String?
        var dependencies: [Int] = []
        func failed(_ error: CellError) -> PlannedDirective {
            PlannedDirective(
                block: block, source: written, directive: nil, error: error, definedName: definedName, dependencies: dependencies,
                cacheKey: nil)
        }

        guard let type = registry.directive(named: raw.name) else {
            definedName = raw.argument
            return failed(.unknownDirective(raw.name, suggestions: closestNames(to: raw.name, in: registry.names)))
        }
        do {
            block.argument = try raw.argument.map { try Self.substitute($0, params: params) }
            block.body = try Self.substitute(raw.body, params: params)
            block.options = try raw.options.map { NamedValue(name: $0.name, value: try Self.substitute($0.value, params: params)) }
        } catch let error as CellError {
            definedName = raw.argument
            return failed(error)
        } catch {
            return failed(.invalid(String(describing: error)))
        }

        switch (type.argument, block.argument) {
        case let (.requiredName(kind), nil):
            return failed(.missingArgument(directive: raw.name, kind: kind))
        case let (.none, argument?):
            return failed(.unexpectedArgument(directive: raw.name, argument: argument))
        case let (_, argument?) where argument.contains(where: \.isWhitespace) || argument.contains(","):
            return failed(.invalid("a cell's name is one word without commas, found '\(argument)'"))
        default:
            definedName = block.argument
        }
        if let first = parseErrors.first {
            return failed(.malformed(first.message))
        }

        let specs = type.options
        let specNames = specs.map(\.name)
        for option in block.options where !specNames.contains(option.name) {
            return failed(.unknownOption(option.name, directive: raw.name, suggestions: closestNames(to: option.name, in: specNames)))
        }

        // Values: the cell's own, then the front matter's defaults, then the directive's. The
        // front matter does not fill options a directive marks optional: an unset optional option
        // means something (`{show}` without `model` shows the photo as it is).
        var values: [String: String] = [:]
        for spec in specs {
            let frontMatterDefault = spec.isOptional ? nil : defaults[spec.name]
            if let value = block.option(spec.name) ?? frontMatterDefault ?? spec.defaultValue {
                values[spec.name] = value
            } else if spec.isRequired {
                return failed(.missingOption(spec.name))
            }
        }

        var keyLines = ["loupe \(LoupeVersion.build)", "directive \(raw.name)", "name \(block.argument ?? "")"]
        for spec in specs {
            guard let value = values[spec.name] else { continue }
            if let problem = Self.check(value, against: spec.type) {
                return failed(.badValue(option: spec.name, value: value, expected: problem))
            }
            keyLines.append("option \(spec.name)=\(value)")
            switch spec.type {
            case let .reference(kind):
                switch resolveReference(value.trimmingCharacters(in: .whitespaces), option: spec.name, kind: kind, definitions: definitions)
                {
                case let .success(index): dependencies.append(index)
                case let .failure(error): return failed(error)
                }
            case let .references(kind):
                for name in OptionText.splitReferences(value) {
                    switch resolveReference(name, option: spec.name, kind: kind, definitions: definitions) {
                    case let .success(index): if !dependencies.contains(index) { dependencies.append(index) }
                    case let .failure(error): return failed(error)
                    }
                }
            case .file:
                let url = OptionText.resolve(path: value, against: baseDirectory)
                do {
                    keyLines.append("file \(spec.name) sha256 \(try fileHasher.sha256(of: url))")
                } catch {
                    return failed(.unreadableFile(option: spec.name, path: value, reason: FileErrorReason.text(for: error)))
                }
            default:
                break
            }
        }
        keyLines.append("body \(block.body)")

        let directive: any Directive
        do {
            directive = try type.make(name: block.argument, body: block.body, values: values, baseDirectory: baseDirectory)
            keyLines += try directive.cacheKeyMaterial().map { "extra \($0)" }
        } catch let error as CellError {
            return failed(error)
        } catch {
            return failed(.invalid(String(describing: error)))
        }
        return PlannedDirective(
            block: block, source: written, directive: directive, error: nil, definedName: definedName,
            dependencies: dependencies, cacheKey: keyLines.joined(separator: "\n"))
    }

    private func resolveReference(
        _ name: String, option: String, kind: ValueKind, definitions: [String: (index: Int, kind: ValueKind, line: Int)]
    ) -> Result<Int, CellError> {
        guard let definition = definitions[name] else {
            let available = definitions.filter { $0.value.kind == kind }.sorted { $0.value.index < $1.value.index }.map(\.key)
            return .failure(.unknownReference(option: option, name: name, kind: kind, available: available))
        }
        guard definition.kind == kind else {
            return .failure(.wrongKind(option: option, name: name, expected: kind, found: definition.kind))
        }
        return .success(definition.index)
    }

    /// Replaces each `{{ name }}` with its param's value.
    static func substitute(_ text: String, params: [String: String]) throws -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else { throw CellError.unclosedParam(text) }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard let value = params[name] else {
                throw CellError.unknownParam(name, suggestions: closestNames(to: name, in: params.keys.sorted()))
            }
            result += value
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    /// Why `value` is not of `type`, or `nil` when it is.
    static func check(_ value: String, against type: OptionType) -> String? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        switch type {
        case .text, .list:
            return nil
        case let .integer(range):
            guard let number = Int(trimmed), range.contains(number) else {
                return "an integer from \(range.lowerBound) to \(range.upperBound)"
            }
        case let .number(range):
            guard let number = Double(trimmed), number.isFinite, range.contains(number) else {
                return "a number from \(range.lowerBound) to \(range.upperBound)"
            }
        case .flag:
            guard OptionText.parseFlag(trimmed) != nil else { return "true or false" }
        case let .choice(words):
            guard words.contains(trimmed) else {
                let near = closestNames(to: trimmed, in: words, limit: 1)
                return "one of \(words.joined(separator: ", "))" + (near.isEmpty ? "" : " (did you mean '\(near[0])'?)")
            }
        case .file:
            guard !trimmed.isEmpty else { return "a file path" }
        case .reference:
            guard !trimmed.isEmpty, !trimmed.contains(","), !trimmed.contains(where: \.isWhitespace) else { return "one cell name" }
        case .references:
            guard !OptionText.splitReferences(trimmed).isEmpty else { return "one or more cell names, comma-separated" }
        }
        return nil
    }

    static func sha256(_ text: String) -> String {
        SHA256Digest.hex(of: Data(text.utf8))
    }

    private static func uniqueID(_ base: String, _ used: inout Set<String>) -> String {
        used.claim(base)
    }
}

/// The SHA-256 of files, remembered per path, size and modification time for the life of the
/// hasher.
public final class FileHasher: @unchecked Sendable {
    private struct Stamp: Hashable {
        let path: String
        let size: Int
        let modified: Date
    }

    private let lock = NSLock()
    private var known: [Stamp: String] = [:]
    /// How many files were actually read (for tests).
    public private(set) var reads = 0

    /// A hasher that has read no file yet.
    public init() {}

    /// The lower-case hexadecimal SHA-256 of the file's bytes.
    public func sha256(of url: URL) throws -> String {
        let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
        if (attributes[.type] as? FileAttributeType) == .typeDirectory {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "it is a directory"])
        }
        let stamp = Stamp(
            path: url.path, size: (attributes[.size] as? NSNumber)?.intValue ?? -1,
            modified: attributes[.modificationDate] as? Date ?? .distantPast)
        if let hash = lock.withLock({ known[stamp] }) { return hash }
        let hash = try Self.digest(contentsOf: url)
        lock.withLock {
            known[stamp] = hash
            reads += 1
        }
        return hash
    }

    /// SHA-256 of a file, read in 1 MiB chunks.
    static func digest(contentsOf url: URL) throws -> String {
        try SHA256Digest.hex(ofFileAt: url)
    }
}

/// The version of Loupe, recorded in reports and part of every cache key.
public enum LoupeVersion {
    /// The release version, as `0.1.0`.
    public static let string = "0.1.0"

    /// The version plus the running executable's size and modification time: part of every
    /// cache key, so a rebuilt Loupe (a new release, or a developer's edit) never serves outputs
    /// an older build computed.
    public static let build: String = {
        guard let path = Bundle.main.executablePath,
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        else { return string }
        let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(string) build \(size)-\(Int(modified))"
    }()
}
