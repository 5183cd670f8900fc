import LoupeTensor

extension Attributor {
    /// Vanilla gradient saliency (Simonyan et al. 2014), as Captum's `Saliency`: the gradient
    /// of the target with respect to the normalised input, its absolute value unless `signed`.
    ///
    /// - Parameter input: `[1, 3, H, W]`, normalised.
    public func saliency(_ input: Tensor, target: ResolvedTarget, signed: Bool = false) throws -> Attribution {
        let gradient = try objective(input, target: target, gradient: true).gradient
        let values = try (gradient ?? input).scalars
        return Attribution(
            values: signed ? values : values.map(Swift.abs), shape: input.shape,
            method: signed ? "gradient (signed)" : "saliency |gradient|", target: target, isSigned: signed)
    }
}
