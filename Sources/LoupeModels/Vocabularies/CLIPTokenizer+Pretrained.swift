import Foundation
import LoupeText

/// CLIP's merges file, fetched like the models: from the `open_clip_torch` wheel on PyPI.
extension CLIPTokenizer {
    /// `bpe_simple_vocab_16e6.txt.gz` inside the `open_clip_torch` 3.3.0 wheel (OpenAI's merges,
    /// MIT), pinned by its SHA-256.
    public static let pretrainedMerges = PackageFiles(
        name: "clip-bpe", package: "open-clip-torch==3.3.0",
        files: [
            .init(
                pathInWheel: "open_clip/bpe_simple_vocab_16e6.txt.gz",
                sha256: "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a")
        ])

    /// CLIP's tokenizer with open_clip's merges, fetched on first use into
    /// `$LOUPE_HOME/tokenizers/clip/` and checked against their SHA-256.
    ///
    /// - Parameters:
    ///   - home: the store's root (`$LOUPE_HOME`, `~/.cache/loupe` by default).
    ///   - contextLength: the most ids a text gets, start and end included.
    ///   - progress: receives one-line status messages while the file is fetched.
    /// - Returns: the tokenizer, context length 77 by default.
    /// - Throws: ``ModelError/store(model:reason:)`` when the file cannot be fetched, and the
    ///   errors of ``init(contentsOf:contextLength:)``.
    public static func pretrained(
        home: URL = ModelStore().home, contextLength: Int = CLIPTokenizer.defaultContextLength, progress: (String) -> Void = { _ in }
    ) throws -> CLIPTokenizer {
        let folder = home.appendingPathComponent("tokenizers/clip")
        let urls = try pretrainedMerges.install(into: folder, scratch: home.appendingPathComponent("tmp"), progress: progress)
        return try CLIPTokenizer(contentsOf: urls[0], contextLength: contextLength)
    }

    /// A tokenizer over a merges file, gzip-compressed (`bpe_simple_vocab_16e6.txt.gz`, as
    /// open_clip ships it) or plain text.
    ///
    /// - Parameters:
    ///   - url: the merges file.
    ///   - contextLength: the most ids a text gets, start and end included.
    /// - Throws: ``TextError/unreadable(file:reason:)``, and the errors of
    ///   ``init(fileData:name:contextLength:)`` naming the file.
    public init(contentsOf url: URL, contextLength: Int = CLIPTokenizer.defaultContextLength) throws(TextError) {
        let data = try TextError.contents(of: url)
        try self.init(fileData: data, name: url.path, contextLength: contextLength)
    }

    /// A tokenizer over the bytes of a merges file, decompressed first when they start with
    /// gzip's magic number (1F 8B).
    ///
    /// - Parameters:
    ///   - data: the file's bytes.
    ///   - name: the file name used in error messages.
    ///   - contextLength: the most ids a text gets, start and end included.
    /// - Throws: ``TextError/invalidGzip(file:reason:)`` for truncated or corrupt gzip data, and
    ///   the errors of ``CLIPTokenizer/init(merges:name:contextLength:)``.
    public init(fileData data: Data, name: String, contextLength: Int = CLIPTokenizer.defaultContextLength) throws(TextError) {
        var text = data
        if data.starts(with: [0x1F, 0x8B]) {
            do {
                text = Data(try Gzip.inflate(data, file: name))
            } catch let ModelError.notACheckpoint(_, reason) {
                throw .invalidGzip(file: name, reason: reason)
            } catch {
                throw .invalidGzip(file: name, reason: "\(error)")
            }
        }
        try self.init(merges: text, name: name, contextLength: contextLength)
    }
}
