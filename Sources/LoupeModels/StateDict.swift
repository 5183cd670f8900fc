import LoupeTensor

/// Named tensors as PyTorch's `state_dict()` holds them: dotted keys (`layer1.0.conv1.weight`)
/// to Float32 tensors in PyTorch's layout (OIHW weights, `[C]` statistics).
///
/// Checkpoint readers return one of these whatever the file format; modules load from it by
/// their own dotted names.
public struct StateDict: Sendable {
    /// The tensors by dotted key.
    public var tensors: [String: Tensor]

    /// A state dict holding `tensors` by dotted key (none by default).
    public init(_ tensors: [String: Tensor] = [:]) {
        self.tensors = tensors
    }

    /// The keys in sorted order.
    public var keys: [String] { tensors.keys.sorted() }

    /// The tensor under the dotted `key`, or `nil`; setting `nil` removes it.
    public subscript(key: String) -> Tensor? {
        get { tensors[key] }
        set { tensors[key] = newValue }
    }

    /// The same tensors with `prefix` removed from every key that has it (DataParallel's
    /// `module.`).
    public func removingPrefix(_ prefix: String) -> StateDict {
        StateDict(
            Dictionary(
                uniqueKeysWithValues: tensors.map { key, value in
                    (key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key, value)
                }))
    }
}
