/// Activation functions, each one oneDNN elementwise kernel forward and backward.
extension Tensor {
    /// `max(x, 0)`.
    public func relu() throws -> Tensor { try eltwise(.relu) }

    /// `min(max(x, 0), 6)`, as MobileNet and EfficientNet-Lite use.
    public func relu6() throws -> Tensor { try eltwise(.clip(low: 0, high: 6)) }

    /// `x * sigmoid(x)` (swish).
    public func silu() throws -> Tensor { try eltwise(.swish(alpha: 1)) }

    /// `x * sigmoid(1.702 x)`, the approximation of GELU that OpenAI's CLIP was trained with
    /// (`QuickGELU`).
    public func quickGELU() throws -> Tensor { try eltwise(.swish(alpha: 1.702)) }

    /// `1 / (1 + exp(-x))`.
    public func sigmoid() throws -> Tensor { try eltwise(.sigmoid) }

    /// Hyperbolic tangent.
    public func tanh() throws -> Tensor { try eltwise(.tanh) }

    /// The Gaussian error linear unit: exact (`erf`) by default, or PyTorch's
    /// `approximate="tanh"` form.
    public func gelu(approximateTanh: Bool = false) throws -> Tensor {
        try eltwise(approximateTanh ? .geluTanh : .geluErf)
    }

    /// Dropout in evaluation mode: the identity.
    ///
    /// Loupe only runs trained networks.
    public func dropout() -> Tensor { self }
}

/// Elementwise mathematical functions.
extension Tensor {
    /// `e^x`.
    public func exp() throws -> Tensor { try eltwise(.exp) }
    /// Natural logarithm.
    public func log() throws -> Tensor { try eltwise(.log) }
    /// `|x|`, with gradient `sign(x)` (0 at 0, as PyTorch).
    public func abs() throws -> Tensor { try eltwise(.abs) }
    /// `√x`.
    public func sqrt() throws -> Tensor { try eltwise(.sqrt) }
    /// `x²`.
    public func square() throws -> Tensor { try eltwise(.square) }
    /// `x ^ exponent`.
    public func pow(_ exponent: Float) throws -> Tensor { try eltwise(.pow(alpha: 1, beta: exponent)) }
    /// `x` clamped to `range`.
    public func clamped(to range: ClosedRange<Float>) throws -> Tensor {
        try eltwise(.clip(low: range.lowerBound, high: range.upperBound))
    }
    /// `scale * x + shift` in one pass.
    public func affine(scale: Float, shift: Float) throws -> Tensor { try eltwise(.linear(alpha: scale, beta: shift)) }
}
