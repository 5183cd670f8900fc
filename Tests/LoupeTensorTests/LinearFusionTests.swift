import Testing

@testable import LoupeTensor

/// The fused linear kernels (bias in the matmul; bias and GELU for BERT's feed-forward block)
/// against the separate ops, with and without a gradient.
@Suite struct LinearFusionTests {
    @Test func linearGELUEqualsLinearThenGELU() throws {
        var rng = SplitMix64(seed: 3)
        let x = try Tensor.randomNormal([2, 5, 24], standardDeviation: 1, using: &rng)
        let w = try Tensor.randomNormal([40, 24], standardDeviation: 0.3, using: &rng)
        let b = try Tensor.randomNormal([40], standardDeviation: 0.2, using: &rng)
        // Reference: matmul, then bias and GELU as separate ops.
        let separate = try (try x.reshaped(to: [10, 24]).matmul(try w.transposed()) + b).gelu().reshaped(to: [2, 5, 40])
        let fused = try GradMode.withoutGrad { try x.linear(weight: w, bias: b, activation: .gelu) }
        #expect(fused.shape == [2, 5, 40])
        let worst = zip(try fused.scalars, try separate.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |fused − separate| = \(worst)")

        // With a gradient asked for, the same values and a bias gradient of Σ over rows of GELU′.
        let bias = b.requiringGrad()
        let y = try x.linear(weight: w, bias: bias, activation: .gelu)
        let again = zip(try y.scalars, try separate.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(again < 1e-5)
        let plain = try x.linear(weight: w, bias: bias)
        let (gFused, gPlain) = (try grad(of: y.sum(), wrt: [bias])[0], try grad(of: plain.sum(), wrt: [bias])[0])
        #expect(gPlain.shape == [40])
        // d/db Σ (xWᵀ + b) = the number of rows, for every output.
        #expect(try gPlain.scalars.allSatisfy { abs($0 - 10) < 1e-5 })
        #expect(try gFused.scalars.allSatisfy { $0.isFinite } && (try gFused.scalars) != (try gPlain.scalars))
    }

    /// QuickGELU fused into the matmul equals `y · sigmoid(1.702 y)` computed op by op, and its
    /// gradient path gives the same values.
    @Test func linearQuickGELUEqualsItsDefinition() throws {
        var rng = SplitMix64(seed: 4)
        let x = try Tensor.randomNormal([3, 7, 32], standardDeviation: 1, using: &rng)
        let w = try Tensor.randomNormal([48, 32], standardDeviation: 0.3, using: &rng)
        let b = try Tensor.randomNormal([48], standardDeviation: 0.2, using: &rng)
        let y = try x.linear(weight: w, bias: b)
        let definition = try y * (try (y * 1.702).sigmoid())
        let fused = try GradMode.withoutGrad { try x.linear(weight: w, bias: b, activation: .quickGELU) }
        let worst = zip(try fused.scalars, try definition.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |fused − definition| = \(worst)")
        // Not GELU: the two differ by up to about 0.02 on this range.
        let gelu = try GradMode.withoutGrad { try x.linear(weight: w, bias: b, activation: .gelu) }
        #expect((zip(try fused.scalars, try gelu.scalars).map { abs($0 - $1) }.max() ?? 0) > 1e-3)
        // The differentiable path: the same values, and the gradient of Σ QuickGELU(x) at x = 0 is 1/2.
        let unfused = try x.requiringGrad().linear(weight: w, bias: b, activation: .quickGELU)
        #expect((zip(try unfused.scalars, try definition.scalars).map { abs($0 - $1) }.max() ?? 1) < 1e-5)
        let zero = try Tensor.zeros([4]).requiringGrad()
        #expect(try grad(of: zero.quickGELU().sum(), wrt: [zero])[0].scalars.allSatisfy { abs($0 - 0.5) < 1e-6 })
    }

    /// The residual added inside the matmul equals linear-then-add, with and without GELU-free
    /// bias, and falls back to the two ops (with gradients) when one is asked for.
    @Test(arguments: [true, false])
    func linearAddingTheResidualEqualsLinearThenAdd(withBias: Bool) throws {
        var rng = SplitMix64(seed: 5)
        let x = try Tensor.randomNormal([3, 4, 16], standardDeviation: 1, using: &rng)
        let w = try Tensor.randomNormal([24, 16], standardDeviation: 0.3, using: &rng)
        let b = withBias ? try Tensor.randomNormal([24], standardDeviation: 0.2, using: &rng) : nil
        let residual = try Tensor.randomNormal([3, 4, 24], standardDeviation: 1, using: &rng)
        let separate = try x.linear(weight: w, bias: b) + residual
        let fused = try GradMode.withoutGrad { try x.linear(weight: w, bias: b, adding: residual) }
        #expect(fused.shape == [3, 4, 24])
        let worst = zip(try fused.scalars, try separate.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |fused − separate| = \(worst)")
        // With a gradient asked for: d/dresidual Σ y = 1 everywhere.
        let r = residual.requiringGrad()
        let y = try x.linear(weight: w, bias: b, adding: r)
        #expect(try grad(of: y.sum(), wrt: [r])[0].scalars.allSatisfy { $0 == 1 })
        #expect(throws: TensorError.self) { try x.linear(weight: w, bias: b, adding: try Tensor.zeros([3, 4, 23])) }
    }
}
