import LoupeTensor
import Testing

/// `Tensor.affineResampled`: PyTorch's `grid_sample` numbers, exact special cases, and the
/// backward pass against central differences of the forward pass.
@Suite struct AffineResampleTests {
    func input() throws -> Tensor {
        var rng = SplitMix64(seed: 11)
        return try Tensor.randomNormal([1, 2, 5, 6], using: &rng)
    }

    @Test func identityAndIntegerShiftsMovePixelsExactly() throws {
        let x = try input()
        let values = try x.scalars
        #expect(try x.affineResampled(.identity, height: 5, width: 6).scalars == values)
        // Reading at x + 1: every row moves one pixel left and the last column falls outside.
        let shifted = try x.affineResampled(.translation(dx: 1, dy: 0), height: 5, width: 6).scalars
        for plane in 0..<2 {
            for y in 0..<5 {
                for column in 0..<6 {
                    let expected = column < 5 ? values[plane * 30 + y * 6 + column + 1] : 0
                    #expect(shifted[plane * 30 + y * 6 + column] == expected)
                }
            }
        }
    }

    @Test func halfPixelIsTheMeanOfTheNeighbours() throws {
        let x = try Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4])
        let out = try x.affineResampled(.translation(dx: 0.5, dy: 0.5), height: 1, width: 1).scalars
        #expect(out == [2.5])
    }

    @Test func matchesGridSample() throws {
        let v = AffineResampleVectors.gridSample
        let x = try Tensor(shape: v.inputShape, scalars: v.input)
        let out = try x.affineResampled(v.map, height: v.height, width: v.width)
        #expect(out.shape == [1, 2, v.height, v.width])
        let error = zip(try out.scalars, v.output).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(error < 1e-5, "largest difference from grid_sample \(error)")
    }

    @Test func rotationKeepsTheCentreAndTurnsAQuarter() throws {
        let map = AffineMap2D.rotationAndScale(degrees: 90, scale: 1, centerX: 2, centerY: 3)
        let centre = map.apply(x: 2, y: 3)
        #expect(Swift.abs(centre.x - 2) < 1e-6 && Swift.abs(centre.y - 3) < 1e-6)
        // A quarter turn reads the output pixel one to the right of the centre from one above or below it.
        let read = map.apply(x: 3, y: 3)
        #expect(Swift.abs(read.x - 2) < 1e-6 && Swift.abs(Swift.abs(read.y - 3) - 1) < 1e-6)
        let half = AffineMap2D.rotationAndScale(degrees: 0, scale: 2, centerX: 0, centerY: 0).apply(x: 4, y: 2)
        #expect(half.x == 2 && half.y == 1, "scaling up by 2 reads at half the distance")
    }

    @Test func backwardMatchesFiniteDifferences() throws {
        let v = AffineResampleVectors.gridSample
        let x = try input()
        var rng = SplitMix64(seed: 12)
        let seed = try Tensor.randomNormal([1, 2, v.height, v.width], using: &rng)
        let tracked = x.requiringGrad()
        let analytic = try grad(of: tracked.affineResampled(v.map, height: v.height, width: v.width), wrt: [tracked], seed: seed)[0].scalars
        let seedValues = try seed.scalars
        let original = try x.scalars
        func loss(_ values: [Float]) throws -> Double {
            let out = try Tensor(shape: x.shape, scalars: values).affineResampled(v.map, height: v.height, width: v.width).scalars
            return zip(out, seedValues).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let step: Float = 1e-2
        var checked = 0
        for position in original.indices {
            var plus = original, minus = original
            plus[position] += step
            minus[position] -= step
            let numeric = Float((try loss(plus) - loss(minus)) / Double(2 * step))
            #expect(
                Swift.abs(numeric - analytic[position]) <= 1e-3 + 1e-3 * Swift.abs(analytic[position]),
                "d/dx[\(position)]: finite difference \(numeric), backward \(analytic[position])")
            checked += 1
        }
        #expect(checked == 60)
        #expect(analytic.contains { $0 != 0 } && analytic.contains { $0 == 0 }, "some inputs are read, some lie outside the map")
    }

    @Test func rejectsBadShapes() throws {
        #expect(throws: TensorError.self) { try Tensor.zeros([3, 4, 4]).affineResampled(.identity, height: 4, width: 4) }
        #expect(throws: TensorError.self) { try Tensor.zeros([1, 3, 4, 4]).affineResampled(.identity, height: 0, width: 4) }
    }
}
