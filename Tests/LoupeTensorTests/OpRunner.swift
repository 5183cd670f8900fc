import LoupeTensor
import LoupeTestSupport

/// Runs a parity fixture's op on Loupe tensors, with the inputs named as the fixture names
/// them.
///
/// Returns the output; `inputs` are the tensors gradients are taken with respect to.
struct OpRunner {
    let fixture: FixtureCase
    /// The differentiable inputs by fixture name, marked as requiring gradients.
    private(set) var inputs: [String: Tensor] = [:]

    init(_ fixture: FixtureCase, overriding overrides: [String: Tensor] = [:]) throws {
        self.fixture = fixture
        for (name, tensor) in fixture.inputs {
            let value = try overrides[name] ?? tensor.tensor()
            inputs[name] = fixture.grads?[name] != nil ? value.requiringGrad() : value
        }
    }

    func input(_ name: String) throws -> Tensor {
        guard let t = inputs[name] else { throw FixtureError.missing(fixture.name, name) }
        return t
    }

    func run() throws -> Tensor {
        let f = fixture
        switch f.op {
        case "conv2d":
            let p = try f.ints("padding")
            return try input("x").conv2d(
                weight: input("w"), bias: f.bool("bias") ? input("b") : nil, stride: f.pair("stride"),
                padding: Padding2D(top: p[0], bottom: p[1], left: p[2], right: p[3]),
                dilation: f.pair("dilation"), groups: f.int("groups"))
        case "batch_norm":
            return try input("x").batchNorm(
                mean: input("running_mean"), variance: input("running_var"),
                weight: input("weight"), bias: input("bias"), epsilon: f.float("eps"))
        case "layer_norm":
            return try input("x").layerNorm(
                normalizedShape: f.ints("normalized_shape"), weight: input("weight"),
                bias: input("bias"), epsilon: f.float("eps"))
        case "relu": return try input("x").relu()
        case "relu6": return try input("x").relu6()
        case "silu": return try input("x").silu()
        case "sigmoid": return try input("x").sigmoid()
        case "tanh": return try input("x").tanh()
        case "gelu": return try input("x").gelu(approximateTanh: f.string("approximate") == "tanh")
        case "exp": return try input("x").exp()
        case "log": return try input("x").log()
        case "abs": return try input("x").abs()
        case "sqrt": return try input("x").sqrt()
        case "square": return try input("x").square()
        case "max_pool2d":
            let (ph, pw) = try f.pair("padding")
            return try input("x").maxPool2d(
                kernel: f.pair("kernel"), stride: f.pair("stride"), padding: (ph, pw),
                dilation: f.pair("dilation"), ceilMode: f.bool("ceil_mode"))
        case "avg_pool2d":
            return try input("x").avgPool2d(
                kernel: f.pair("kernel"), stride: f.pair("stride"), padding: f.pair("padding"),
                ceilMode: f.bool("ceil_mode"), countIncludePad: f.bool("count_include_pad"))
        case "adaptive_avg_pool2d":
            return try input("x").adaptiveAvgPool2d(outputSize: f.pair("output_size"))
        case "linear":
            return try input("x").linear(weight: input("w"), bias: f.bool("bias") ? input("b") : nil)
        case "matmul": return try input("a").matmul(input("b"))
        case "softmax": return try input("x").softmax(axis: f.int("dim"))
        case "log_softmax": return try input("x").logSoftmax(axis: f.int("dim"))
        case "add": return try input("a") + input("b")
        case "sub": return try input("a") - input("b")
        case "mul": return try input("a") * input("b")
        case "div": return try input("a") / input("b")
        case "sum": return try input("x").sum(axes: f.ints("dims"), keepingDimensions: f.bool("keepdim"))
        case "mean": return try input("x").mean(axes: f.ints("dims"), keepingDimensions: f.bool("keepdim"))
        case "max": return try input("x").max(axis: f.int("dim"), keepingDimensions: f.bool("keepdim")).values
        case "topk": return try input("x").topK(f.int("k"), axis: f.int("dim")).values
        case "argmax":
            let x = try input("x")
            let axis = try f.int("dim")
            var shape = x.shape
            shape.remove(at: axis < 0 ? axis + x.rank : axis)
            return try Tensor(shape: shape, scalars: x.argmax(axis: axis).map(Float.init))
        case "permute": return try input("x").permuted(f.ints("dims"))
        case "transpose": return try input("x").transposed(f.int("dim0"), f.int("dim1"))
        case "reshape": return try input("x").reshaped(to: f.ints("shape"))
        case "slice":
            let start = try f.int("start"), end = try f.int("end")
            return try input("x").slice(axis: f.int("dim"), start..<end)
        case "cat":
            let names = ["a", "b", "c"].filter { inputs[$0] != nil }
            return try Tensor.concatenate(names.map { try input($0) }, axis: f.int("dim"))
        case "flatten": return try input("x").flattened(from: f.int("start_dim"), through: f.int("end_dim"))
        default:
            throw FixtureError.missing(f.name, "op \(f.op)")
        }
    }

    /// Indices an op returns besides its values (max, topk), for comparison with PyTorch's.
    func indices() throws -> [Int]? {
        switch fixture.op {
        case "max": return try input("x").max(axis: fixture.int("dim")).indices
        case "topk": return try input("x").topK(fixture.int("k"), axis: fixture.int("dim")).indices
        default: return nil
        }
    }
}
