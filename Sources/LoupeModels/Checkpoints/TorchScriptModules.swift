/// Flattens a TorchScript module, unpickled as inert ``PickleRecord``s, into `state_dict` keys.
///
/// A TorchScript archive pickles the module object: each submodule is a `__torch__.…` object
/// whose attributes hold its parameters, buffers, submodules and plain settings. Walking the
/// attributes and joining names with dots gives the keys `torch.jit.load(…).state_dict()`
/// returns (`conv1.weight`, `layer1.0.bn1.running_mean`).
///
/// Which tensor attributes are parameters or buffers is declared in the archive's generated
/// code (`__parameters__ = ["weight", "bias", ]`, `__buffers__ = [...]` in
/// `code/__torch__/….py`); tensors a module merely holds as attributes are not part of its
/// `state_dict` and are skipped. When a class's code cannot be found, all of its tensor
/// attributes are kept.
struct TorchScriptModules {
    /// The checkpoint, for errors.
    let file: String
    /// The text of an archive record, by its path inside the archive's folder (`code/__torch__.py`).
    let source: (String) -> String?

    /// How deeply modules may nest.
    static let depthLimit = 64
    /// How many modules and tensors one walk may visit (shared submodules are visited once per
    /// path, as `state_dict` does, so a hostile archive could otherwise make the walk exponential).
    static let visitLimit = 250_000

    /// What a class's generated code declares.
    struct Declaration: Equatable {
        /// Whether the class derives from `Module`.
        var isModule: Bool
        /// The names in `__parameters__` and `__buffers__`.
        var stateNames: Set<String>
    }

    /// The walk's bookkeeping.
    private struct Walk {
        var result: [(String, TensorReference)] = []
        /// The declarations of each code file read so far, by class name, keyed by file path.
        var files: [String: [String: Declaration]] = [:]
        /// The declaration found for each class name so far (`nil` when there is none).
        var classes: [String: Declaration?] = [:]
        var visits = 0
    }

    /// The keyed tensors of the module `root`, as its `state_dict` holds them.
    ///
    /// - Parameter root: the unpickled top-level module.
    /// - Returns: the tensors by dotted key, in attribute order.
    /// - Throws: ``ModelError/unsupportedPickle(file:detail:)`` when modules nest deeper than
    ///   ``depthLimit`` (or refer to each other in a cycle) or the walk exceeds ``visitLimit``.
    func flatten(_ root: PickleRecord) throws -> [(String, TensorReference)] {
        var walk = Walk()
        try visit(root, prefix: "", depth: 0, walk: &walk)
        return walk.result
    }

    private func visit(_ record: PickleRecord, prefix: String, depth: Int, walk: inout Walk) throws {
        walk.visits += 1
        guard depth < Self.depthLimit, walk.visits <= Self.visitLimit else {
            throw ModelError.unsupportedPickle(
                file: file,
                detail: "TorchScript modules nested more than \(Self.depthLimit) deep or \(Self.visitLimit) times over "
                    + "(at \(prefix.dropLast()))")
        }
        guard case let .dict(attributes) = record.state else { return }
        let declaration = lookUp(record.className, walk: &walk)
        for (key, value) in attributes.entries {
            guard let name = key.stringValue else { continue }
            switch value {
            case let .tensor(tensor):
                guard declaration?.stateNames.contains(name) ?? true else { continue }
                walk.visits += 1
                guard walk.visits <= Self.visitLimit else {
                    throw ModelError.unsupportedPickle(file: file, detail: "a TorchScript module with more than \(Self.visitLimit) tensors")
                }
                walk.result.append((prefix + name, tensor))
            case let .record(child):
                if lookUp(child.className, walk: &walk)?.isModule ?? true {
                    try visit(child, prefix: prefix + name + ".", depth: depth + 1, walk: &walk)
                }
            default:
                continue
            }
        }
    }

    /// What the generated code declares for `className`
    /// (`__torch__.torch.nn.modules.conv.Conv2d` is class `Conv2d` in
    /// `code/__torch__/torch/nn/modules/conv.py`), or `nil` if it cannot be found.
    private func lookUp(_ className: String, walk: inout Walk) -> Declaration? {
        if let known = walk.classes[className] { return known }
        guard let dot = className.lastIndex(of: ".") else { return nil }
        let path = "code/" + className[..<dot].split(separator: ".").joined(separator: "/") + ".py"
        let name = String(className[className.index(after: dot)...])
        let declarations = walk.files[path] ?? source(path).map(Self.declarations) ?? [:]
        walk.files[path] = declarations
        walk.classes[className] = declarations[name]
        return declarations[name]
    }

    /// The declarations of every class in one generated code file, by class name.
    static func declarations(in text: String) -> [String: Declaration] {
        var result: [String: Declaration] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("class ") {
                let header = line.dropFirst("class ".count)
                let name = String(header.prefix { $0 != "(" && $0 != ":" })
                current = name
                if result[name] == nil {
                    result[name] = Declaration(isModule: header.dropFirst(name.count).hasPrefix("(Module)"), stateNames: [])
                }
                continue
            }
            guard let current else { continue }
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("__parameters__ = [") || trimmed.hasPrefix("__buffers__ = [") {
                result[current]?.stateNames.formUnion(quotedNames(trimmed))
            }
        }
        return result
    }

    /// The double-quoted strings of a line such as `__buffers__ = ["running_mean", "running_var", ]`.
    static func quotedNames(_ line: Substring) -> [String] {
        line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap { index, part in
            index % 2 == 1 ? String(part) : nil
        }
    }
}
