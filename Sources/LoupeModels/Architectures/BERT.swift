import Foundation
import LoupeTensor

/// The shape of a BERT encoder (Hugging Face's `BertConfig`).
public struct BERTConfiguration: Sendable, Equatable {
    public var vocabularySize: Int
    public var hiddenSize: Int
    public var layers: Int
    public var heads: Int
    public var intermediateSize: Int
    public var maxPositions: Int
    public var typeVocabularySize: Int
    public var layerNormEpsilon: Float

    /// sentence-transformers' all-MiniLM-L6-v2: 6 layers, 12 heads, 384 wide, GELU (erf).
    public static let miniLML6 = BERTConfiguration(
        vocabularySize: 30_522, hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, maxPositions: 512,
        typeVocabularySize: 2, layerNormEpsilon: 1e-12)
}

/// A BERT encoder with Hugging Face's `BertModel` parameter names (`embeddings.word_embeddings`,
/// `encoder.layer.0.attention.self.query`, …), so its safetensors load by name.
///
/// Its input is token ids held as floats, `[B, T]`; ``ForwardContext/attentionMask`` keeps
/// attention off padding. The output is the last hidden states, `[B, T, hidden]`. The pooler
/// is declared (the checkpoint has it) but not run: sentence embeddings pool the hidden states
/// themselves.
public final class BERT: Module {
    public let configuration: BERTConfiguration
    public let embeddings: BERTEmbeddings
    public let encoder: BERTEncoder
    public let pooler: BERTPooler

    public init(_ configuration: BERTConfiguration) {
        self.configuration = configuration
        embeddings = BERTEmbeddings(configuration)
        encoder = BERTEncoder(configuration)
        pooler = BERTPooler(configuration.hiddenSize)
    }

    public var children: [(key: String, module: any Module)] {
        [("embeddings", embeddings), ("encoder", encoder), ("pooler", pooler)]
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("embeddings", embeddings, input)
        return try context("encoder", encoder, x)
    }

    public var description: String { "BertModel(layers=\(configuration.layers), hidden=\(configuration.hiddenSize))" }
}

/// The stack of transformer layers, whose one child is the list `layer` (`encoder.layer.0`, …).
public final class BERTEncoder: Module {
    public let layers: Sequential
    init(_ c: BERTConfiguration) { layers = Sequential((0..<c.layers).map { _ in BERTLayer(c) }) }
    public var children: [(key: String, module: any Module)] { [("layer", layers)] }
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try context("layer", layers, input) }
    public var description: String { "BertEncoder" }
}

/// Word, position and token-type embeddings, summed and layer-normalised.
public final class BERTEmbeddings: Module {
    public let words: Embedding
    public let positions: Embedding
    public let tokenTypes: Embedding
    public let norm: LayerNorm
    /// The `position_ids` buffer some checkpoints carry (`0..<maxPositions`); not needed.
    let positionIDs: Parameter

    init(_ c: BERTConfiguration) {
        words = Embedding(c.vocabularySize, c.hiddenSize)
        positions = Embedding(c.maxPositions, c.hiddenSize)
        tokenTypes = Embedding(c.typeVocabularySize, c.hiddenSize)
        norm = LayerNorm(c.hiddenSize, epsilon: c.layerNormEpsilon)
        positionIDs = Parameter("position_ids", shape: [1, c.maxPositions], optional: true)
    }

    public var children: [(key: String, module: any Module)] {
        [("word_embeddings", words), ("position_embeddings", positions), ("token_type_embeddings", tokenTypes), ("LayerNorm", norm)]
    }

    public var parameters: [Parameter] { [positionIDs] }

    /// `input` is token ids `[B, T]`; positions are `0..<T` and every token type is 0.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 2 else {
            throw TensorError.invalidArgument(op: "BERT embeddings", message: "expected token ids [B, T], found shape \(input.shape)")
        }
        let length = input.shape[1]
        guard length <= positions.count else {
            throw TensorError.invalidArgument(op: "BERT embeddings", message: "\(length) tokens, more than the model's \(positions.count) positions")
        }
        let words = try context("word_embeddings", self.words, input)
        let ids = try Tensor(shape: [1, length], scalars: (0..<length).map(Float.init))
        let positions = try context("position_embeddings", self.positions, ids)
        let types = try context("token_type_embeddings", tokenTypes, try Tensor.zeros([1, length]))
        return try context("LayerNorm", norm, words + positions + types)
    }

    public var description: String { "BertEmbeddings" }
}

/// One transformer layer: self-attention and a feed-forward block, each with a residual
/// connection and a layer norm after it (post-LN, as BERT).
public final class BERTLayer: Module {
    public let attention: BERTAttention
    public let intermediate: BERTDense
    public let output: BERTResidualOutput

    init(_ c: BERTConfiguration) {
        attention = BERTAttention(c)
        intermediate = BERTDense(c.hiddenSize, c.intermediateSize, activation: true)
        output = BERTResidualOutput(c.intermediateSize, c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    public var children: [(key: String, module: any Module)] {
        [("attention", attention), ("intermediate", intermediate), ("output", output)]
    }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let attended = try context("attention", attention, input)
        let hidden = try context("intermediate", intermediate, attended)
        return try output.forward(hidden, residual: attended, key: "output", context: &context)
    }

    public var description: String { "BertLayer" }
}

/// Multi-head self-attention (`self`) and its output projection with the residual (`output`).
public final class BERTAttention: Module {
    public let selfAttention: MultiHeadSelfAttention
    public let output: BERTResidualOutput

    init(_ c: BERTConfiguration) {
        selfAttention = MultiHeadSelfAttention(c.hiddenSize, heads: c.heads)
        output = BERTResidualOutput(c.hiddenSize, c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    public var children: [(key: String, module: any Module)] { [("self", selfAttention), ("output", output)] }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let attended = try context("self", selfAttention, input)
        return try output.forward(attended, residual: input, key: "output", context: &context)
    }

    public var description: String { "BertAttention" }
}

/// Scaled dot-product attention over `heads` heads, with `query`, `key` and `value`
/// projections; adds ``ForwardContext/attentionMask`` to the scores.
public final class MultiHeadSelfAttention: Module {
    public let heads: Int
    public let query: Linear
    public let key: Linear
    public let value: Linear

    public init(_ width: Int, heads: Int) {
        self.heads = heads
        query = Linear(width, width)
        key = Linear(width, width)
        value = Linear(width, width)
    }

    public var children: [(key: String, module: any Module)] { [("query", query), ("key", key), ("value", value)] }

    /// `input` is `[B, T, width]`; so is the result.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let (batch, length, width) = (input.shape[0], input.shape[1], input.shape[2])
        guard width % heads == 0 else {
            throw TensorError.invalidArgument(op: "attention", message: "width \(width) does not divide into \(heads) heads")
        }
        let size = width / heads
        // [B, T, width] → [B, heads, T, size]
        func split(_ x: Tensor) throws -> Tensor { try x.reshaped(to: [batch, length, heads, size]).permuted([0, 2, 1, 3]) }
        let q = try split(try context("query", query, input))
        let k = try split(try context("key", key, input))
        let v = try split(try context("value", value, input))
        var scores = try q.matmul(try k.transposed()) * (1 / Float(size).squareRoot())
        if let mask = context.attentionMask { scores = try scores + mask }
        let mixed = try scores.softmax(axis: -1).matmul(v)
        return try mixed.permuted([0, 2, 1, 3]).contiguous().reshaped(to: [batch, length, width])
    }

    public var description: String { "BertSelfAttention(heads=\(heads))" }
}

/// `dense` followed by GELU (exact, erf) when `activation`: BERT's `intermediate`.
public final class BERTDense: Module {
    public let dense: Linear
    public let activation: Bool

    init(_ input: Int, _ output: Int, activation: Bool) {
        dense = Linear(input, output)
        self.activation = activation
    }

    public var children: [(key: String, module: any Module)] { [("dense", dense)] }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("dense", dense, input)
        return activation ? try x.gelu() : x
    }

    public var description: String { "BertIntermediate" }
}

/// `LayerNorm(dense(x) + residual)`: the end of BERT's attention and feed-forward blocks.
public final class BERTResidualOutput: Module {
    public let dense: Linear
    public let norm: LayerNorm

    init(_ input: Int, _ output: Int, epsilon: Float) {
        dense = Linear(input, output)
        norm = LayerNorm(output, epsilon: epsilon)
    }

    public var children: [(key: String, module: any Module)] { [("dense", dense), ("LayerNorm", norm)] }

    /// Without the residual (a hook sees `dense` and `LayerNorm` only through
    /// ``forward(_:residual:key:context:)``).
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        throw TensorError.invalidArgument(op: "BERT output", message: "needs the residual: call forward(_:residual:key:context:)")
    }

    /// `LayerNorm(dense(input) + residual)`, run as the child `key` of the current module so
    /// that hooks see `…output.dense`, `…output.LayerNorm` and `…output`.
    func forward(_ input: Tensor, residual: Tensor, key: String, context: inout ForwardContext) throws -> Tensor {
        try context(key, ResidualStep(self, residual: residual), input)
    }

    public var description: String { "BertOutput" }
}

/// One call of a ``BERTResidualOutput`` with its residual bound, so that it runs through the
/// context under the output's name.
private final class ResidualStep: Module {
    let output: BERTResidualOutput
    let residual: Tensor
    init(_ output: BERTResidualOutput, residual: Tensor) {
        self.output = output
        self.residual = residual
    }
    var children: [(key: String, module: any Module)] { output.children }
    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let projected = try context("dense", output.dense, input)
        return try context("LayerNorm", output.norm, projected + residual)
    }
    var description: String { output.description }
}

/// `tanh(dense(first token))`: BERT's pooler, which sentence embeddings do not use.
public final class BERTPooler: Module {
    public let dense: Linear

    init(_ width: Int) { dense = Linear(width, width) }

    public var children: [(key: String, module: any Module)] { [("dense", dense)] }

    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let first = try input.slice(axis: 1, 0..<1).squeezed(at: 1)
        return try context("dense", dense, first).tanh()
    }

    public var description: String { "BertPooler" }
}
