import Foundation
import LoupeTensor
import LoupeTestSupport
import Testing

/// Every op against PyTorch: forward values, indices and input/weight gradients from the
/// fixtures that `Scripts/parity/tensor_ops.py` writes.
@Suite struct ParityTests {
    static let families = ["conv", "norm", "activation", "pool", "linear", "softmax", "binary", "reduce", "shape"]

    @Test(arguments: families)
    func matchesPyTorch(family: String) throws {
        let cases = try loadFixture(family, bundle: .module)
        #expect(cases.count >= 8, "\(family) has only \(cases.count) cases")
        for fixture in cases {
            do {
                let runner = try OpRunner(fixture)
                let output = try runner.run()
                if let expected = fixture.output { try expectClose(output, expected, fixture.name) }
                if let expected = fixture.indices, let indices = try runner.indices() {
                    #expect(indices.map(Float.init) == expected.data, "\(fixture.name): indices")
                }
                guard let grads = fixture.grads, let seed = try fixture.gradOutput?.tensor() else { continue }
                let names = grads.keys.sorted()
                let computed = try grad(of: output, wrt: names.map { try runner.input($0) }, seed: seed)
                for (name, gradient) in zip(names, computed) {
                    try expectClose(gradient, grads[name]!, "\(fixture.name) d/d\(name)")
                }
            } catch {
                Issue.record("\(fixture.name): \(error)")
            }
        }
    }
}
