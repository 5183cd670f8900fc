import Foundation
import LoupeTensor

/// A sentence encoder: a BERT whose hidden states, averaged over the real tokens and scaled to
/// unit length, are the sentence's vector — what `SentenceTransformer(…).encode(…,
/// normalize_embeddings=True)` returns for all-MiniLM-L6-v2.
public final class SentenceEncoder: @unchecked Sendable {
    /// The name captions and cache keys use (`all-minilm-l6-v2`).
    public let name: String
    /// The network, with Hugging Face's parameter names.
    public let network: BERT
    /// The SHA-256 of the weights file, which identifies the encoder in caches.
    public let sha256: String

    /// The encoder of `configuration` with the safetensors (or PyTorch) weights at `url`,
    /// loaded strictly; `sha256` is the file's digest when the caller knows it (the store's pin),
    /// computed otherwise.
    ///
    /// - Throws: the checkpoint reader's errors and ``ModelError`` naming missing, unexpected or
    ///   mis-shaped keys, with the file.
    public init(configuration: BERTConfiguration, weights url: URL, name: String, sha256: String? = nil) throws {
        self.name = name
        network = BERT(configuration)
        let stateDict = try Checkpoint.load(contentsOf: url)
        do {
            try network.load(stateDict, modelName: name)
        } catch let error as ModelError {
            throw error.inFile(url.path)
        }
        self.sha256 = try sha256 ?? SHA256Digest.hex(ofFileAt: url)
    }

    /// The width of the vectors (384 for MiniLM).
    public var dimension: Int { network.configuration.hiddenSize }

    /// Unit vectors of token-id sequences (each already `[CLS] … [SEP]`), run as one batch
    /// padded to the longest: `[sequences.count][dimension]`, in order.
    ///
    /// Padding is `0` ([PAD]) with the attention kept off it, and pooling averages the real
    /// tokens only, so a sequence's vector does not depend on what it is batched with (up to
    /// float rounding).
    ///
    /// - Throws: ``LoupeTensor/TensorError`` for an empty sequence, one longer than the model's
    ///   positions or a token id outside the vocabulary.
    public func embed(tokenIDs sequences: [[Int]]) throws -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        guard let length = sequences.map(\.count).max(), length > 0, sequences.allSatisfy({ !$0.isEmpty }) else {
            throw TensorError.invalidArgument(op: "embed", message: "every sequence needs at least one token")
        }
        let batch = sequences.count
        var ids = [Float](repeating: 0, count: batch * length)
        var mask = [Float](repeating: 0, count: batch * length)
        for (row, sequence) in sequences.enumerated() {
            for (column, id) in sequence.enumerated() {
                ids[row * length + column] = Float(id)
                mask[row * length + column] = 1
            }
        }
        let hidden = try GradMode.withoutGrad {
            try Engine.run {
                var context = ForwardContext()
                // 0 where a key is a real token, the most negative float where it is padding.
                context.attentionMask = try Tensor(
                    shape: [batch, 1, 1, length], scalars: mask.map { ($0 - 1) * Float.greatestFiniteMagnitude })
                return try network.forward(try Tensor(shape: [batch, length], scalars: ids), context: &context)
            }
        }
        let width = dimension
        let values = try hidden.scalars
        return (0..<batch).map { row in
            var pooled = [Float](repeating: 0, count: width)
            let tokens = sequences[row].count
            for t in 0..<tokens {
                let base = (row * length + t) * width
                for j in 0..<width { pooled[j] += values[base + j] }
            }
            let scale = 1 / Float(Swift.max(tokens, 1))
            var norm: Float = 0
            for j in 0..<width {
                pooled[j] *= scale
                norm += pooled[j] * pooled[j]
            }
            let inverse = 1 / Swift.max(norm.squareRoot(), 1e-12)
            return pooled.map { $0 * inverse }
        }
    }

    /// Unit vectors of `count` sequences, in their original order, computed in batches of
    /// `batchSize` sorted by length.
    ///
    /// Sorting by length (as sentence-transformers does) pads a batch only to its own longest
    /// sequence, so a short vocabulary does not pay for the longest sentence. `tokens(i)` gives
    /// sequence `i`'s ids; `progress` gets the count done.
    ///
    /// - Throws: what `tokens` and ``embed(tokenIDs:)`` throw.
    public func embed(
        count: Int, batchSize: Int = 64, tokens: (Int) throws -> [Int], progress: (Int) -> Void = { _ in }
    ) throws -> [[Float]] {
        let sequences = try (0..<count).map(tokens)
        let order = sequences.indices.sorted {
            sequences[$0].count != sequences[$1].count ? sequences[$0].count > sequences[$1].count : $0 < $1
        }
        var vectors = [[Float]](repeating: [], count: count)
        var done = 0
        for start in stride(from: 0, to: order.count, by: Swift.max(1, batchSize)) {
            let chunk = Array(order[start..<Swift.min(order.count, start + Swift.max(1, batchSize))])
            for (index, vector) in zip(chunk, try embed(tokenIDs: chunk.map { sequences[$0] })) { vectors[index] = vector }
            done += chunk.count
            progress(done)
        }
        return vectors
    }
}
