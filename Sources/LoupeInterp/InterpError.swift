import LoupeTensor

/// Why an interpretability method cannot run as asked.
public enum InterpError: Error, CustomStringConvertible, Equatable {
    /// No class has this label; the closest labels follow.
    case unknownLabel(String, suggestions: [String])
    /// A class index outside `0..<classes`.
    case classOutOfRange(Int, classes: Int)
    /// A channel index outside the layer's channels.
    case channelOutOfRange(layer: String, channel: Int, channels: Int)
    /// The layer's output is not a `[1, C, H, W]` feature map.
    case notAFeatureMap(layer: String, shape: [Int])
    /// A parameter outside its range.
    case invalidParameter(String)
    /// A noise array of the wrong shape.
    case noiseShape(expected: [Int], found: [Int])
    /// The layer is not a convolution; the closest convolution layers follow.
    case notAConvolution(layer: String, module: String, suggestions: [String])
    /// A filter (output channel) index outside the convolution's filters.
    case filterOutOfRange(layer: String, filter: Int, filters: Int)
    /// An input-channel index outside what one filter of the convolution sees.
    case inputChannelOutOfRange(layer: String, channel: Int, channels: Int)
    /// `layer@call` names a call the layer does not make (`calls` is how many it makes in one
    /// forward pass; 0 when it never runs).
    case layerCallOutOfRange(layer: String, call: Int, calls: Int)
    /// Something that cannot happen did: a bug in Loupe.
    case internalError(String)

    /// The message shown to the user, saying what was expected and what was found.
    public var description: String {
        switch self {
        case let .unknownLabel(label, suggestions):
            let hint = suggestions.isEmpty ? "" : "; closest: " + suggestions.map { "'\($0)'" }.joined(separator: ", ")
            return "no ImageNet class is called '\(label)'\(hint)"
        case let .classOutOfRange(index, classes):
            return "class index \(index) is out of range: the model has classes 0…\(classes - 1)"
        case let .channelOutOfRange(layer, channel, channels):
            return "channel \(channel) is out of range: layer '\(layer)' has channels 0…\(channels - 1)"
        case let .notAFeatureMap(layer, shape):
            return "layer '\(layer)' outputs shape \(shape), not a [1, C, H, W] feature map"
        case let .invalidParameter(message):
            return message
        case let .noiseShape(expected, found):
            return "the noise array must have shape \(expected), found \(found)"
        case let .notAConvolution(layer, module, suggestions):
            let hint = suggestions.isEmpty ? "" : "; convolution layers nearby: " + suggestions.map { "'\($0)'" }.joined(separator: ", ")
            return "layer '\(layer)' is \(module), not a convolution\(hint)"
        case let .filterOutOfRange(layer, filter, filters):
            return "filter \(filter) is out of range: layer '\(layer)' has filters 0…\(filters - 1)"
        case let .inputChannelOutOfRange(layer, channel, channels):
            return "input channel \(channel) is out of range: each filter of layer '\(layer)' sees input channels 0…\(channels - 1)"
        case let .internalError(message):
            return "internal error (a bug in Loupe): \(message)"
        case let .layerCallOutOfRange(layer, call, calls):
            if calls == 0 { return "layer '\(layer)' produced no output in the forward pass" }
            if calls == 1 { return "layer '\(layer)' runs once per forward pass, so '\(layer)@\(call)' does not exist; write '\(layer)'" }
            return
                "layer '\(layer)' runs \(calls) times per forward pass: write '\(layer)@1' … '\(layer)@\(calls)' ('\(layer)' alone is the last call), not '\(layer)@\(call)'"
        }
    }
}

extension InterpError: OriginatedError {
    /// ``internalError(_:)`` is a bug in Loupe (``LoupeTensor/ErrorOrigin/internal``); every other case comes from the input.
    public var origin: ErrorOrigin {
        if case .internalError = self { return .internal }
        return .input
    }
}
