import LoupeModels
import LoupeTensor

/// Runs attribution methods on one model.
///
/// Each method lives in its own file as an extension.
public struct Attributor: Sendable {
    /// The model explained.
    public let model: Model
    /// An attributor explaining `model`.
    public init(model: Model) {
        self.model = model
    }

    /// The objective's value per batch row, and optionally its gradient with respect to the
    /// batch `inputs` (`[N, 3, H, W]`).
    ///
    /// - Parameters:
    ///   - inputs: A batch of normalised images, `[N, 3, H, W]`.
    ///   - target: What the objective is: a class logit, or a channel's mean activation.
    ///   - gradient: Whether to compute the gradient (otherwise the pass runs without recording).
    ///   - guided: Gate every ReLU's gradient to its positive part (guided backpropagation).
    /// - Returns: The objective per batch row, and the gradient (`[N, 3, H, W]`) when asked for.
    /// - Throws: ``InterpError/notAFeatureMap(layer:shape:)`` or
    ///   ``InterpError/channelOutOfRange(layer:channel:channels:)`` for a bad channel target; the
    ///   model's errors.
    func objective(_ inputs: Tensor, target: ResolvedTarget, gradient: Bool, guided: Bool = false) throws -> (
        values: [Float], gradient: Tensor?
    ) {
        try Engine.run {
            let batch = inputs.shape[0]
            let x = gradient ? inputs.requiringGrad() : inputs
            var captured: Tensor?
            // The hook sees only the layers it needs (none for a class target), so the others run
            // fused; guided backpropagation gates the ReLUs, fused or not, through the context.
            let observing = Set(target.channel.map { [$0.layer] } ?? [])
            let hook: ForwardContext.Hook? =
                target.channel == nil
                ? nil
                : { name, output in
                    if let channel = target.channel, channel.layer == name { captured = output }
                    return output
                }
            let body = { try model(x, observing: observing, guidedGradients: guided, hook: hook) }
            let logits = gradient ? try body() : try GradMode.withoutGrad(body)
            let output: Tensor
            let seed: Tensor
            switch target.kind {
            case let .classLogit(classIndex):
                output = logits
                let classes = logits.shape[1]
                var one = [Float](repeating: 0, count: batch * classes)
                for n in 0..<batch { one[n * classes + classIndex] = 1 }
                seed = try Tensor(shape: logits.shape, scalars: one)
            case let .channel(layer, index):
                guard let activation = captured else {
                    throw InterpError.internalError("layer '\(layer)' produced no output in the forward pass")
                }
                guard activation.rank == 4 else { throw InterpError.notAFeatureMap(layer: layer, shape: activation.shape) }
                let (c, h, w) = (activation.shape[1], activation.shape[2], activation.shape[3])
                guard (0..<c).contains(index) else {
                    throw InterpError.channelOutOfRange(layer: layer, channel: index, channels: c)
                }
                output = activation
                var mask = [Float](repeating: 0, count: batch * c * h * w)
                for n in 0..<batch {
                    let start = (n * c + index) * h * w
                    for i in start..<(start + h * w) { mask[i] = 1 / Float(h * w) }
                }
                seed = try Tensor(shape: activation.shape, scalars: mask)
            }
            let values = try Self.rowDot(output.scalars, seed.scalars, rows: batch)
            guard gradient else { return (values, nil) }
            return (values, try grad(of: output, wrt: [x], seed: seed)[0])
        }
    }

    /// Per-row dot products of two equally long arrays.
    private static func rowDot(_ a: [Float], _ b: [Float], rows: Int) throws -> [Float] {
        let width = a.count / Swift.max(rows, 1)
        return (0..<rows).map { row in
            var sum: Float = 0
            for i in (row * width)..<((row + 1) * width) where b[i] != 0 { sum += a[i] * b[i] }
            return sum
        }
    }

    /// `inputs` repeated `count` times along the batch axis.
    static func repeated(_ input: Tensor, _ count: Int) throws -> Tensor {
        try Tensor.concatenate(Array(repeating: input, count: count), axis: 0)
    }
}
