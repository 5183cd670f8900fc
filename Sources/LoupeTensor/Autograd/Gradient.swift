/// The gradients of `output` with respect to each tensor in `inputs` (reverse-mode autodiff).
///
/// Only the part of the tape between `output` and `inputs` is walked, and each operation is
/// asked only for the input gradients that lie on that path: the gradient of a logit with
/// respect to the input image never computes a weight gradient. `inputs` may be leaves made
/// with ``Tensor/requiringGrad()`` or intermediate tensors (the activations Grad-CAM needs).
///
/// - Parameters:
///   - output: the tensor to differentiate; a single element unless `seed` is given.
///   - inputs: the tensors to differentiate with respect to. Each must require a gradient.
///   - seed: the gradient of some scalar with respect to `output` (PyTorch's `grad_outputs`);
///     defaults to 1 for a one-element `output`.
/// - Returns: one gradient per input, shaped like that input.
/// - Throws: ``TensorError/gradient(_:)`` when `output` does not depend on an input or an input
///   does not require a gradient; any error from a backward operation.
public func grad(of output: Tensor, wrt inputs: [Tensor], seed: Tensor? = nil) throws -> [Tensor] {
    try Engine.run { try backward(from: output, to: inputs, seed: seed) }
}

private func backward(from output: Tensor, to inputs: [Tensor], seed: Tensor?) throws -> [Tensor] {
    guard let root = output.record else {
        throw TensorError.gradient("the output of shape \(output.shape) does not require a gradient; mark an input with requiringGrad()")
    }
    var targets: [ObjectIdentifier: Int] = [:]
    for (i, input) in inputs.enumerated() {
        guard let record = input.record else {
            throw TensorError.gradient(
                "input #\(i) of shape \(input.shape) does not require a gradient; call requiringGrad() on it before the forward pass")
        }
        targets[ObjectIdentifier(record)] = i
    }
    let initial: Tensor
    if let seed {
        guard seed.shape == output.shape else {
            throw TensorError.shapeMismatch(
                op: "grad", shapes: [seed.shape, output.shape], expected: "the seed must have the output's shape")
        }
        initial = seed.detached()
    } else {
        guard output.count == 1 else {
            throw TensorError.gradient(
                "output of shape \(output.shape) has \(output.count) elements; pass a seed or reduce it to one element")
        }
        initial = try Tensor.ones(output.shape)
    }

    // Post-order DFS: every record comes after all of its parents.
    var order: [GradRecord] = []
    var visited: Set<ObjectIdentifier> = []
    var stack: [(GradRecord, Int)] = [(root, 0)]
    visited.insert(ObjectIdentifier(root))
    while let (node, next) = stack.popLast() {
        if next < node.parents.count {
            stack.append((node, next + 1))
            if let parent = node.parents[next], visited.insert(ObjectIdentifier(parent)).inserted {
                stack.append((parent, 0))
            }
        } else {
            order.append(node)
        }
    }

    // A record is on the path when it is a target or one of its parents is.
    var onPath: Set<ObjectIdentifier> = []
    for node in order {
        let id = ObjectIdentifier(node)
        if targets[id] != nil || node.parents.contains(where: { $0.map { onPath.contains(ObjectIdentifier($0)) } ?? false }) {
            onPath.insert(id)
        }
    }

    var results = [Tensor?](repeating: nil, count: inputs.count)
    var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): initial]
    try GradMode.$isEnabled.withValue(false) {
        for node in order.reversed() {
            let id = ObjectIdentifier(node)
            guard onPath.contains(id), let gradient = pending.removeValue(forKey: id) else { continue }
            if let index = targets[id] { results[index] = gradient }
            guard let backward = node.backward else { continue }
            let needs = node.parents.map { $0.map { onPath.contains(ObjectIdentifier($0)) } ?? false }
            guard needs.contains(true) else { continue }
            let parentGradients = try backward(gradient, needs)
            for (parent, parentGradient) in zip(node.parents, parentGradients) {
                guard let parent, let parentGradient, onPath.contains(ObjectIdentifier(parent)) else { continue }
                let pid = ObjectIdentifier(parent)
                if let existing = pending[pid] {
                    pending[pid] = try existing + parentGradient
                } else {
                    pending[pid] = parentGradient
                }
            }
        }
    }
    return try results.enumerated().map { i, gradient in
        guard let gradient else {
            throw TensorError.gradient("the output does not depend on input #\(i) of shape \(inputs[i].shape)")
        }
        return gradient.detached()
    }
}

/// The value of `function` at `inputs` and its gradients with respect to all of them.
///
/// A closure form of ``grad(of:wrt:seed:)``, as in MLX's `valueAndGrad`: the inputs are marked
/// as requiring gradients before `function` runs.
public func valueAndGrad(
    at inputs: [Tensor], _ function: ([Tensor]) throws -> Tensor
) throws -> (value: Tensor, gradients: [Tensor]) {
    let tracked = inputs.map { $0.detached().requiringGrad() }
    let value = try function(tracked)
    return (value.detached(), try grad(of: value, wrt: tracked))
}
