/// Computes the gradients of an operation's inputs from the gradient of its output.
///
/// - Parameters:
///   - gradOutput: the gradient flowing into the operation's output (any memory layout).
///   - needs: one flag per input, `true` where that input's gradient is wanted. A backward
///     function must not compute the others: this is what keeps a saliency map from ever
///     running a weight-gradient kernel.
/// - Returns: one gradient per input, `nil` where `needs` is `false`.
typealias BackwardFunction = (_ gradOutput: Tensor, _ needs: [Bool]) throws -> [Tensor?]

/// One node of the tape: the operation that produced a tensor and how to differentiate it.
final class GradRecord: @unchecked Sendable {
    let op: String
    /// The records of the operation's inputs, `nil` for inputs that do not require a gradient.
    let parents: [GradRecord?]
    /// `nil` for a leaf (a tensor made with ``Tensor/requiringGrad()``).
    let backward: BackwardFunction?

    init(op: String, parents: [GradRecord?], backward: BackwardFunction?) {
        self.op = op
        self.parents = parents
        self.backward = backward
    }
}

/// Whether operations record themselves for differentiation.
public enum GradMode {
    @TaskLocal static var isEnabled = true

    /// Whether operations on tensors that require a gradient are being recorded (false inside
    /// ``withoutGrad(_:)``).
    public static var isRecording: Bool { isEnabled }

    /// Runs `body` without recording any operation (PyTorch's `torch.no_grad()`).
    public static func withoutGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $isEnabled.withValue(false, operation: body)
    }
}

extension Tensor {
    /// This tensor as a leaf whose gradient can be asked for with ``grad(of:wrt:seed:)``.
    ///
    /// A tensor that already records its history (an activation computed from an input that
    /// requires a gradient) is returned unchanged, so gradients with respect to it and to the
    /// input can be taken from one backward pass.
    public func requiringGrad() -> Tensor {
        if record != nil { return self }
        return Tensor(shape: shape, storage: storage, record: GradRecord(op: "leaf", parents: [], backward: nil))
    }

    /// The same values cut off from the tape.
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Wraps an operation's result, recording `backward` when any input requires a gradient.
    static func result(
        _ op: String, shape: [Int], storage: Storage, inputs: [Tensor], backward: @escaping BackwardFunction
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.record != nil }) else {
            return Tensor(shape: shape, storage: storage)
        }
        let record = GradRecord(op: op, parents: inputs.map(\.record), backward: backward)
        return Tensor(shape: shape, storage: storage, record: record)
    }
}
