import LoupeTensor
import Testing

@testable import LoupeInterp

/// Adam against numbers worked by hand and against `torch.optim.Adam`.
@Suite struct AdamTests {
    @Test func constantGradientStepsByTheLearningRate() throws {
        // With bias correction, m̂ = g and v̂ = g² while the gradient is constant, so every step
        // moves by lr · g / (|g| + ε): −0.1 twice from 0.
        var adam = Adam(learningRate: 0.1)
        var p: [Float] = [0, 5]
        try adam.step(&p, gradient: [2, -0.5])
        #expect(Swift.abs(p[0] + 0.1) < 1e-6 && Swift.abs(p[1] - 5.1) < 1e-6)
        try adam.step(&p, gradient: [2, -0.5])
        #expect(Swift.abs(p[0] + 0.2) < 1e-6 && Swift.abs(p[1] - 5.2) < 1e-6)
        #expect(adam.stepCount == 2)
    }

    @Test func matchesPyTorch() throws {
        let v = VisualizationVectors.adam
        var adam = Adam(learningRate: v.learningRate)
        var p = v.start
        for (gradient, expected) in zip(v.gradients, v.after) {
            try adam.step(&p, gradient: gradient)
            for (a, b) in zip(p, expected) {
                #expect(Swift.abs(a - b) <= 1e-6 * Swift.max(1, Swift.abs(b)), "Adam step \(adam.stepCount): \(a) vs PyTorch \(b)")
            }
        }
    }

    @Test func tensorStepKeepsTheShapeAndRejectsMismatches() throws {
        var adam = Adam(learningRate: 0.5)
        let p = try Tensor.zeros([1, 2, 2])
        let updated = try adam.step(p, gradient: try Tensor.ones([1, 2, 2]))
        #expect(updated.shape == [1, 2, 2])
        #expect(try updated.scalars.allSatisfy { Swift.abs($0 + 0.5) < 1e-6 })
        #expect(throws: InterpError.self) { _ = try adam.step(p, gradient: try Tensor.ones([4])) }
        var short: [Float] = [0]
        #expect(throws: InterpError.self) { try adam.step(&short, gradient: [1]) }
    }
}
