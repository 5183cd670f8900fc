import Crypto
import Foundation

/// Lower-case hexadecimal SHA-256 digests: how the model store pins files and the cell cache
/// keys inputs.
public enum SHA256Digest {
    /// The digest of `data`.
    public static func hex(of data: Data) -> String {
        hex(SHA256.hash(data: data))
    }

    /// The digest of a file's bytes, read in 1 MiB chunks.
    ///
    /// - Throws: the file-system error when the file cannot be read.
    public static func hex(ofFileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
