import LoupeTensor
import LoupeTestSupport
import Testing

/// Each backward pass against central differences of its own forward pass, on the inputs of
/// the PyTorch fixtures: independent of PyTorch, so a wrong forward and a matching wrong
/// backward cannot both pass.
@Suite struct FiniteDifferenceTests {
    @Test(arguments: ParityTests.families)
    func backwardMatchesFiniteDifferences(family: String) throws {
        let cases = try loadFixture(family, bundle: .module).filter { $0.grads != nil }
        var checked = 0
        for fixture in cases {
            guard let grads = fixture.grads, let seedData = fixture.gradOutput else { continue }
            let seed = try seedData.tensor()
            let runner = try OpRunner(fixture)
            let output = try runner.run()
            let names = grads.keys.sorted()
            let analytic = try grad(of: output, wrt: names.map { try runner.input($0) }, seed: seed)
            let base = try output.scalars
            for (name, gradient) in zip(names, analytic) {
                guard let original = fixture.inputs[name] else { continue }
                let values = try gradient.scalars
                for position in probePositions(count: original.data.count) {
                    let numeric = try centralDifference(
                        fixture, input: name, original: original, at: position, seed: seedData.data, base: base)
                    let expected = values[position]
                    #expect(
                        Swift.abs(numeric - expected) <= 1e-2 + 1e-2 * Swift.abs(expected),
                        "\(fixture.name) d/d\(name)[\(position)]: finite difference \(numeric), backward \(expected)")
                    checked += 1
                }
            }
        }
        #expect(checked > 20, "only \(checked) gradient entries checked in \(family)")
    }

    /// Four positions spread over the input.
    private func probePositions(count: Int) -> [Int] {
        Array(Set((0..<4).map { ($0 * count) / 4 + count / 8 }.filter { $0 < count })).sorted()
    }

    /// `(L(x + h) − L(x − h)) / 2h` for `L = Σ output · seed`, summing only the outputs that moved
    /// (in Double) so that Float32 rounding of the untouched ones cancels exactly.
    private func centralDifference(
        _ fixture: FixtureCase, input name: String, original: FixtureTensor,
        at position: Int, seed: [Float], base: [Float]
    ) throws -> Float {
        let step: Float = 3e-3
        func loss(_ delta: Float) throws -> Double {
            var data = original.data
            data[position] += delta
            let out = try OpRunner(fixture, overriding: [name: Tensor(shape: original.shape, scalars: data)]).run().scalars
            var total = 0.0
            for i in out.indices where out[i] != base[i] { total += Double(out[i] - base[i]) * Double(seed[i]) }
            return total
        }
        return Float((try loss(step) - loss(-step)) / Double(2 * step))
    }
}
