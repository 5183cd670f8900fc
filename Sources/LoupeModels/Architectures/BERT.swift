import Foundation
import LoupeTensor

/// The shape of a BERT encoder (Hugging Face's `BertConfig`).
public struct BERTConfiguration: Sendable, Equatable {
    /// Tokens in the vocabulary: rows of the word embedding (`vocab_size`).
    public var vocabularySize: Int
    /// Width of every hidden state (`hidden_size`).
    public var hiddenSize: Int
    /// Transformer layers (`num_hidden_layers`).
    public var layers: Int
    /// Attention heads per layer, which must divide ``hiddenSize`` (`num_attention_heads`).
    public var heads: Int
    /// Width of the feed-forward block's hidden layer (`intermediate_size`).
    public var intermediateSize: Int
    /// Longest input in tokens: rows of the position embedding (`max_position_embeddings`).
    public var maxPositions: Int
    /// Token types (segments): rows of the token-type embedding (`type_vocab_size`).
    public var typeVocabularySize: Int
    /// The ε every layer norm adds to the variance (`layer_norm_eps`).
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
    /// The shape the encoder was built with.
    public let configuration: BERTConfiguration
    /// `embeddings`: word, position and token-type embeddings and their layer norm.
    public let embeddings: BERTEmbeddings
    /// `encoder`: the transformer layers.
    public let encoder: BERTEncoder
    /// `pooler`: declared so that checkpoints load strictly; never run.
    public let pooler: BERTPooler

    /// An encoder of the given shape, its parameters not yet loaded.
    public init(_ configuration: BERTConfiguration) {
        self.configuration = configuration
        embeddings = BERTEmbeddings(configuration)
        encoder = BERTEncoder(configuration)
        pooler = BERTPooler(configuration.hiddenSize)
    }

    /// `embeddings`, `encoder` and `pooler`.
    public var children: [(key: String, module: any Module)] {
        [("embeddings", embeddings), ("encoder", encoder), ("pooler", pooler)]
    }

    /// Token ids `[B, T]` (held as floats) to the last hidden states `[B, T, hiddenSize]`; the pooler does not run.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("embeddings", embeddings, input)
        return try context("encoder", encoder, x)
    }

    /// Hugging Face's class name with the depth and width, as `BertModel(layers=6, hidden=384)`.
    public var description: String { "BertModel(layers=\(configuration.layers), hidden=\(configuration.hiddenSize))" }
}

/// The stack of transformer layers, whose one child is the list `layer` (`encoder.layer.0`, …).
public final class BERTEncoder: Module {
    /// The layers `layer.0`, `layer.1`, …, run in order.
    public let layers: Sequential
    init(_ c: BERTConfiguration) { layers = Sequential((0..<c.layers).map { _ in BERTLayer(c) }) }
    /// `layer`, the list of layers.
    public var children: [(key: String, module: any Module)] { [("layer", layers)] }
    /// Hidden states `[B, T, hidden]` through every layer in order, to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try context("layer", layers, input) }
    /// Hugging Face's class name, `BertEncoder`.
    public var description: String { "BertEncoder" }
}

/// Word, position and token-type embeddings, summed and layer-normalised.
public final class BERTEmbeddings: Module {
    /// `word_embeddings`: one row per token id, `[vocabularySize, hiddenSize]`.
    public let words: Embedding
    /// `position_embeddings`: row `t` is added at position `t`, `[maxPositions, hiddenSize]`.
    public let positions: Embedding
    /// `token_type_embeddings`, `[typeVocabularySize, hiddenSize]`; only type 0 is used.
    public let tokenTypes: Embedding
    /// `LayerNorm`, applied to the sum of the three embeddings.
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

    /// `word_embeddings`, `position_embeddings`, `token_type_embeddings` and `LayerNorm`.
    public var children: [(key: String, module: any Module)] {
        [("word_embeddings", words), ("position_embeddings", positions), ("token_type_embeddings", tokenTypes), ("LayerNorm", norm)]
    }

    /// The optional `position_ids` buffer, which is loaded if present and never used.
    public var parameters: [Parameter] { [positionIDs] }

    /// `input` is token ids `[B, T]`; positions are `0..<T` and every token type is 0.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 2 else {
            throw TensorError.invalidArgument(op: "BERT embeddings", message: "expected token ids [B, T], found shape \(input.shape)")
        }
        let length = input.shape[1]
        guard length <= positions.count else {
            throw TensorError.invalidArgument(
                op: "BERT embeddings", message: "\(length) tokens, more than the model's \(positions.count) positions")
        }
        let words = try context("word_embeddings", self.words, input)
        let ids = try Tensor(shape: [1, length], scalars: (0..<length).map(Float.init))
        let positions = try context("position_embeddings", self.positions, ids)
        let types = try context("token_type_embeddings", tokenTypes, try Tensor.zeros([1, length]))
        return try context("LayerNorm", norm, words + positions + types)
    }

    /// Hugging Face's class name, `BertEmbeddings`.
    public var description: String { "BertEmbeddings" }
}

/// One transformer layer: self-attention and a feed-forward block, each with a residual
/// connection and a layer norm after it (post-LN, as BERT).
public final class BERTLayer: Module {
    /// `attention`: self-attention, with its residual and layer norm.
    public let attention: BERTAttention
    /// `intermediate`: the feed-forward block's widening projection to `intermediateSize`, then GELU.
    public let intermediate: BERTDense
    /// `output`: the projection back to `hiddenSize`, the residual from the attention and the layer norm.
    public let output: BERTResidualOutput

    init(_ c: BERTConfiguration) {
        attention = BERTAttention(c)
        intermediate = BERTDense(c.hiddenSize, c.intermediateSize, activation: true)
        output = BERTResidualOutput(c.intermediateSize, c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    /// `attention`, `intermediate` and `output`.
    public var children: [(key: String, module: any Module)] {
        [("attention", attention), ("intermediate", intermediate), ("output", output)]
    }

    /// Hidden states `[B, T, hidden]` through attention and the feed-forward block, to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let attended = try context("attention", attention, input)
        let hidden = try context("intermediate", intermediate, attended)
        return try output.forward(hidden, residual: attended, key: "output", context: &context)
    }

    /// Hugging Face's class name, `BertLayer`.
    public var description: String { "BertLayer" }
}

/// Multi-head self-attention (`self`) and its output projection with the residual (`output`).
public final class BERTAttention: Module {
    /// `self`: multi-head self-attention.
    public let selfAttention: MultiHeadSelfAttention
    /// `output`: the projection, the residual from the attention's input and the layer norm.
    public let output: BERTResidualOutput

    init(_ c: BERTConfiguration) {
        selfAttention = MultiHeadSelfAttention(c.hiddenSize, heads: c.heads)
        output = BERTResidualOutput(c.hiddenSize, c.hiddenSize, epsilon: c.layerNormEpsilon)
    }

    /// `self` and `output`.
    public var children: [(key: String, module: any Module)] { [("self", selfAttention), ("output", output)] }

    /// `LayerNorm(dense(attention(input)) + input)`, `[B, T, hidden]` to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let attended = try context("self", selfAttention, input)
        return try output.forward(attended, residual: input, key: "output", context: &context)
    }

    /// Hugging Face's class name, `BertAttention`.
    public var description: String { "BertAttention" }
}

/// Scaled dot-product attention over `heads` heads, with `query`, `key` and `value`
/// projections; adds ``ForwardContext/attentionMask`` to the scores.
public final class MultiHeadSelfAttention: Module {
    /// How many heads the width is split into; each attends with `width / heads` channels.
    public let heads: Int
    /// `query`: the projection to queries, `width` to `width`.
    public let query: Linear
    /// `key`: the projection to keys, `width` to `width`.
    public let key: Linear
    /// `value`: the projection to values, `width` to `width`.
    public let value: Linear
    private let stacked = DerivedParameterCache<Int, (weight: Tensor, bias: Tensor?)>()

    /// Attention over `heads` heads for hidden states `width` wide; the forward pass throws unless `heads` divides `width`.
    public init(_ width: Int, heads: Int) {
        self.heads = heads
        query = Linear(width, width)
        key = Linear(width, width)
        value = Linear(width, width)
    }

    /// `query`, `key` and `value`.
    public var children: [(key: String, module: any Module)] { [("query", query), ("key", key), ("value", value)] }

    /// `input` is `[B, T, width]`; so is the result.
    ///
    /// When no hook reads the projections and no gradient is asked for, the three projections
    /// are one matmul with the weights stacked, and attention reads its result in place
    /// (``LoupeTensor/Tensor/packedAttention(heads:mask:)``).
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 3 else {
            throw TensorError.invalidArgument(op: "attention", message: "expected hidden states [B, T, width], found shape \(input.shape)")
        }
        let width = input.shape[2]
        guard width % heads == 0 else {
            throw TensorError.invalidArgument(op: "attention", message: "width \(width) does not divide into \(heads) heads")
        }
        let projections = [query, key, value]
        if !["query", "key", "value"].contains(where: context.isObserved),
            !(GradMode.isRecording && ForwardContext.recordsHistory(projections.flatMap(\.parameters)))
        {
            let stacked = try stackedProjection()
            return try input.linear(weight: stacked.weight, bias: stacked.bias).packedAttention(heads: heads, mask: context.attentionMask)
        }
        // Each projection runs as its own layer (a hook reads it, or its parameters train), then
        // attention reads the three side by side.
        let projected = [try context("query", query, input), try context("key", key, input), try context("value", value, input)]
        return try Tensor.concatenate(projected, axis: 2).packedAttention(heads: heads, mask: context.attentionMask)
    }

    /// The query, key and value weights stacked into one `[3·width, width]` weight and their
    /// biases into one `[3·width]` bias, kept until one of them is loaded again.
    private func stackedProjection() throws -> (weight: Tensor, bias: Tensor?) {
        let projections = [query, key, value]
        let generations = projections.flatMap(\.parameters).map(\.generation)
        return try stacked.value(for: generations, 0) {
            let weight = try Tensor.concatenate(projections.map { try $0.weight.tensor }, axis: 0)
            let biases = try projections.compactMap { try $0.bias?.tensor }
            return (weight, biases.count == 3 ? try Tensor.concatenate(biases, axis: 0) : nil)
        }
    }

    /// Hugging Face's class name with the head count, as `BertSelfAttention(heads=12)`.
    public var description: String { "BertSelfAttention(heads=\(heads))" }
}

/// `dense` followed by GELU (exact, erf) when `activation`: BERT's `intermediate`.
public final class BERTDense: Module {
    /// `dense`: the projection.
    public let dense: Linear
    /// Whether GELU (exact, with erf) follows the projection.
    public let activation: Bool

    init(_ input: Int, _ output: Int, activation: Bool) {
        dense = Linear(input, output)
        self.activation = activation
    }

    /// `dense`.
    public var children: [(key: String, module: any Module)] { [("dense", dense)] }

    /// `dense(input)`, then GELU when ``activation`` is set (fused into one kernel when no hook
    /// reads `dense` and no gradient is asked for).
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        if activation, !context.isObserved("dense") {
            return try input.linear(weight: dense.weight.tensor, bias: dense.bias?.tensor, activation: .gelu)
        }
        let x = try context("dense", dense, input)
        return activation ? try x.gelu() : x
    }

    /// Hugging Face's class name, `BertIntermediate`.
    public var description: String { "BertIntermediate" }
}

/// `LayerNorm(dense(x) + residual)`: the end of BERT's attention and feed-forward blocks.
public final class BERTResidualOutput: Module {
    /// `dense`: the projection.
    public let dense: Linear
    /// `LayerNorm`, applied after the residual is added.
    public let norm: LayerNorm

    init(_ input: Int, _ output: Int, epsilon: Float) {
        dense = Linear(input, output)
        norm = LayerNorm(output, epsilon: epsilon)
    }

    /// `dense` and `LayerNorm`.
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

    /// Hugging Face's class name, `BertOutput`.
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
        // Without a hook on `dense` or a gradient for its parameters, the residual is added by the matmul.
        if !context.isObserved("dense"), !(GradMode.isRecording && ForwardContext.recordsHistory(output.dense.parameters)) {
            let summed = try input.linear(weight: output.dense.weight.tensor, bias: output.dense.bias?.tensor, adding: residual)
            return try context("LayerNorm", output.norm, summed)
        }
        let projected = try context("dense", output.dense, input)
        return try context("LayerNorm", output.norm, projected + residual)
    }
    var description: String { output.description }
}

/// `tanh(dense(first token))`: BERT's pooler, which sentence embeddings do not use.
public final class BERTPooler: Module {
    /// `dense`: the projection of the first token, `hiddenSize` to `hiddenSize`.
    public let dense: Linear

    init(_ width: Int) { dense = Linear(width, width) }

    /// `dense`.
    public var children: [(key: String, module: any Module)] { [("dense", dense)] }

    /// `tanh(dense(first token))`: `[B, T, hidden]` to `[B, hidden]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let first = try input.slice(axis: 1, 0..<1).squeezed(at: 1)
        return try context("dense", dense, first).tanh()
    }

    /// Hugging Face's class name, `BertPooler`.
    public var description: String { "BertPooler" }
}
