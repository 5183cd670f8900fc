import Foundation
import Testing

/// What one run of the `loupe` binary did.
struct LoupeRun {
    let status: Int32
    let output: String
    let errors: String
}

/// The `loupe` executable next to the test bundle.
var loupeBinary: URL {
    var dir = Bundle.main.bundleURL
    for _ in 0..<3 where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("loupe").path) {
        dir.deleteLastPathComponent()
    }
    return dir.appendingPathComponent("loupe")
}

/// A new, empty folder under the temporary directory, named `prefix-UUID`.
func makeTemporaryFolder(_ prefix: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Runs `loupe` with `arguments` in `directory`, with `LOUPE_HOME` in a test folder unless the
/// caller passes one and `environment` added to the test's, and records a crash as a test issue.
func runLoupe(_ arguments: [String], in directory: URL? = nil, home: URL? = nil, environment extra: [String: String] = [:]) throws
    -> LoupeRun
{
    try StartedLoupe(arguments, in: directory, home: home, environment: extra).wait()
}

/// A `loupe` process started and not yet waited for, so that a test can run several at once.
final class StartedLoupe {
    let process = Process()
    private let scratch: URL
    private let handles: (input: FileHandle, output: FileHandle, errors: FileHandle)

    /// Starts `loupe` as ``runLoupe(_:in:home:environment:)`` does.
    init(_ arguments: [String], in directory: URL? = nil, home: URL? = nil, environment extra: [String: String] = [:]) throws {
        process.executableURL = loupeBinary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        var environment = ProcessInfo.processInfo.environment
        environment["LOUPE_HOME"] = (home ?? FileManager.default.temporaryDirectory.appendingPathComponent("loupe-cli-tests")).path
        environment.merge(extra) { _, new in new }
        process.environment = environment
        // Files, not pipes: Foundation's pipe reading aborts on an interrupted system call.
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        try #require(FileManager.default.createFile(atPath: outURL.path, contents: nil))
        try #require(FileManager.default.createFile(atPath: errURL.path, contents: nil))
        // Commands that read standard input when given nothing else must see it empty: an empty file
        // of this run's own, like its output files (with FileHandle.nullDevice, one of many
        // concurrently started processes once read another's data).
        let inURL = scratch.appendingPathComponent("in")
        try #require(FileManager.default.createFile(atPath: inURL.path, contents: nil))
        handles = (
            input: try FileHandle(forReadingFrom: inURL), output: try FileHandle(forWritingTo: outURL),
            errors: try FileHandle(forWritingTo: errURL)
        )
        process.standardInput = handles.input
        process.standardOutput = handles.output
        process.standardError = handles.errors
        try process.run()
    }

    /// What the process has written to standard error so far.
    var errorsSoFar: String {
        String(decoding: (try? Data(contentsOf: scratch.appendingPathComponent("err"))) ?? Data(), as: UTF8.self)
    }

    /// Waits for the process to end and returns what it did, recording a crash as a test issue.
    func wait(crashExpected: Bool = false) throws -> LoupeRun {
        process.waitUntilExit()
        defer {
            [handles.input, handles.output, handles.errors].forEach { try? $0.close() }
            try? FileManager.default.removeItem(at: scratch)
        }
        let output = try Data(contentsOf: scratch.appendingPathComponent("out"))
        let errors = try Data(contentsOf: scratch.appendingPathComponent("err"))
        if !crashExpected {
            #expect(process.terminationReason == .exit, "loupe crashed with signal \(process.terminationStatus)")
        }
        return LoupeRun(
            status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
            errors: String(decoding: errors, as: UTF8.self))
    }
}
