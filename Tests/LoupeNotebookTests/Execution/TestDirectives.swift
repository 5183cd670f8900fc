import Foundation
@testable import LoupeNotebook

/// Which cells ran, per test (each test passes its own `:log:` token), so cache tests can
/// assert what was and was not recomputed.
final class RunLog: @unchecked Sendable {
    static let shared = RunLog()
    private let lock = NSLock()
    private var runs: [String: [String]] = [:]

    func record(_ token: String, _ cell: String) {
        lock.withLock { runs[token, default: []].append(cell) }
    }

    func runs(_ token: String) -> [String] {
        lock.withLock { runs[token] ?? [] }
    }
}

struct NumberValue: NotebookValue {
    static let kind = ValueKind(rawValue: "number")
    let value: Int
}

/// `{number} x` with `:value:` and `:log:`: defines a number.
struct NumberDirective: Directive {
    static let name = "number"
    static let summary = "Defines a number."
    static let argument = ArgumentSpec.requiredName(NumberValue.kind)
    static let options = [
        OptionSpec("value", .integer(-1000...1000), help: "The number."),
        OptionSpec("log", .text, default: "", help: "Run-log token."),
    ]
    static let example = "```{number} x\n:value: 1\n```"
    let name: String
    let value: Int
    let log: String

    init(_ options: CellOptions) throws {
        name = options.name ?? "?"
        value = try options.integer("value")
        log = try options.text("log")
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(log, name)
        return CellRun(outputs: [.text("\(name) = \(value)")], value: NumberValue(value: value))
    }
}

/// `{sum} s` with `:of: a, b`: adds numbers; `:fail: true` throws.
struct SumDirective: Directive {
    static let name = "sum"
    static let summary = "Adds numbers."
    static let argument = ArgumentSpec.optionalName(NumberValue.kind)
    static let options = [
        OptionSpec("of", .references(NumberValue.kind), help: "Numbers to add."),
        OptionSpec("fail", .flag, default: "false", help: "Throw instead."),
        OptionSpec("log", .text, default: "", help: "Run-log token."),
    ]
    static let example = "```{sum}\n:of: x, y\n```"
    let name: String
    let names: [String]
    let fail: Bool
    let log: String

    init(_ options: CellOptions) throws {
        name = options.name ?? "sum"
        names = try options.references("of")
        fail = try options.flag("fail")
        log = try options.text("log")
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(log, name)
        if fail { throw CellError.invalid("told to fail <b>loudly</b>") }
        let total = try names.reduce(0) { $0 + (try context.value(NumberValue.self, named: $1).value) }
        return CellRun(outputs: [.text("\(names.joined(separator: " + ")) = \(total)")], value: NumberValue(value: total))
    }
}

/// `{checksum}` with `:src:`: shows a file's size (its bytes are in the cache key).
struct ChecksumDirective: Directive {
    static let name = "checksum"
    static let summary = "Shows a file's size."
    static let options = [
        OptionSpec("src", .file, help: "The file."),
        OptionSpec("log", .text, default: "", help: "Run-log token."),
    ]
    static let example = "```{checksum}\n:src: a.txt\n```"
    let url: URL
    let log: String

    init(_ options: CellOptions) throws {
        url = try options.file("src")
        log = try options.text("log")
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(log, "checksum")
        return CellRun(outputs: [.text("\(try Data(contentsOf: url).count) bytes")])
    }
}

extension DirectiveRegistry {
    static let testing = DirectiveRegistry([NumberDirective.self, SumDirective.self, ChecksumDirective.self])
}

/// A fresh temporary folder.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-notebook-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
