import Foundation
import LoupeModels
import LoupeTensor
import Testing

/// Hooks see the modules' own names, and every module with a `state_dict` key is hookable.
///
/// Layer names are written twice in each architecture: as `children` (which `namedModules`,
/// checkpoint keys and `layer(named:)` read) and as the keys `forward` passes to the context
/// (which hooks, `:layer:` options and fused-layer observation see). They must be the same
/// names, and every module that holds a PyTorch `state_dict` key must be hookable.
@Suite struct HookNameTests {
    @Test(arguments: Architecture.allCases)
    func theNamesAHookSeesAreTheModulesNames(_ architecture: Architecture) throws {
        let model = Model(architecture: architecture)
        // Values do not matter here, only names: constant weights are the cheapest to make.
        var weights = StateDict()
        for (key, parameter) in model.network.namedParameters {
            weights[key] = try Tensor.full(parameter.shape, value: key.hasSuffix("running_var") ? 1 : 0.01)
        }
        try model.load(weights)
        var seen: [String] = []
        // A small input: every architecture pools adaptively before its classifier.
        let size = architecture.rawValue.hasPrefix("alexnet") ? 63 : 64
        let input = try Tensor.zeros([1, 3, size, size])
        _ = try GradMode.withoutGrad {
            try model(input) { name, output in
                seen.append(name)
                return output
            }
        }
        let hooked = Set(seen)
        let declared = Set(model.layerNames)
        #expect(
            hooked.subtracting(declared).isEmpty,
            "\(architecture): hooked but not a module: \(hooked.subtracting(declared).sorted().prefix(5))")
        #expect(
            declared.subtracting(hooked).isEmpty,
            "\(architecture): modules no hook sees: \(declared.subtracting(hooked).sorted().prefix(5))")
        // Every module holding a PyTorch key (the key without its last component) is hookable.
        let owners = Set(
            try ArchitectureTests.reference(architecture).keys.map { $0.split(separator: ".").dropLast().joined(separator: ".") })
        #expect(
            owners.subtracting(hooked).isEmpty,
            "\(architecture): PyTorch modules no hook sees: \(owners.subtracting(hooked).sorted().prefix(5))")
    }
}
