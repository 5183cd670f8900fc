import Testing

@testable import LoupeTensor

/// The JIT-only forms Loupe uses where oneDNN 2.6 offers only its reference kernel on AVX2 and
/// older (the kernel audit finds them there); on this machine both forms can run, so they are
/// compared directly.
@Suite struct ReferenceFallbackTests {
    /// Leading axes summed as a product with ones equal oneDNN's reduction, for sums and means,
    /// with and without further axes (a linear bias gradient; a batch norm's).
    @Test(arguments: [([64, 10], [0]), ([6, 5, 3, 4], [0, 2, 3]), ([2, 3, 4], [0, 1]), ([4, 7], [0, 1])])
    func leadingAxesSumAsAProductWithOnes(shape: [Int], axes: [Int]) throws {
        var rng = SplitMix64(seed: 13)
        let x = try Tensor.randomNormal(shape, standardDeviation: 1, using: &rng)
        let leading = axes.enumerated().prefix { $0.offset == $0.element }.count
        for (mean, reference) in [
            (false, try x.sum(axes: axes, keepingDimensions: true)), (true, try x.mean(axes: axes, keepingDimensions: true)),
        ] {
            let storage = try x.reducingLeadingAxes(leading, of: axes, mean: mean)
            let values = try Tensor(
                shape: reference.shape, storage: Storage(descriptor: try .plain(reference.shape), buffer: storage.buffer)
            ).scalars
            let worst = zip(values, try reference.scalars).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-4, "\(shape) over \(axes): max |Δ| \(worst)")
        }
    }

    /// Softmax's and log-softmax's input gradients in elementwise ops equal oneDNN's backward.
    @Test(arguments: [true, false])
    func softmaxGradientInElementwiseOps(log: Bool) throws {
        var rng = SplitMix64(seed: 17)
        let x = try Tensor.randomNormal([8, 30], standardDeviation: 2, using: &rng).requiringGrad()
        let g = try Tensor.randomNormal([8, 30], standardDeviation: 1, using: &rng)
        let y = log ? try x.logSoftmax(axis: 1) : try x.softmax(axis: 1)
        let expected = try grad(of: y, wrt: [x], seed: g)[0]
        let formula = try Tensor.softmaxGradient(g, output: y.detached(), axis: 1, log: log)
        let worst = zip(try formula.scalars, try expected.scalars).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |Δ| \(worst)")
    }

    /// A run of middle axes summed as a batched product with ones equals oneDNN's reduction.
    @Test(arguments: [([8, 49, 20], 1...1), ([2, 3, 4, 5], 1...2), ([3, 6, 2, 2], 1...1)])
    func middleAxesAsAProductEqualOneDNN(shape: [Int], axes: ClosedRange<Int>) throws {
        var rng = SplitMix64(seed: 4)
        let x = try Tensor.randomNormal(shape, using: &rng)
        for mean in [true, false] {
            let reference =
                try mean ? x.mean(axes: Array(axes), keepingDimensions: true) : x.sum(axes: Array(axes), keepingDimensions: true)
            let storage = try x.reducingMiddleAxes(axes, mean: mean)
            let found = try Tensor(
                shape: reference.shape, storage: Storage(descriptor: try .plain(reference.shape), buffer: storage.buffer)
            ).scalars
            let expected = try reference.scalars
            #expect(found.count == expected.count)
            let worst = zip(found, expected).map { Swift.abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-5, "\(shape) over \(axes), mean \(mean): \(worst)")
        }
    }

    /// A sum or mean over axes of extent 1 only (a one-element slice summed to a scalar) is the
    /// values themselves, and its gradient is the output gradient; oneDNN refuses such a
    /// reduction, so it must not be asked for one.
    @Test func reducingAxesOfExtentOneIsTheIdentity() throws {
        let x = try Tensor(shape: [1, 1], scalars: [2.5]).requiringGrad()
        #expect(try x.sum().scalars == [2.5])
        #expect(try x.mean(axes: [0], keepingDimensions: true).shape == [1, 1])
        let wide = try Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]).requiringGrad()
        let picked = try wide.slice(axis: 1, 1..<2).sum()
        #expect(try picked.scalars == [2])
        #expect(try grad(of: picked, wrt: [wide])[0].scalars == [0, 1, 0, 0])
        #expect(try grad(of: try x.sum() * 3, wrt: [x])[0].scalars == [3])
    }
}
