import CDNNL

/// The oneDNN elementwise functions Loupe uses, with PyTorch's gradient conventions.
enum EltwiseFunction: Hashable {
    case relu
    /// `min(max(x, low), high)` with a zero gradient at and beyond the bounds, as `hardtanh`.
    case clip(low: Float, high: Float)
    /// `x · sigmoid(alpha · x)`: SiLU at `alpha` 1, CLIP's QuickGELU at 1.702.
    case swish(alpha: Float)
    case sigmoid
    case tanh
    case geluErf
    case geluTanh
    case exp
    case log
    case abs
    case sqrt
    case square
    /// `alpha * x + beta`.
    case linear(alpha: Float, beta: Float)
    /// `alpha * x ^ beta`.
    case pow(alpha: Float, beta: Float)

    var algorithm: (dnnl_alg_kind_t, Float, Float) {
        switch self {
        case .relu: return (dnnl_eltwise_relu, 0, 0)
        case let .clip(low, high): return (dnnl_eltwise_clip_v2, low, high)
        case let .swish(alpha): return (dnnl_eltwise_swish, alpha, 0)
        case .sigmoid: return (dnnl_eltwise_logistic, 0, 0)
        case .tanh: return (dnnl_eltwise_tanh, 0, 0)
        case .geluErf: return (dnnl_eltwise_gelu_erf, 0, 0)
        case .geluTanh: return (dnnl_eltwise_gelu_tanh, 0, 0)
        case .exp: return (dnnl_eltwise_exp, 0, 0)
        case .log: return (dnnl_eltwise_log, 0, 0)
        case .abs: return (dnnl_eltwise_abs, 0, 0)
        case .sqrt: return (dnnl_eltwise_sqrt, 0, 0)
        case .square: return (dnnl_eltwise_square, 0, 0)
        case let .linear(alpha, beta): return (dnnl_eltwise_linear, alpha, beta)
        case let .pow(alpha, beta): return (dnnl_eltwise_pow, alpha, beta)
        }
    }

    var name: String {
        switch self {
        case .relu: return "relu"
        case .clip: return "clip"
        case let .swish(alpha): return alpha == 1 ? "silu" : "swish(\(alpha))"
        case .sigmoid: return "sigmoid"
        case .tanh: return "tanh"
        case .geluErf: return "gelu"
        case .geluTanh: return "gelu(tanh)"
        case .exp: return "exp"
        case .log: return "log"
        case .abs: return "abs"
        case .sqrt: return "sqrt"
        case .square: return "square"
        case .linear: return "linear"
        case .pow: return "pow"
        }
    }
}

extension Tensor {
    /// Applies `function` elementwise on oneDNN, keeping the input's memory layout.
    func eltwise(_ function: EltwiseFunction) throws -> Tensor {
        let primitive = try Tensor.eltwiseForward(function.algorithm, on: storage.descriptor, name: function.name)
        let source = try storage.converted(to: primitive.memory(dnnl_query_src_md))
        let out = Storage(uninitialized: try primitive.memory(dnnl_query_dst_md))
        try primitive.execute([(DNNL_ARG_SRC, source), (DNNL_ARG_DST, out)])
        let input = self
        return Tensor.result(function.name, shape: shape, storage: out, inputs: [self]) { gradOutput, _ in
            [
                try Tensor.eltwiseBackward(
                    function.algorithm, name: function.name, data: input.storage, argument: DNNL_ARG_SRC,
                    shape: input.shape, gradOutput: gradOutput)
            ]
        }
    }

    /// The forward primitive of an elementwise `algorithm` (with its alpha and beta) on `data`,
    /// or on plain memory where oneDNN has only a reference kernel for `data`'s layout.
    static func eltwiseForward(_ algorithm: (dnnl_alg_kind_t, Float, Float), on data: MemoryDescriptor, name: String) throws -> Primitive {
        let (kind, alpha, beta) = algorithm
        return try PrimitiveCache.primitive("eltwise_fwd", kind.rawValue, alpha, beta, data, layouts: LayoutChoice.givenOrPlain) {
            engine, choice in
            var op = dnnl_eltwise_desc_t()
            var md = try choice.descriptor(for: data, anyAllowed: false).raw
            try check(dnnl_eltwise_forward_desc_init(&op, dnnl_forward_training, kind, &md, alpha, beta), op: name)
            return try makeDescriptor(&op, engine: engine, kind: name)
        }
    }

    /// The gradient through an elementwise `algorithm`, given `data`: the function's input
    /// (`argument` `DNNL_ARG_SRC`) or, for the `…_use_dst_for_bwd` algorithms, its output
    /// (`DNNL_ARG_DST`).
    static func eltwiseBackward(
        _ algorithm: (dnnl_alg_kind_t, Float, Float), name: String, data: Storage, argument: Int32,
        shape: [Int], gradOutput: Tensor
    ) throws -> Tensor {
        let (kind, alpha, beta) = algorithm
        let descriptor = data.descriptor
        let forward = try eltwiseForward(algorithm, on: descriptor, name: name)
        let primitive = try PrimitiveCache.primitive(
            "eltwise_bwd", kind.rawValue, alpha, beta, descriptor, layouts: LayoutChoice.givenOrPlain
        ) { engine, choice in
            var op = dnnl_eltwise_desc_t()
            var diff = try choice.descriptor(for: descriptor, anyAllowed: false).raw
            var md = diff
            let hint = choice == .given ? forward : try eltwiseForward(algorithm, on: .plain(descriptor.dims), name: name)
            try check(dnnl_eltwise_backward_desc_init(&op, kind, &diff, &md, alpha, beta), op: name)
            return try makeDescriptor(&op, engine: engine, hint: hint.descriptor, kind: name)
        }
        let saved = try data.converted(to: primitive.memory(argument == DNNL_ARG_DST ? dnnl_query_dst_md : dnnl_query_src_md))
        let diffDst = try gradOutput.storage.converted(to: primitive.memory(dnnl_query_diff_dst_md))
        let diffSrc = Storage(uninitialized: try primitive.memory(dnnl_query_diff_src_md))
        try primitive.execute([(argument, saved), (DNNL_ARG_DIFF_DST, diffDst), (DNNL_ARG_DIFF_SRC, diffSrc)])
        return Tensor(shape: shape, storage: diffSrc)
    }
}
