import Foundation
import LoupeTensor

/// Sentence vectors kept on disk, so that embedding a vocabulary a second time is a file read.
///
/// Entries are float32 `.npy` files `[count, dimension]` in `$LOUPE_HOME/embeddings/`, named by
/// a SHA-256 over the encoder's weights digest and the exact texts, written atomically. An entry
/// that cannot be read, or has another shape, is a miss and is computed again.
public struct EmbeddingCache: Sendable {
    /// The folder the entries are kept in, `embeddings` under the store's home.
    public let folder: URL

    /// The cache under the store's home (`$LOUPE_HOME`, or `~/.cache/loupe`).
    public init(home: URL = ModelStore().home) {
        folder = home.appendingPathComponent("embeddings")
    }

    /// The key of `texts` embedded by the encoder `name` whose weights have digest `sha256`.
    public static func key(encoder name: String, sha256: String, texts: [String]) -> String {
        SHA256Digest.hex(of: Data((["encoder \(name) \(sha256)"] + texts).joined(separator: "\n\u{1e}").utf8))
    }

    /// The vectors of `texts` (`dimension` wide) embedded by the encoder `name` with weights
    /// `sha256`, from the cache or computed by `compute` (and then kept).
    ///
    /// - Throws: what `compute` throws. A failure to write the entry is not an error: the
    ///   vectors are returned and the next call computes them again.
    public func vectors(
        encoder name: String, sha256: String, dimension: Int, texts: [String], compute: () throws -> [[Float]]
    ) throws -> (vectors: [[Float]], cached: Bool) {
        let url = folder.appendingPathComponent(Self.key(encoder: name, sha256: sha256, texts: texts) + ".npy")
        if let data = try? Data(contentsOf: url), let stored = try? NPY.decode(data), stored.shape == [texts.count, dimension] {
            return ((0..<texts.count).map { Array(stored.values[($0 * dimension)..<(($0 + 1) * dimension)]) }, true)
        }
        let vectors = try compute()
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? NPY.encode(rows: vectors, shape: [vectors.count, dimension]).write(to: url, options: .atomic)
        return (vectors, false)
    }
}
