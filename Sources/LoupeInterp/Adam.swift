import Foundation
import LoupeTensor

/// The Adam optimiser (Kingma & Ba 2015, <https://arxiv.org/abs/1412.6980>), as PyTorch's
/// `torch.optim.Adam` with its defaults (`betas=(0.9, 0.999)`, `eps=1e-8`, no weight decay,
/// no AMSGrad) for one parameter array.
///
/// Each ``step(_:gradient:)`` minimises: for gradient `g` at step `t`,
/// `m ← β₁·m + (1 − β₁)·g`, `v ← β₂·v + (1 − β₂)·g²`, and
/// `p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)`, in PyTorch's order of Float32
/// operations (the bias corrections in Double). To ascend an objective, pass its negated
/// gradient.
public struct Adam: Sendable {
    /// The step size (`lr`).
    public var learningRate: Float
    /// The decay rates of the first and second moment estimates.
    public let beta1: Float, beta2: Float
    /// Added to the denominator for numerical stability.
    public let epsilon: Float
    /// How many steps have been taken.
    public private(set) var stepCount = 0
    private var firstMoment: [Float] = []
    private var secondMoment: [Float] = []

    /// An optimiser with PyTorch's defaults unless given.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    /// Updates `parameters` in place with one Adam step against `gradient`.
    ///
    /// The moment estimates start at zero on the first step and keep the parameters' length.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the lengths differ from each other or
    ///   from the earlier steps'.
    public mutating func step(_ parameters: inout [Float], gradient: [Float]) throws {
        guard gradient.count == parameters.count else {
            throw InterpError.invalidParameter("Adam: the gradient has \(gradient.count) elements, the parameters \(parameters.count)")
        }
        if stepCount == 0 {
            firstMoment = [Float](repeating: 0, count: parameters.count)
            secondMoment = firstMoment
        }
        guard firstMoment.count == parameters.count else {
            throw InterpError.invalidParameter(
                "Adam: the parameters have \(parameters.count) elements, earlier steps had \(firstMoment.count)")
        }
        stepCount += 1
        let t = Double(stepCount)
        let correction1 = 1 - Foundation.pow(Double(beta1), t)
        let correction2Root = Float((1 - Foundation.pow(Double(beta2), t)).squareRoot())
        let stepSize = Float(Double(learningRate) / correction1)
        let (b1, b2, oneMinusB1, oneMinusB2, eps) = (beta1, beta2, 1 - beta1, 1 - beta2, epsilon)
        parameters.withUnsafeMutableBufferPointer { p in
            gradient.withUnsafeBufferPointer { g in
                firstMoment.withUnsafeMutableBufferPointer { m in
                    secondMoment.withUnsafeMutableBufferPointer { v in
                        for i in 0..<p.count {
                            m[i] = m[i] * b1 + oneMinusB1 * g[i]
                            v[i] = v[i] * b2 + oneMinusB2 * (g[i] * g[i])
                            let denominator = v[i].squareRoot() / correction2Root + eps
                            p[i] = p[i] - stepSize * (m[i] / denominator)
                        }
                    }
                }
            }
        }
    }

    /// One Adam step on a tensor parameter: the updated values, with `parameter`'s shape.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the shapes differ.
    public mutating func step(_ parameter: Tensor, gradient: Tensor) throws -> Tensor {
        guard parameter.shape == gradient.shape else {
            throw InterpError.invalidParameter("Adam: gradient shape \(gradient.shape) differs from parameter shape \(parameter.shape)")
        }
        var values = try parameter.scalars
        try step(&values, gradient: try gradient.scalars)
        return try Tensor(shape: parameter.shape, scalars: values)
    }
}
