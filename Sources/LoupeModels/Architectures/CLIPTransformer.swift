import LoupeTensor

/// CLIP's transformer, shared by its text tower and its ViT image tower: `resblocks.0`,
/// `resblocks.1`, … as OpenAI's and open_clip's `Transformer`.
///
/// Its input and output are hidden states `[B, T, width]`. The blocks are pre-LN (the layer
/// norm before attention and before the MLP, the residual around each), unlike BERT's post-LN
/// ones; attention adds ``ForwardContext/attentionMask`` to its scores (the text tower's
/// causal mask).
public final class CLIPTransformer: Module {
    /// The width of every hidden state.
    public let width: Int
    /// The blocks, run in order (`resblocks`).
    public let blocks: Sequential

    /// `layers` blocks of `width` channels and `heads` heads, with `activation` in their MLPs.
    public init(width: Int, layers: Int, heads: Int, activation: LinearActivation) {
        self.width = width
        blocks = Sequential((0..<layers).map { _ in CLIPResidualBlock(width: width, heads: heads, activation: activation) })
    }

    /// `resblocks`.
    public var children: [(key: String, module: any Module)] { [("resblocks", blocks)] }

    /// Hidden states `[B, T, width]` through every block, to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try context("resblocks", blocks, input)
    }

    /// open_clip's class name with its shape, as `Transformer(width=512, layers=12)`.
    public var description: String { "Transformer(width=\(width), layers=\(blocks.layers.count))" }
}

/// One pre-LN block: `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))` (`ResidualAttentionBlock`).
public final class CLIPResidualBlock: Module {
    /// `ln_1`, before attention.
    public let norm1: LayerNorm
    /// `attn`: multi-head self-attention.
    public let attention: CLIPAttention
    /// `ln_2`, before the MLP.
    public let norm2: LayerNorm
    /// `mlp`: `c_fc`, the activation, `c_proj`.
    public let mlp: CLIPMLP

    init(width: Int, heads: Int, activation: LinearActivation) {
        norm1 = LayerNorm(width)
        attention = CLIPAttention(width: width, heads: heads)
        norm2 = LayerNorm(width)
        mlp = CLIPMLP(width: width, hidden: 4 * width, activation: activation)
    }

    /// `ln_1`, `attn`, `ln_2` and `mlp`.
    public var children: [(key: String, module: any Module)] {
        [("ln_1", norm1), ("attn", attention), ("ln_2", norm2), ("mlp", mlp)]
    }

    /// `[B, T, width]` to the same shape.
    ///
    /// When no hook reads `attn` or `mlp` (or a layer inside them) and no gradient is asked for
    /// their weights, each residual is added inside the block's last matmul.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let normed = try context("ln_1", norm1, input)
        let attended: Tensor
        if Self.mayFuse(attention, key: "attn", context: context) {
            attended = try attention.attend(normed, mask: context.attentionMask, adding: input)
        } else {
            attended = try context("attn", attention, normed) + input
        }
        let normed2 = try context("ln_2", norm2, attended)
        if Self.mayFuse(mlp, key: "mlp", context: context) {
            return try mlp.transform(normed2, adding: attended)
        }
        return try context("mlp", mlp, normed2) + attended
    }

    /// Whether the child `key` can run as fused kernels: no hook reads it or anything inside it,
    /// and none of its parameters records a gradient.
    static func mayFuse(_ module: any Module, key: String, context: ForwardContext) -> Bool {
        let names = [key] + module.namedModules.map(\.name).filter { !$0.isEmpty }.map { key + "." + $0 }
        return !names.contains(where: context.isObserved)
            && !(GradMode.isRecording && ForwardContext.recordsHistory(module.namedParameters.map(\.parameter)))
    }

    /// open_clip's class name, `ResidualAttentionBlock`.
    public var description: String { "ResidualAttentionBlock" }
}

/// `torch.nn.MultiheadAttention` as CLIP uses it (self-attention, batch first): the query, key
/// and value projections stacked in `in_proj_weight` `[3·width, width]` and `in_proj_bias`,
/// and `out_proj`.
public final class CLIPAttention: Module {
    /// The width of the hidden states.
    public let width: Int
    /// How many heads the width splits into.
    public let heads: Int
    /// `in_proj_weight`, `[3·width, width]`: queries, keys and values, stacked.
    public let inputWeight: Parameter
    /// `in_proj_bias`, `[3·width]`.
    public let inputBias: Parameter
    /// `out_proj`: the projection of the heads' outputs.
    public let output: Linear

    init(width: Int, heads: Int) {
        self.width = width
        self.heads = heads
        inputWeight = Parameter("in_proj_weight", shape: [3 * width, width])
        inputBias = Parameter("in_proj_bias", shape: [3 * width])
        output = Linear(width, width)
    }

    /// `out_proj`.
    public var children: [(key: String, module: any Module)] { [("out_proj", output)] }

    /// `in_proj_weight` and `in_proj_bias`.
    public var parameters: [Parameter] { [inputWeight, inputBias] }

    /// `out_proj(attention(x))` with ``ForwardContext/attentionMask``: `[B, T, width]` to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let mixed = try packed(input).packedAttention(heads: heads, mask: context.attentionMask)
        return try context("out_proj", output, mixed)
    }

    /// `out_proj(attention(x)) + residual`, the residual added inside the last matmul.
    func attend(_ input: Tensor, mask: Tensor?, adding residual: Tensor) throws -> Tensor {
        let mixed = try packed(input).packedAttention(heads: heads, mask: mask)
        return try mixed.linear(weight: output.weight.tensor, bias: output.bias?.tensor, adding: residual)
    }

    /// Queries, keys and values side by side, `[B, T, 3·width]`.
    private func packed(_ input: Tensor) throws -> Tensor {
        guard input.rank == 3, input.shape[2] == width else {
            throw TensorError.invalidArgument(
                op: "attention", message: "expected hidden states [B, T, \(width)], found shape \(input.shape)")
        }
        return try input.linear(weight: inputWeight.tensor, bias: inputBias.tensor)
    }

    /// PyTorch's repr, as `MultiheadAttention(embed_dim=512, num_heads=8)`.
    public var description: String { "MultiheadAttention(embed_dim=\(width), num_heads=\(heads))" }
}

/// The block's feed-forward network: `c_fc` to four times the width, the activation (`gelu`,
/// whichever function it is), `c_proj` back.
public final class CLIPMLP: Module {
    /// `c_fc`, the widening projection.
    public let expand: Linear
    /// `gelu`: GELU or QuickGELU, as the checkpoint was trained with.
    public let activation: CLIPActivation
    /// `c_proj`, the projection back to the width.
    public let project: Linear

    init(width: Int, hidden: Int, activation: LinearActivation) {
        expand = Linear(width, hidden)
        self.activation = CLIPActivation(activation)
        project = Linear(hidden, width)
    }

    /// `c_fc`, `gelu` and `c_proj`.
    public var children: [(key: String, module: any Module)] { [("c_fc", expand), ("gelu", activation), ("c_proj", project)] }

    /// `c_proj(activation(c_fc(x)))`, `[…, width]` to the same shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let hidden = try context("c_fc", expand, input)
        return try context("c_proj", project, try context("gelu", activation, hidden))
    }

    /// `c_proj(activation(c_fc(x))) + residual` as two matmuls, the activation and the residual fused into them.
    func transform(_ input: Tensor, adding residual: Tensor) throws -> Tensor {
        let hidden = try input.linear(weight: expand.weight.tensor, bias: expand.bias?.tensor, activation: activation.function)
        return try hidden.linear(weight: project.weight.tensor, bias: project.bias?.tensor, adding: residual)
    }

    /// open_clip's class name, `Sequential`.
    public var description: String { "Sequential" }
}

/// GELU or OpenAI's QuickGELU as a layer.
public final class CLIPActivation: Module {
    /// Which function.
    public let function: LinearActivation
    /// The layer for `function`.
    public init(_ function: LinearActivation) { self.function = function }
    /// The function elementwise, any shape.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor { try input.applying(function) }
    /// PyTorch's repr: `GELU(approximate='none')` or `QuickGELU()`.
    public var description: String { function == .gelu ? "GELU(approximate='none')" : "QuickGELU()" }
}
