import LoupeTensor

extension Attributor {
    /// Vanilla gradient saliency, as Captum's `Saliency`: the gradient of the target with
    /// respect to the normalised input, its absolute value unless `signed`.
    ///
    /// From Simonyan et al. 2014, <https://arxiv.org/abs/1312.6034>.
    ///
    /// - Parameters:
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - target: What is explained.
    ///   - signed: Keep the gradient's sign instead of taking its absolute value.
    /// - Returns: The map, `[1, 3, H, W]` like the input.
    /// - Throws: The model's errors, and ``InterpError`` for a bad channel target.
    public func saliency(_ input: Tensor, target: ResolvedTarget, signed: Bool = false) throws -> Attribution {
        let gradient = try objective(input, target: target, gradient: true).gradient
        let values = try (gradient ?? input).scalars
        return Attribution(
            values: signed ? values : values.map(Swift.abs), shape: input.shape,
            method: signed ? "gradient (signed)" : "saliency |gradient|", target: target, isSigned: signed)
    }
}
