import LoupeModels
import LoupeTensor

/// What an attribution explains: a class logit, or the mean activation of one channel of a
/// named layer.
public enum AttributionTarget: Sendable, Equatable {
    /// The class the model ranks first for the image.
    case topClass
    /// A class by index.
    case classIndex(Int)
    /// A class by label, case-insensitive ("German shepherd", "tusker").
    case label(String)
    /// The mean of channel `channel` of layer `layer`'s output.
    case channel(layer: String, channel: Int)

    /// Parses the command line's `--target`: an integer is an index, `layer:channel` (with a
    /// layer the model has) a channel, anything else a label.
    public init(parsing text: String?, model: Model) {
        guard let text, !text.isEmpty else { self = .topClass; return }
        if let index = Int(text) { self = .classIndex(index); return }
        if let colon = text.lastIndex(of: ":"), let channel = Int(text[text.index(after: colon)...]),
            model.layerNames.contains(String(text[..<colon]))
        {
            self = .channel(layer: String(text[..<colon]), channel: channel)
            return
        }
        self = .label(text)
    }
}

/// A target made concrete for one model and image.
public struct ResolvedTarget: Sendable, Equatable, CustomStringConvertible {
    /// What is explained.
    public enum Kind: Sendable, Equatable {
        /// A class logit, by index.
        case classLogit(Int)
        /// The mean activation of one channel of a layer.
        case channel(layer: String, index: Int)
    }

    /// Which class logit or which layer's channel is explained.
    public let kind: Kind
    /// How captions name it: `German shepherd (235)` or `layer4:12`.
    public let description: String

    /// The class index, for class targets.
    public var classIndex: Int? {
        if case let .classLogit(index) = kind { return index }
        return nil
    }

    /// The layer and channel, for channel targets.
    public var channel: (layer: String, index: Int)? {
        if case let .channel(layer, index) = kind { return (layer, index) }
        return nil
    }
}

extension Model {
    /// The class `text` names: an index (`291`) or a label, case-insensitive (`lion`).
    ///
    /// - Throws: ``InterpError/unknownLabel(_:suggestions:)`` with the closest labels,
    ///   ``InterpError/classOutOfRange(_:classes:)``.
    public func resolveClass(_ text: String) throws -> ResolvedTarget {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        return try resolve(Int(trimmed).map(AttributionTarget.classIndex) ?? .label(trimmed), for: Tensor(0))
    }

    /// Resolves `target` for `input` (`[1, 3, H, W]`); `.topClass` runs one forward pass.
    ///
    /// - Throws: ``InterpError/unknownLabel(_:suggestions:)`` with the closest labels,
    ///   ``InterpError/classOutOfRange(_:classes:)``, ``ModelError/unknownLayer(model:name:suggestions:)``.
    public func resolve(_ target: AttributionTarget, for input: Tensor) throws -> ResolvedTarget {
        let classes = labels.isEmpty ? 1000 : labels.count
        func classTarget(_ index: Int) throws -> ResolvedTarget {
            guard (0..<classes).contains(index) else { throw InterpError.classOutOfRange(index, classes: classes) }
            let label = index < labels.count ? labels[index] : "class \(index)"
            return ResolvedTarget(kind: .classLogit(index), description: "\(label) (\(index))")
        }
        switch target {
        case .topClass:
            let logits = try GradMode.withoutGrad { try self(input) }
            return try classTarget(try logits.argmax(axis: -1)[0])
        case let .classIndex(index):
            return try classTarget(index)
        case let .label(text):
            let wanted = text.lowercased()
            if let index = labels.firstIndex(where: { $0.lowercased() == wanted }) { return try classTarget(index) }
            throw InterpError.unknownLabel(text, suggestions: closestNames(to: text, in: labels, limit: 5))
        case let .channel(layer, channel):
            _ = try self.layer(named: layer)
            return ResolvedTarget(kind: .channel(layer: layer, index: channel), description: "\(layer):\(channel)")
        }
    }
}
