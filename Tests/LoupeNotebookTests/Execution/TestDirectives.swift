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
    static let example = "```{number} x\n:value: 1\n```"

    struct Options: DirectiveOptions {
        @CellOption(range: -1000...1000, help: "The number.") var value: Int
        @CellOption(help: "Run-log token.") var log = ""
    }

    let name: String
    let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        name = cell.name ?? "?"
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(options.log, name)
        return CellRun(outputs: [.text("\(name) = \(options.value)")], value: NumberValue(value: options.value))
    }
}

/// `{sum} s` with `:of: a, b`: adds numbers; `:fail: true` throws.
struct SumDirective: Directive {
    static let name = "sum"
    static let summary = "Adds numbers."
    static let argument = ArgumentSpec.optionalName(NumberValue.kind)
    static let example = "```{sum}\n:of: x, y\n```"

    struct Options: DirectiveOptions {
        @CellOption(help: "Numbers to add.") var of: CellNames<NumberValue>
        @CellOption(help: "Throw instead.") var fail = false
        @CellOption(help: "Run-log token.") var log = ""
    }

    let name: String
    let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        name = cell.name ?? "sum"
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(options.log, name)
        if options.fail { throw CellError.invalid("told to fail <b>loudly</b>") }
        let total = try context.values(options.of).reduce(0) { $0 + $1.value }
        return CellRun(outputs: [.text("\(options.of.names.joined(separator: " + ")) = \(total)")], value: NumberValue(value: total))
    }
}

/// `{checksum}` with `:src:`: shows a file's size (its bytes are in the cache key).
struct ChecksumDirective: Directive {
    static let name = "checksum"
    static let summary = "Shows a file's size."
    static let example = "```{checksum}\n:src: a.txt\n```"

    struct Options: DirectiveOptions {
        @CellOption(help: "The file.") var src: FilePath
        @CellOption(help: "Run-log token.") var log = ""
    }

    let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        RunLog.shared.record(options.log, "checksum")
        return CellRun(outputs: [.text("\(try Data(contentsOf: options.src.url).count) bytes")])
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
