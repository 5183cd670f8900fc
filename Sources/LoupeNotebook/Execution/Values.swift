import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// A model a `{model}` cell loaded.
public struct LoadedModel: NotebookValue {
    /// ``ValueKind/model``.
    public static let kind = ValueKind.model
    /// The network.
    public let model: Model
    /// How the notebook names the weights: a store name or the weights path as written.
    public let source: String
    /// The SHA-256 of the weights file.
    public let sha256: String

    /// `model`, whose weights the notebook names `source` (a store name or a path) and whose
    /// weights file has SHA-256 `sha256`.
    public init(model: Model, source: String, sha256: String) {
        self.model = model
        self.source = source
        self.sha256 = sha256
    }

    /// A short description for captions: the architecture and, for files, the path.
    public var caption: String {
        source == model.name ? source : "\(model.architectureName) (\(source))"
    }
}

/// An image an `{image}` or `{mix}` cell made.
public struct LoadedImage: NotebookValue {
    /// ``ValueKind/image``.
    public static let kind = ValueKind.image
    /// The pixels.
    public let image: RGBImage
    /// Where it came from, for captions ("dog.jpg", "mix of cat and dog").
    public let source: String
    /// Whether the cell already resized it to a model input size: consumers then only normalise
    /// it, as `loupe predict --no-resize` does.
    public let isPrepared: Bool

    /// An image from `source`, already resized to a model's input size when `isPrepared`.
    public init(image: RGBImage, source: String, isPrepared: Bool) {
        self.image = image
        self.source = source
        self.isPrepared = isPrepared
    }

    /// The model input and the picture the model sees: the model's own resize and crop unless
    /// the image is prepared, then normalisation (the rules `loupe` commands follow too).
    public func modelInput(for model: Model) throws -> ModelInput {
        try model.preprocessing.input(from: image, fit: isPrepared ? .asIs : .crop)
    }

    /// The model input (see ``modelInput(for:)``).
    public func input(for model: Model) throws -> Tensor {
        try modelInput(for: model).tensor
    }

    /// The image as the model sees it (resized and cropped), without normalisation.
    public func modelView(for model: Model) throws -> RGBImage {
        try modelInput(for: model).seen
    }
}

/// What a running cell can reach: the values of the cells it names, the notebook's folder, and
/// a channel for progress messages.
public final class CellContext: @unchecked Sendable {
    private let resolve: (String) throws -> any NotebookValue
    /// The notebook's folder.
    public let baseDirectory: URL
    /// Reports slow steps (such as a model download) to the terminal.
    public let log: (String) -> Void

    init(baseDirectory: URL, log: @escaping (String) -> Void, resolve: @escaping (String) throws -> any NotebookValue) {
        self.baseDirectory = baseDirectory
        self.log = log
        self.resolve = resolve
    }

    /// The value an earlier cell defined under `name`, computing it if it came from the cache.
    ///
    /// - Throws: ``CellError/wrongKind(option:name:expected:found:)`` when the value is of another
    ///   type (the planner checks kinds first, so this means a directive asked for the wrong
    ///   type), or the error of the defining cell.
    public func value<T: NotebookValue>(_ type: T.Type, named name: String) throws -> T {
        let value = try resolve(name)
        guard let typed = value as? T else {
            throw CellError.wrongKind(option: name, name: name, expected: T.kind, found: Swift.type(of: value).kind)
        }
        return typed
    }

    /// The value of the cell an option names.
    public func value<T: NotebookValue>(_ name: CellName<T>) throws -> T {
        try value(T.self, named: name.name)
    }

    /// The values of the cells an option names, in order.
    public func values<T: NotebookValue>(_ names: CellNames<T>) throws -> [T] {
        try names.names.map { try value(T.self, named: $0) }
    }
}

/// A list of texts a `{concepts}` or `{sentences}` cell made: concept names, captions, prompts.
public struct TextList: NotebookValue {
    /// Text lists are asked for as `texts`.
    public static let kind = ValueKind.texts
    /// The texts, in order.
    public let texts: [String]
    /// Where they come from, for captions (`imagenet`, `3 sentences`).
    public let source: String

    /// A list of `texts` from `source`.
    public init(texts: [String], source: String) {
        self.texts = texts
        self.source = source
    }
}

extension ValueKind {
    /// A list of texts (``TextList``).
    public static let texts = ValueKind(rawValue: "texts")
}
