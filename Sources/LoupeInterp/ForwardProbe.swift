import LoupeModels
import LoupeTensor

/// Runs a model only as far as an objective needs: the logits when it reads a class, otherwise
/// up to the last call of the last layer it reads, so that a middle layer's objective costs
/// half a forward and half a backward pass.
///
/// Batch norms fold into their convolutions even under gradient (``AffineFolding/always``):
/// the probe's users ascend an objective or rank images, and none compares its values with a
/// PyTorch run's.
struct ForwardProbe {
    let model: Model
    let layers: Set<String>
    let needsLogits: Bool
    /// How many times each read layer runs in one forward pass (a shared module such as
    /// Lite0's `_relu` runs several times; its last output is the one read, as in
    /// ``Model/forward(_:capturing:)``).
    private let calls: [String: Int]

    /// Thrown by the hook once every read layer has produced its last output.
    private struct Done: Error {}

    /// A probe for `layers`, counting their calls with one forward pass of `sample`.
    ///
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)`` for a layer the model
    ///   lacks; ``InterpError/invalidParameter(_:)`` when a layer never runs.
    init(model: Model, layers: Set<String>, needsLogits: Bool, sample: Tensor) throws {
        for layer in layers { _ = try model.layer(named: layer) }
        self.model = model
        self.layers = layers
        self.needsLogits = needsLogits || layers.isEmpty
        var counts: [String: Int] = [:]
        if !self.needsLogits {
            _ = try GradMode.withoutGrad {
                try model(sample, observing: layers) { name, output in
                    if layers.contains(name) { counts[name, default: 0] += 1 }
                    return output
                }
            }
            if let silent = layers.first(where: { counts[$0] == nil }) {
                throw InterpError.invalidParameter(
                    "layer '\(silent)' of \(model.name) never runs in a forward pass; pick a layer that does")
            }
        }
        calls = counts
    }

    /// The logits (`nil` when the pass stopped early) and the last output of each read layer.
    func run(_ input: Tensor) throws -> (logits: Tensor?, activations: [String: Tensor]) {
        var captured: [String: Tensor] = [:]
        var seen: [String: Int] = [:]
        let stopEarly = !needsLogits
        do {
            let logits = try model(input, observing: layers, affineFolding: .always) { name, output in
                guard layers.contains(name) else { return output }
                captured[name] = output
                seen[name, default: 0] += 1
                if stopEarly, layers.allSatisfy({ seen[$0] == calls[$0] }) { throw Done() }
                return output
            }
            return (logits, captured)
        } catch is Done {
            return (nil, captured)
        }
    }
}
