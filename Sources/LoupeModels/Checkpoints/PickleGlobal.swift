/// A Python global that Loupe's unpickler accepts, as an inert tag.
///
/// A pickle names globals with `GLOBAL module name` (or `STACK_GLOBAL`) and calls them with
/// `REDUCE`. Loupe never imports or runs anything: it knows what the handful of globals that
/// make up a `state_dict` would build and builds that itself. Every other global throws
/// ``ModelError/forbiddenGlobal(file:module:name:)`` as soon as it is named.
enum PickleGlobal: Equatable {
    /// `collections.OrderedDict`.
    case orderedDict
    /// `torch._utils._rebuild_tensor(storage, storage_offset, size, stride)`.
    case rebuildTensor
    /// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`.
    case rebuildParameter
    /// `torch._utils._rebuild_parameter_with_state(data, requires_grad, backward_hooks, state)`.
    case rebuildParameterWithState
    /// `torch.Size`, which builds a tuple of integers.
    case torchSize
    /// A storage class such as `torch.FloatStorage`, naming the element type of a persistent id.
    case storageClass(name: String, type: ElementType)
    /// A dtype such as `torch.float32`, kept as data.
    case dtype(name: String)
    /// A TorchScript class (`__torch__.…`), allowed only inside TorchScript archives; calling it
    /// makes an inert ``PickleRecord``.
    case scriptClass(String)
    /// One of `torch.jit._pickle`'s list builders, allowed only inside TorchScript archives;
    /// calling it returns its first argument.
    case scriptHelper(String)

    /// What a message calls this global (`torch._utils._rebuild_tensor_v2`).
    var summary: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: return "torch._utils._rebuild_parameter_with_state"
        case .torchSize: return "torch.Size"
        case let .storageClass(name, _): return "torch.\(name)"
        case let .dtype(name): return "torch.\(name)"
        case let .scriptClass(name): return name
        case let .scriptHelper(name): return "torch.jit._pickle.\(name)"
        }
    }

    /// The builders in `torch.jit._pickle` that TorchScript archives use for typed lists.
    private static let scriptHelpers: Set<String> = [
        "build_intlist", "build_floatlist", "build_doublelist", "build_boollist", "build_tensorlist",
        "build_complexlist", "restore_type_tag",
    ]

    /// Looks up `module.name`.
    ///
    /// - Parameters:
    ///   - module: the module the pickle names (`torch._utils`).
    ///   - name: the name within it (`_rebuild_tensor_v2`).
    ///   - allowsTorchScript: whether `__torch__.*` classes and `torch.jit._pickle` helpers are
    ///     allowed (only in TorchScript archives).
    ///   - file: the checkpoint, for errors.
    /// - Returns: the inert tag standing for the global.
    /// - Throws: ``ModelError/forbiddenGlobal(file:module:name:)`` for anything else.
    static func resolve(module: String, name: String, allowsTorchScript: Bool, file: String) throws -> PickleGlobal {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch", "Size"): return .torchSize
        default: break
        }
        if module == "torch" || module == "torch.storage", let type = ElementType(storageClass: name) {
            return .storageClass(name: name, type: type)
        }
        if module == "torch", ElementType(torchDType: name) != nil {
            return .dtype(name: name)
        }
        if allowsTorchScript {
            if module == "__torch__" || module.hasPrefix("__torch__.") {
                return .scriptClass("\(module).\(name)")
            }
            if module == "torch.jit._pickle", scriptHelpers.contains(name) {
                return .scriptHelper(name)
            }
        }
        throw ModelError.forbiddenGlobal(file: file, module: module, name: name)
    }

    /// What calling this global with `arguments` builds (`REDUCE`, `NEWOBJ`), without running
    /// anything.
    ///
    /// - Throws: ``ModelError/unsupportedPickle(file:detail:)`` when the arguments are not what
    ///   PyTorch passes, ``ModelError/notACheckpoint(file:reason:)`` for a tensor view that lies
    ///   outside its storage.
    func call(_ arguments: [PickleValue], arena: PickleArena, file: String) throws -> PickleValue {
        func wrong(_ expected: String) -> ModelError {
            .unsupportedPickle(
                file: file,
                detail: "\(summary) called with (\(arguments.map(\.summary).joined(separator: ", "))); expected \(expected)")
        }
        switch self {
        case .orderedDict:
            let dict = arena.own(PickleDict())
            if arguments.isEmpty { return .dict(dict) }
            guard arguments.count == 1, let pairs = arguments[0].sequenceItems else { throw wrong("() or a list of pairs") }
            for pair in pairs {
                guard let items = pair.sequenceItems, items.count == 2 else { throw wrong("a list of (key, value) pairs") }
                try dict.set(items[0], items[1], file: file)
            }
            return .dict(dict)

        case .rebuildTensor, .rebuildTensorV2:
            let expectedCounts = self == .rebuildTensor ? 4...4 : 6...7
            guard expectedCounts.contains(arguments.count), case let .storage(storage) = arguments[0],
                let offset = arguments[1].intValue,
                let size = Self.integers(arguments[2]), let stride = Self.integers(arguments[3])
            else { throw wrong("(storage, storage_offset, size, stride, …)") }
            let layout = try StridedLayout(
                shape: size, strides: stride, offset: offset, storageCount: storage.count, file: file,
                what: "a tensor on storage \(storage.key)")
            return .tensor(TensorReference(storage: storage, layout: layout))

        case .rebuildParameter, .rebuildParameterWithState:
            let expectedCount = self == .rebuildParameter ? 3 : 4
            guard arguments.count == expectedCount, case .tensor = arguments[0] else { throw wrong("(tensor, requires_grad, hooks…)") }
            return arguments[0]

        case .torchSize:
            guard arguments.count <= 1 else { throw wrong("a tuple of integers") }
            guard let first = arguments.first else { return .tuple(arena.own(PickleList([]))) }
            guard let items = first.sequenceItems, items.allSatisfy({ $0.intValue != nil }) else { throw wrong("a tuple of integers") }
            return .tuple(arena.own(PickleList(items)))

        case .scriptClass(let name):
            return .record(arena.own(PickleRecord(className: name)))

        case .scriptHelper:
            return arguments.first ?? .none

        case .storageClass, .dtype:
            throw ModelError.unsupportedPickle(file: file, detail: "the pickle calls \(summary), which a state_dict never does")
        }
    }

    /// The integers of a tuple (a tensor's size or stride), or `nil` if it holds anything else.
    private static func integers(_ value: PickleValue) -> [Int]? {
        guard let items = value.sequenceItems else { return nil }
        var result: [Int] = []
        result.reserveCapacity(items.count)
        for item in items {
            guard case let .int(number) = item else { return nil }
            result.append(number)
        }
        return result
    }
}
