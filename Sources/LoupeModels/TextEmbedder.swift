import Foundation
import LoupeText

/// A sentence encoder from the store with its tokenizer: texts in, unit vectors out — what
/// `loupe embed` and the text cells of notebooks use.
public final class TextEmbedder: @unchecked Sendable {
    /// The store's name for the encoder (`all-minilm-l6-v2`).
    public let name: String
    /// The SHA-256 of its weights, as the store pins them.
    public let sha256: String
    /// The width of the vectors.
    public let dimension: Int
    /// Its WordPiece tokenizer, over the vocabulary that ships with the weights.
    public let tokenizer: BertTokenizer
    private let configuration: BERTConfiguration
    private let weights: URL
    private var loaded: SentenceEncoder?
    private let lock = NSLock()

    /// The store's text model `name`, fetched on first use.
    ///
    /// The weights are read only when a text is not in the embedding cache.
    ///
    /// - Throws: ``ModelError/invalidSource(_:)`` for an image model's name or a vocabulary that
    ///   does not fit the weights, the store's errors, and ``LoupeText/TextError`` for a
    ///   vocabulary that does not load.
    public convenience init(
        named name: String = ModelStore.defaultTextModel, store: ModelStore = ModelStore(), progress: (String) -> Void = { _ in }
    )
        throws
    {
        let entry = try ModelStore.entry(named: name)
        guard case let .text(configuration) = entry.kind else {
            throw ModelError.invalidSource("'\(entry.name)' is an image classifier, not a text encoder")
        }
        let files = try store.installFiles(entry, progress: progress)
        guard files.count >= 2 else { throw ModelError.store(model: entry.name, reason: "the store entry lists no vocabulary") }
        try self.init(name: entry.name, sha256: entry.sha256, configuration: configuration, weights: files[0], vocabulary: files[1])
    }

    /// An encoder from files: `weights` (safetensors) and `vocabulary` (`vocab.txt`), checked
    /// against each other before anything else is read.
    ///
    /// - Throws: ``ModelError/invalidSource(_:)`` when the vocabulary's size is not the one the
    ///   configuration embeds; ``LoupeText/TextError`` for a vocabulary that does not load.
    init(name: String, sha256: String, configuration: BERTConfiguration, weights: URL, vocabulary url: URL) throws {
        let vocabulary = try WordPieceVocabulary(contentsOf: url)
        guard vocabulary.tokens.count == configuration.vocabularySize else {
            throw ModelError.invalidSource(
                "\(url.path) has \(vocabulary.tokens.count) tokens, but the weights embed \(configuration.vocabularySize)")
        }
        tokenizer = try BertTokenizer(vocabulary: vocabulary)
        self.name = name
        self.sha256 = sha256
        dimension = configuration.hiddenSize
        self.configuration = configuration
        self.weights = weights
    }

    /// The encoder, loaded on first use.
    ///
    /// - Throws: the checkpoint's errors.
    public func encoder() throws -> SentenceEncoder {
        try lock.withLock {
            if let loaded { return loaded }
            let made = try SentenceEncoder(configuration: configuration, weights: weights, name: name, sha256: sha256)
            loaded = made
            return made
        }
    }

    /// The vectors of `texts` (in order), from `cache` when it holds them.
    ///
    /// - Parameters:
    ///   - texts: the texts, each cut to 256 tokens.
    ///   - batchSize: texts per forward pass, sorted by length so each batch pads little.
    ///   - cache: where vectors are kept between calls; `nil` computes them every time.
    ///   - progress: texts done and in all, after each batch.
    /// - Returns: the texts with their unit vectors.
    /// - Throws: the encoder's errors.
    public func embed(
        _ texts: [String], batchSize: Int = 64, cache: EmbeddingCache? = EmbeddingCache(), progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> TextEmbedding {
        let tokenized = texts.map(tokenizer.encode)
        let truncated = tokenized.indices.filter { tokenized[$0].isTruncated }
        return try withoutActuallyEscaping(progress) { progress in
            let compute = {
                try self.encoder().embed(count: texts.count, batchSize: batchSize, tokens: { tokenized[$0].ids }) {
                    progress($0, texts.count)
                }
            }
            guard let cache else { return TextEmbedding(texts: texts, vectors: try compute(), truncated: truncated, cached: false) }
            let (vectors, cached) = try cache.vectors(encoder: name, sha256: sha256, dimension: dimension, texts: texts, compute: compute)
            return TextEmbedding(texts: texts, vectors: vectors, truncated: truncated, cached: cached)
        }
    }
}

/// Texts with their unit vectors.
public struct TextEmbedding: Sendable {
    /// The texts, in the order given.
    public let texts: [String]
    /// `[texts.count][dimension]`, each of length 1.
    public let vectors: [[Float]]
    /// Indices of texts longer than the encoder's 256 tokens, whose vectors describe only their
    /// beginning.
    public let truncated: [Int]
    /// Whether the vectors came from the cache.
    public let cached: Bool

    /// Cosine similarities: row `i`, column `j` is `self[i] · other[j]` (vectors are unit length).
    public func cosines(with other: TextEmbedding) -> [[Float]] {
        vectors.map { a in other.vectors.map { b in zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } } }
    }
}
