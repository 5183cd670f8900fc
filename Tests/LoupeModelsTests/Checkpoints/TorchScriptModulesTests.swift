import Foundation
import Testing

@testable import LoupeModels

extension CheckpointTests {
    /// Flattening TorchScript module records into `state_dict` keys.
    @Suite struct TorchScriptModulesTests {
        static let code = """
            class Conv2d(Module):
              __parameters__ = ["weight", "bias", ]
              __buffers__ = []
              weight : Tensor
              def forward(self: __torch__.torch.nn.modules.conv.Conv2d,
                input: Tensor) -> Tensor:
                return input
            class Holder(NamedTuple):
              __parameters__ = ["x", ]
            class BatchNorm2d(Module):
              __parameters__ = ["weight", "bias", ]
              __buffers__ = ["running_mean", "running_var", "num_batches_tracked", ]
            """

        @Test func readsDeclarationsFromGeneratedCode() {
            let declarations = TorchScriptModules.declarations(in: Self.code)
            #expect(declarations["Conv2d"] == .init(isModule: true, stateNames: ["weight", "bias"]))
            #expect(declarations["Holder"]?.isModule == false)
            #expect(declarations["BatchNorm2d"]?.stateNames == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"])
        }

        /// A module record whose attributes are `attributes`.
        func module(_ className: String, _ attributes: [(String, PickleValue)], arena: PickleArena) throws -> PickleRecord {
            let record = arena.own(PickleRecord(className: className))
            let dict = arena.own(PickleDict())
            for (name, value) in attributes { try dict.set(.string(name), value, file: "ts.pt") }
            record.state = .dict(dict)
            return record
        }

        @Test func keepsDeclaredTensorsOfModulesOnly() throws {
            let storage = StorageReference(key: "0", type: .float32, count: 4)
            let layout = try StridedLayout.contiguous([4], file: "ts.pt", what: "t")
            let tensor = PickleValue.tensor(TensorReference(storage: storage, layout: layout))
            let keys = try PickleArena.with { arena in
                let conv = try module(
                    "__torch__.torch.nn.modules.conv.Conv2d",
                    [("weight", tensor), ("bias", .none), ("stray", tensor), ("training", .bool(false))], arena: arena)
                let holder = try module("__torch__.torch.nn.modules.conv.Holder", [("x", tensor)], arena: arena)
                let unknown = try module("__torch__.Unknown", [("w", tensor)], arena: arena)
                let root = try module(
                    "__torch__.M", [("conv1", .record(conv)), ("h", .record(holder)), ("u", .record(unknown))], arena: arena)
                let modules = TorchScriptModules(file: "ts.pt") { path in
                    path == "code/__torch__/torch/nn/modules/conv.py" ? Self.code : nil
                }
                return try modules.flatten(root).map(\.0)
            }
            #expect(keys == ["conv1.weight", "u.w"])
        }

        @Test func sharedSubmodulesCannotMakeTheWalkExponential() throws {
            let storage = StorageReference(key: "0", type: .float32, count: 1)
            let tensor = PickleValue.tensor(
                TensorReference(storage: storage, layout: try StridedLayout.contiguous([], file: "f", what: "t")))
            #expect(throws: ModelError.self) {
                try PickleArena.with { arena in
                    // Forty levels, each holding the next one twice: 2^40 paths.
                    var next = try module("__torch__.Leaf", [("w", tensor)], arena: arena)
                    for level in 0..<40 {
                        next = try module("__torch__.Level\(level)", [("a", .record(next)), ("b", .record(next))], arena: arena)
                    }
                    _ = try TorchScriptModules(file: "f") { _ in nil }.flatten(next)
                }
            }
        }
    }
}
