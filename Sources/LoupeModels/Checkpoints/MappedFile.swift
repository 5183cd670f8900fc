import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A checkpoint file mapped read-only and private, whose pages can be handed back to the
/// kernel once their tensors are copied out.
///
/// Mapped pages that a reader has touched count in the process's resident set until they are
/// released: without ``release(_:)`` a model's load would hold its weights twice (the file's
/// pages and the tensors made from them). Releasing a page of a private file mapping only drops
/// it; reading it again faults it back in from the file, so a range shared with a tensor not yet
/// read stays correct.
final class MappedFile: @unchecked Sendable {
    /// The file's bytes, backed by the mapping (which lives as long as this object or the data).
    let data: Data
    private let base: UnsafeMutableRawPointer?
    private let length: Int

    /// Maps the file at `url`.
    ///
    /// - Throws: ``ModelError/unreadable(file:reason:)`` naming the file.
    init(_ url: URL) throws {
        let path = url.path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ModelError.unreadable(file: path, reason: Self.reason(errno)) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw ModelError.unreadable(file: path, reason: Self.reason(errno)) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw ModelError.unreadable(file: path, reason: "it is not a regular file") }
        length = Int(status.st_size)
        guard length > 0 else {
            base = nil
            data = Data()
            return
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED else {
            throw ModelError.unreadable(file: path, reason: Self.reason(errno))
        }
        base = mapped
        let size = length
        data = Data(bytesNoCopy: mapped, count: length, deallocator: .custom { pointer, _ in munmap(pointer, size) })
    }

    /// The wording ``FileErrorReason`` uses for the common cases, the C library's otherwise.
    private static func reason(_ code: Int32) -> String {
        switch code {
        case ENOENT: return "no such file"
        case EACCES: return "permission denied"
        case EISDIR: return "it is a directory"
        default: return String(cString: strerror(code))
        }
    }

    /// Drops the whole pages inside `range` (byte offsets into the file) from memory.
    func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound + page - 1) / page * page
        let end = Swift.min(range.upperBound, length) / page * page
        guard end > start else { return }
        _ = madvise(base + start, end - start, Int32(MADV_DONTNEED))
    }
}
