import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The record that a store file's SHA-256 was checked: the digest with the file's size,
/// modification time and inode at that moment, kept in a hidden `.NAME.verified` beside it.
///
/// While the file's `stat` still gives the same three values, its bytes are the ones that were
/// hashed (a truncation, an edit or a replacement changes at least one), so it is trusted without
/// reading it again; a store on a read-only disk simply keeps no records and is hashed each time.
enum VerifiedStamp {
    static func url(for file: URL) -> URL {
        file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).verified")
    }

    /// `sha256 size seconds.nanoseconds inode` for the file as it is now, or `nil` when it cannot
    /// be examined.
    static func line(for file: URL, sha256: String) -> String? {
        var status = stat()
        guard stat(file.path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return "\(sha256) \(status.st_size) \(status.st_mtim.tv_sec).\(status.st_mtim.tv_nsec) \(status.st_ino)\n"
    }

    /// Whether the file's record says it was verified as `sha256` and it has not changed since.
    static func matches(_ file: URL, sha256: String) -> Bool {
        guard let expected = line(for: file, sha256: sha256), let recorded = try? Data(contentsOf: url(for: file)) else { return false }
        return recorded == Data(expected.utf8)
    }

    /// Records that the file, as it is now, has the digest `sha256` (best effort: a store that
    /// cannot be written is only checked more often).
    static func record(_ file: URL, sha256: String) {
        guard let line = line(for: file, sha256: sha256) else { return }
        try? AtomicFile.write(Data(line.utf8), to: url(for: file))
    }
}

/// An exclusive advisory lock (`flock(2)`) on a file, held by one process at a time.
///
/// How processes installing into the same store folder take turns. The kernel drops it when
/// the process ends, however it ends.
final class StoreLock {
    private let url: URL
    private var descriptor: Int32 = -1
    /// Why the lock could not be taken, when it could not.
    private(set) var failure: String?

    init(_ url: URL) {
        self.url = url
    }

    /// Takes the lock, calling `waiting` once first when another process holds it.
    ///
    /// - Returns: `false` when the lock file cannot be opened or locked (a read-only store).
    func acquire(waiting: () -> Void) -> Bool {
        descriptor = open(url.path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            failure = FileErrorReason.posixText(errno)
            return false
        }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
        guard errno == EWOULDBLOCK else { return fail() }
        waiting()
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { return fail() }
        }
        return true
    }

    private func fail() -> Bool {
        failure = FileErrorReason.posixText(errno)
        close(descriptor)
        descriptor = -1
        return false
    }

    /// Lets the next process in.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// Why `pip download` failed, read from its log, and what the user should do about it.
struct PipFailure {
    let log: String
    let status: Int32

    /// One sentence naming the cause and the remedy, ending with pip's last error line.
    func advice(package: String) -> String {
        let lines = log.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        let lastError = lines.last { $0.hasPrefix("ERROR:") } ?? lines.last { !$0.isEmpty } ?? "exit status \(status)"
        if log.contains("No module named pip") {
            return "pip is not installed for python3: install it (on Debian: apt-get install python3-pip) and run again"
        }
        let unreachable = [
            "NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
            "Name or service not known", "ConnectTimeoutError", "ProxyError", "Network is unreachable", "Connection refused",
            "SSLError", "ReadTimeoutError",
        ]
        if unreachable.contains(where: log.contains) {
            return "the package index could not be reached: check this machine's network or proxy (or point PIP_INDEX_URL at a mirror"
                + " that has \(package)) and run again (pip: \(lastError))"
        }
        if log.contains("No matching distribution found") {
            return "the package index has no \(package): check that this machine reaches PyPI, or that the index PIP_INDEX_URL"
                + " names mirrors it, and run again (pip: \(lastError))"
        }
        return "pip download \(package) failed: run `python3 -m pip download --no-deps \(package)` to see why (pip: \(lastError))"
    }
}
