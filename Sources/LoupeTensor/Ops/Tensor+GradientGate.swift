extension Tensor {
    /// The same values; in the backward pass, only the positive part of the gradient passes.
    ///
    /// Placed right after each ReLU (or ReLU6), this turns plain backpropagation into guided
    /// backpropagation (Springenberg et al. 2015): the ReLU's own backward then gives
    /// `relu'(x) · max(g, 0)`, which is what Captum's `GuidedBackprop` computes.
    public func passingPositiveGradientOnly() -> Tensor {
        Tensor.result("positive_gradient_gate", shape: shape, storage: storage, inputs: [self]) { gradOutput, _ in
            [try gradOutput.relu()]
        }
    }
}
