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
        }
    }
}
