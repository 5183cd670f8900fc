import Foundation

/// Where a model comes from: a store entry, or an architecture with a checkpoint file.
///
/// The one set of rules `loupe` commands (`--model`, `--arch`, `--weights`) and `{model}` cells
/// (`:name:`, `:arch:`, `:weights:`) follow.
public enum ModelSource: Sendable {
    /// A pretrained model from the store, fetched on first use and checked by its SHA-256.
    case store(ModelStore.Entry)
    /// An architecture and a checkpoint; `written` is the path as the user wrote it.
    case file(Architecture, URL, written: String)

    /// The source a name, an architecture and a weights file describe.
    ///
    /// - a name alone: that store entry;
    /// - an architecture and weights: that checkpoint;
    /// - an architecture alone: the store's pretrained weights for it;
    /// - nothing: the store's default model.
    ///
    /// - Throws: ``ModelError/invalidSource(_:)`` for a name with an architecture or weights, or
    ///   weights without an architecture, or an architecture the store has no weights for;
    ///   ``ModelError/unknownModel(name:suggestions:)``; the errors of
    ///   ``Architecture/init(named:)``.
    public init(name: String?, architecture: String?, weights: (written: String, url: URL)?) throws {
        switch (name, architecture, weights) {
        case (_?, _?, _), (_?, _, _?):
            throw ModelError.invalidSource("give either a store model's name or an architecture (with or without weights), not both")
        case let (name?, nil, nil):
            let entry = try ModelStore.entry(named: name)
            guard entry.architecture != nil else {
                throw ModelError.invalidSource("'\(entry.name)' is a text encoder, not an image classifier")
            }
            self = .store(entry)
        case let (nil, arch?, weights?):
            self = .file(try Architecture(named: arch), weights.url, written: weights.written)
        case let (nil, arch?, nil):
            let architecture = try Architecture(named: arch)
            guard let entry = ModelStore.entries.first(where: { $0.architecture == architecture }) else {
                let stored = ModelStore.entries.compactMap(\.architecture?.rawValue).joined(separator: ", ")
                throw ModelError.invalidSource(
                    "the store has no pretrained weights for '\(arch)' (it has \(stored)); give a checkpoint with the weights")
            }
            self = .store(entry)
        case (nil, nil, _?):
            throw ModelError.invalidSource("weights need an architecture, to say which network the checkpoint is for")
        case (nil, nil, nil):
            self = .store(try ModelStore.entry(named: ModelStore.defaultModel))
        }
    }

    /// How reports and captions name the weights: the store name, or the path as written.
    public var written: String {
        switch self {
        case let .store(entry): entry.name
        case let .file(_, _, written): written
        }
    }

    /// Loads the model: from the store (fetching it on first use, with `progress` messages) or
    /// from the checkpoint.
    ///
    /// - Throws: ``ModelError/unreadable(file:reason:)`` for a missing checkpoint, and the errors
    ///   of ``Model/init(named:progress:)`` and ``Model/init(architecture:weights:name:)``.
    public func load(progress: (String) -> Void = { _ in }) throws -> Model {
        switch self {
        case let .store(entry):
            return try Model(named: entry.name, progress: progress)
        case let .file(architecture, url, written):
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw ModelError.unreadable(file: written, reason: "no such file")
            }
            return try Model(architecture: architecture, weights: url)
        }
    }
}
