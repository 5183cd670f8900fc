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

    /// What a class's generated code declares.
    struct Declaration {
        /// Whether the class derives from `Module`.
        var isModule: Bool
        /// The names in `__parameters__` and `__buffers__`.
        var stateNames: Set<String>
    }

    /// The keyed tensors of the module `root`, as its `state_dict` holds them.
    ///
    /// - Throws: ``ModelError/unsupportedPickle(file:detail:)`` when modules nest deeper than
    ///   ``depthLimit`` (or refer to each other in a cycle).
    func flatten(_ root: PickleRecord) throws -> [(String, TensorReference)] {
        var result: [(String, TensorReference)] = []
        var declarations: [String: Declaration?] = [:]
        try walk(root, prefix: "", depth: 0, into: &result, declarations: &declarations)
        return result
    }

    private func walk(
        _ record: PickleRecord, prefix: String, depth: Int,
        into result: inout [(String, TensorReference)], declarations: inout [String: Declaration?]
    ) throws {
        guard depth < Self.depthLimit else {
            throw ModelError.unsupportedPickle(
                file: file, detail: "TorchScript modules nested more than \(Self.depthLimit) deep (at \(prefix.dropLast()))")
        }
        guard case let .dict(attributes) = record.state else { return }
        let declaration = lookUp(record.className, in: &declarations)
        for (key, value) in attributes.entries {
            guard let name = key.stringValue else { continue }
            switch value {
            case let .tensor(tensor):
                if declaration?.stateNames.contains(name) ?? true { result.append((prefix + name, tensor)) }
            case let .record(child):
                if lookUp(child.className, in: &declarations)?.isModule ?? true {
                    try walk(child, prefix: prefix + name + ".", depth: depth + 1, into: &result, declarations: &declarations)
                }
            default:
                continue
            }
        }
    }

    private func lookUp(_ className: String, in declarations: inout [String: Declaration?]) -> Declaration? {
        if let known = declarations[className] { return known }
        let declaration = declare(className)
        declarations[className] = declaration
        return declaration
    }

    /// Reads what the generated code of `className` (`__torch__.torch.nn.modules.conv.Conv2d`)
    /// declares, or `nil` if it cannot be found.
    func declare(_ className: String) -> Declaration? {
        guard let dot = className.lastIndex(of: ".") else { return nil }
        let qualifier = className[..<dot]
        let name = className[className.index(after: dot)...]
        guard let text = source("code/" + qualifier.split(separator: ".").joined(separator: "/") + ".py") else { return nil }
        var declaration: Declaration?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("class ") {
                if declaration != nil { break }
                if line.hasPrefix("class \(name)(") || line.hasPrefix("class \(name):") {
                    declaration = Declaration(isModule: line.hasPrefix("class \(name)(Module)"), stateNames: [])
                }
                continue
            }
            guard declaration != nil else { continue }
            let trimmed = line.drop { $0 == " " }
            if trimmed.hasPrefix("__parameters__ = [") || trimmed.hasPrefix("__buffers__ = [") {
                declaration?.stateNames.formUnion(Self.quotedNames(trimmed))
            }
        }
        return declaration
    }

    /// The double-quoted strings of a line such as `__buffers__ = ["running_mean", "running_var", ]`.
    static func quotedNames(_ line: Substring) -> [String] {
        line.split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap { index, part in
            index % 2 == 1 ? String(part) : nil
        }
    }
}
