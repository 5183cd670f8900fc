import LoupeModels
import LoupeTensor

/// Changes one layer's output during forward passes without gradients, at its last run.
///
/// A layer that runs twice in a pass (EfficientNet-Lite's shared `_relu`) is changed where
/// ``LoupeModels/Model/forward(_:capturing:)`` captures it: everything after the layer sees the
/// change, nothing before it does. Ablation and steering share it.
struct LayerIntervention {
    /// The model.
    let model: Model
    /// The layer changed.
    let layer: String

    /// One plain pass: the logits, how often the layer runs, and its output at the last run.
    func observe(_ input: Tensor) throws -> (logits: Tensor, runs: Int, output: Tensor?) {
        var runs = 0
        var output: Tensor?
        let logits = try GradMode.withoutGrad {
            try model(input, observing: [layer]) { name, value in
                if name == layer {
                    runs += 1
                    output = value
                }
                return value
            }
        }
        return (logits, runs, output)
    }

    /// The logits of `input` with the layer's output at run `runs` (the last, as ``observe(_:)``
    /// counted) replaced by `change` of it; with `recordingGradients`, in a pass that records
    /// the history of whatever requires a gradient (trained parameters).
    func logits(_ input: Tensor, runs: Int, recordingGradients: Bool = false, change: (Tensor) throws -> Tensor) throws -> Tensor {
        var run = 0
        return try withoutActuallyEscaping(change) { change in
            let pass = {
                try model(input, observing: [layer]) { name, output in
                    guard name == layer else { return output }
                    run += 1
                    return run == runs ? try change(output) : output
                }
            }
            return try recordingGradients ? pass() : GradMode.withoutGrad(pass)
        }
    }
}
