import LoupeTensor

/// An error from loading a checkpoint, building a model or finding one in the store.
///
/// Cases carry the file, the dotted key or the model name involved, and say what was expected
/// and what was found.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all.
    case unreadable(file: String, reason: String)
    /// The bytes are not a checkpoint in any format Loupe reads, or are corrupt.
    case notACheckpoint(file: String, reason: String)
    /// The file ends before the data it announces.
    case truncated(file: String, detail: String)
    /// The pickle names a Python global outside the handful a `state_dict` needs; nothing runs.
    case forbiddenGlobal(file: String, module: String, name: String)
    /// The pickle uses an opcode or a structure Loupe does not read.
    case unsupportedPickle(file: String, detail: String)
    /// A tensor's element type is not one Loupe converts (float32, float16, bfloat16, int64).
    case unsupportedDType(file: String, key: String, dtype: String)
    /// The model has parameters the checkpoint lacks.
    case missingKeys(model: String, keys: [String])
    /// The checkpoint has tensors the model does not.
    case unexpectedKeys(model: String, keys: [String])
    /// A tensor's shape differs from the parameter it should fill.
    case shapeMismatch(model: String, key: String, expected: [Int], found: [Int])
    /// No architecture or registry model has this name.
    case unknownModel(name: String, suggestions: [String])
    /// No layer of the model has this dotted name.
    case unknownLayer(model: String, name: String, suggestions: [String])
    /// Fetching or verifying a model in the store failed.
    case store(model: String, reason: String)
    /// A checkpoint tensor (`what` names its key) or the network's input holds NaN.
    case notANumber(model: String, what: String)
    /// A model named in a way that does not fit together (a store name and a checkpoint, …).
    case invalidSource(String)
    /// A concept vocabulary file that cannot be used (blank or repeated lines, not UTF-8).
    case invalidVocabulary(file: String, reason: String)
    /// A prompt template without the `{}` the concept goes in.
    case invalidTemplate(String)
    /// A checkpoint of a model family (CLIP) whose keys and shapes fit none of the variants
    /// Loupe builds; `reason` names the keys that did not fit.
    case unknownVariant(file: String, family: String, reason: String)
    /// A vocabulary name that is neither built in nor a file.
    case unknownVocabulary(name: String, builtIns: [String], suggestions: [String])

    /// The message shown to the user, naming the file, key or model and saying what was expected and found.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read the file: \(reason)"
        case let .notACheckpoint(file, reason):
            return "\(file): not a PyTorch or safetensors checkpoint: \(reason)"
        case let .truncated(file, detail):
            return "\(file): the file is truncated: \(detail)"
        case let .forbiddenGlobal(file, module, name):
            return
                "\(file): the pickle refers to \(module).\(name), which a state_dict never needs; Loupe refuses to load it (nothing was executed)"
        case let .unsupportedPickle(file, detail):
            return "\(file): unsupported pickle content: \(detail)"
        case let .unsupportedDType(file, key, dtype):
            return "\(file): tensor \(key) has element type \(dtype); Loupe reads float32, float16, bfloat16 and int64"
        case let .missingKeys(model, keys):
            return "\(model): the checkpoint lacks \(keys.count) parameter(s): \(Self.list(keys)); is it for another architecture?"
        case let .unexpectedKeys(model, keys):
            return
                "\(model): the checkpoint has \(keys.count) tensor(s) the model does not: \(Self.list(keys)); is it for another architecture?"
        case let .shapeMismatch(model, key, expected, found):
            return "\(model): \(key) should be \(expected) but the checkpoint has \(found)"
        case let .unknownModel(name, suggestions):
            return "no model named \"\(name)\"" + Self.didYouMean(suggestions)
        case let .unknownLayer(model, name, suggestions):
            return "\(model) has no layer named \"\(name)\"" + Self.didYouMean(suggestions)
        case let .store(model, reason):
            return "model store: \(model): \(reason)"
        case let .invalidSource(reason):
            return reason
        case let .invalidVocabulary(file, reason):
            return "\(file): \(reason)"
        case let .invalidTemplate(template):
            return "'\(template)' has no {} to put the text in"
        case let .unknownVocabulary(name, builtIns, suggestions):
            return "no vocabulary named \"\(name)\" and no such file; the built-in ones are \(builtIns.joined(separator: ", "))"
                + Self.didYouMean(suggestions)
        case let .unknownVariant(file, family, reason):
            return "\(file): not a \(family) checkpoint Loupe can build: \(reason)"
        case let .notANumber(model, what):
            return "\(model): \(what) holds NaN"
        }
    }

    private static func list(_ keys: [String]) -> String {
        keys.count <= 6 ? keys.joined(separator: ", ") : keys.prefix(6).joined(separator: ", ") + ", …"
    }

    private static func didYouMean(_ suggestions: [String]) -> String {
        suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "\"\($0)\"" }.joined(separator: ", ") + "?"
    }
}

extension ModelError: OriginatedError {
    /// Every model error is about a file, a name or a store download the user asked for.
    public var origin: ErrorOrigin { .input }
}
