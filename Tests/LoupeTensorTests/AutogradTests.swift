import Testing

@testable import LoupeTensor

/// `grad(of:wrt:)`: only what is asked is computed, intermediates can be targets, and misuse
/// throws.
@Suite struct AutogradTests {
    /// A small conv net: conv → BN → ReLU → conv → global average → linear, seeded weights.
    struct TinyNet {
        var conv1, bnWeight, bnBias, bnMean, bnVar, conv2, fcWeight, fcBias: Tensor

        init(requiringGrad: Bool = false) throws {
            var rng = SplitMix64(seed: 7)
            func make(_ shape: [Int], _ scale: Float) throws -> Tensor {
                let t = try Tensor.randomNormal(shape, standardDeviation: scale, using: &rng)
                return requiringGrad ? t.requiringGrad() : t
            }
            conv1 = try make([8, 3, 3, 3], 0.3)
            bnWeight = try make([8], 0.5) + 1
            bnBias = try make([8], 0.1)
            bnMean = try make([8], 0.1)
            bnVar = try Tensor.full([8], value: 0.8)
            conv2 = try make([16, 8, 3, 3], 0.2)
            fcWeight = try make([10, 16], 0.3)
            fcBias = try make([10], 0.1)
        }

        func callAsFunction(_ x: Tensor, capture: ((Tensor) -> Tensor)? = nil) throws -> Tensor {
            var h = try x.conv2d(weight: conv1, stride: (2, 2), padding: .symmetric(1, 1))
            h = capture?(h) ?? h
            h = try h.batchNorm(mean: bnMean, variance: bnVar, weight: bnWeight, bias: bnBias).relu()
            h = try h.conv2d(weight: conv2, padding: .symmetric(1, 1)).relu()
            h = try h.adaptiveAvgPool2d(outputSize: (1, 1)).flattened(from: 1)
            return try h.linear(weight: fcWeight, bias: fcBias)
        }
    }

    func image() throws -> Tensor {
        var rng = SplitMix64(seed: 1)
        return try Tensor.randomNormal([1, 3, 17, 15], using: &rng)
    }

    @Test func inputGradientRunsNoWeightGradientKernel() throws {
        let net = try TinyNet(requiringGrad: true)  // even when the weights require gradients
        let x = try image().requiringGrad()
        let (_, kernels) = try KernelCounter.counting {
            let logits = try net(x)
            return try grad(of: logits[0][3], wrt: [x])
        }
        #expect(kernels["conv_bwd_data", default: 0] == 2)
        #expect(kernels["conv_bwd_weights", default: 0] == 0)
    }

    @Test func weightGradientSkipsTheFirstInputGradient() throws {
        let net = try TinyNet(requiringGrad: true)
        let (gradients, kernels) = try KernelCounter.counting {
            let logits = try net(try image())
            return try grad(of: logits[0][3], wrt: [net.conv1])
        }
        #expect(gradients[0].shape == [8, 3, 3, 3])
        #expect(kernels["conv_bwd_weights", default: 0] == 1)
        // Only conv2's input gradient is on the path to conv1's weight.
        #expect(kernels["conv_bwd_data", default: 0] == 1)
    }

    @Test func gradientWithRespectToAnIntermediateActivation() throws {
        let net = try TinyNet()
        let x = try image().requiringGrad()
        var activation: Tensor?
        let logits = try net(x) { h in
            activation = h; return h
        }
        let captured = try #require(activation)
        let both = try grad(of: logits[0][2], wrt: [captured, x])
        #expect(both[0].shape == [1, 8, 9, 8])
        // The activation's gradient, pushed back through conv1 by hand, is the input gradient.
        let pushed = try grad(of: captured, wrt: [x], seed: both[0])
        let error = zip(try pushed[0].scalars, try both[1].scalars).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(error < 1e-5)
        #expect(try both[0].scalars.contains { $0 != 0 })
    }

    @Test func activationMarkedAfterTheFactIsALeaf() throws {
        let net = try TinyNet()
        var activation: Tensor?
        let logits = try net(try image()) { h in
            let leaf = h.requiringGrad()
            activation = leaf
            return leaf
        }
        let gradient = try grad(of: logits[0][1], wrt: [try #require(activation)])
        #expect(gradient[0].shape == [1, 8, 9, 8])
    }

    @Test func gradientsAccumulateOverUses() throws {
        let x = try Tensor(shape: [3], scalars: [1, -2, 0.5]).requiringGrad()
        let y = try (x * x + x * 3).sum()
        let g = try grad(of: y, wrt: [x])[0].scalars
        #expect(g == [5, -1, 4])
    }

    @Test func valueAndGradMarksItsInputs() throws {
        let a = try Tensor(shape: [2], scalars: [2, 3])
        let (value, gradients) = try valueAndGrad(at: [a]) { inputs in try (inputs[0] * inputs[0]).sum() }
        #expect(try value.item == 13)
        #expect(try gradients[0].scalars == [4, 6])
    }

    @Test func misuseThrows() throws {
        let x = try Tensor(shape: [2], scalars: [1, 2])
        #expect(throws: TensorError.self) { try grad(of: x.sum(), wrt: [x]) }
        let tracked = x.requiringGrad()
        #expect(throws: TensorError.self) { try grad(of: tracked * 2, wrt: [tracked]) }  // not a scalar
        let other = try Tensor(shape: [2], scalars: [0, 0]).requiringGrad()
        #expect(throws: TensorError.self) { try grad(of: tracked.sum(), wrt: [other]) }  // not on the path
        let noGrad = try GradMode.withoutGrad { try (tracked * 2).sum() }
        #expect(!noGrad.requiresGrad)
    }

    @Test func convolutionOutputsStayInOneDNNLayout() throws {
        let net = try TinyNet()
        let x = try image()
        _ = try net(x)  // the first call converts the weights once
        let (out, kernels) = try KernelCounter.counting {
            let h = try x.conv2d(weight: net.conv1, padding: .symmetric(1, 1))
            let b = try h.batchNorm(mean: net.bnMean, variance: net.bnVar, weight: net.bnWeight, bias: net.bnBias).relu()
            return try b.conv2d(weight: net.conv2, padding: .symmetric(1, 1))
        }
        // Only the input image may be reordered: conv1's output flows through BN, ReLU and conv2 as it is.
        #expect(kernels["reorder", default: 0] <= 1)
        #expect(kernels["conv_fwd", default: 0] == 2)
        #expect(out.shape == [1, 16, 17, 15])
    }
}
