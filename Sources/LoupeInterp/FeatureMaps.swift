import Foundation
import LoupeModels
import LoupeTensor

/// One call of a named layer: `_conv_stem`, `layer1.0.bn1`, or `_relu@1` for the first of the
/// several calls a shared module makes.
///
/// A name is the layer's dotted PyTorch name, so the output is exactly what a forward hook on
/// that module sees: `_conv_stem` is the stem convolution before batch norm, `_bn0` after batch
/// norm and before ReLU6. Some modules run more than once per forward pass (EfficientNet-Lite's
/// `_relu` after the stem and again after the head; torchvision's `relu` inside each ResNet
/// block). A plain name means the **last** call, which is what a PyTorch hook storing its output
/// in a dictionary keeps, what ``Model/forward(_:capturing:)`` returns and what Grad-CAM's
/// `_relu` means. `name@k` picks call `k`, counted from 1 (`_relu@1` is the stem's activation).
public struct LayerCall: Sendable, Hashable, CustomStringConvertible {
    /// The module's dotted name.
    public let name: String
    /// The call, from 1; `nil` for the last.
    public let call: Int?

    /// A layer call from its parts.
    public init(name: String, call: Int? = nil) {
        self.name = name
        self.call = call
    }

    /// Parses `name` or `name@k`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when what follows `@` is not a positive
    ///   integer.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let at = trimmed.lastIndex(of: "@") else {
            self.init(name: trimmed)
            return
        }
        let name = String(trimmed[..<at]), suffix = trimmed[trimmed.index(after: at)...]
        guard let call = Int(suffix), call >= 1, !name.isEmpty else {
            throw InterpError.invalidParameter(
                "layer '\(trimmed)': write a layer's dotted name, optionally with @k for its k-th call in the forward pass (k = 1, 2, …)")
        }
        self.init(name: name, call: call)
    }

    /// `name`, or `name@k`.
    public var description: String { call.map { "\(name)@\($0)" } ?? name }
}

/// One channel of a feature map, with its statistics.
public struct FeatureMap: Sendable, Equatable {
    /// The channel index in the layer's output.
    public let channel: Int
    /// Row-major `[height, width]` values.
    public let values: [Float]
    /// Rows.
    public let height: Int
    /// Columns.
    public let width: Int
    /// The smallest value.
    public let minimum: Float
    /// The largest value.
    public let maximum: Float
    /// The mean over all `height × width` positions: the statistic ``FeatureMaps/topChannels(_:)``
    /// ranks by.
    public let mean: Float
}

/// The output of one named layer for one input, as a PyTorch forward hook returns it.
///
/// ``values`` is the whole activation tensor in row-major order, of ``shape`` `[N, C, H, W]` for
/// convolutional layers (`[N, C]` for linear ones, whose channels are then 1×1 maps). Channel
/// maps and their statistics are those of the first image in the batch.
public struct FeatureMaps: Sendable {
    /// The layer as asked for (`_relu@1`).
    public let layer: LayerCall
    /// The module, as PyTorch prints it (`Conv2d(3, 32, kernel_size=(3, 3), …)`).
    public let module: String
    /// Which call of the module this output is, from 1.
    public let call: Int
    /// How many times the module runs in one forward pass.
    public let calls: Int
    /// The activation, row-major.
    public let values: [Float]
    /// Its shape.
    public let shape: [Int]

    /// The number of channels (axis 1).
    public var channels: Int { shape.count >= 2 ? shape[1] : 0 }

    /// How captions name the layer: `_relu@1 (call 1 of 2)` for shared modules, else the name.
    public var caption: String {
        calls > 1 ? "\(layer.name)@\(call) (call \(call) of \(calls))" : layer.name
    }

    /// The `(height, width)` of one channel.
    ///
    /// - Throws: ``InterpError/notAFeatureMap(layer:shape:)`` for outputs that are not
    ///   `[N, C, H, W]` or `[N, C]`.
    public func planeSize() throws -> (height: Int, width: Int) {
        switch shape.count {
        case 4: return (shape[2], shape[3])
        case 2: return (1, 1)
        default: throw InterpError.notAFeatureMap(layer: layer.description, shape: shape)
        }
    }

    /// Channel `channel` of the first image, with its minimum, maximum and mean.
    ///
    /// - Throws: ``InterpError/channelOutOfRange(layer:channel:channels:)``,
    ///   ``InterpError/notAFeatureMap(layer:shape:)``.
    public func map(_ channel: Int) throws -> FeatureMap {
        let (height, width) = try planeSize()
        guard (0..<channels).contains(channel) else {
            throw InterpError.channelOutOfRange(layer: layer.description, channel: channel, channels: channels)
        }
        let plane = height * width
        let slice = Array(values[(channel * plane)..<((channel + 1) * plane)])
        var low = Float.infinity, high = -Float.infinity, sum: Double = 0
        for v in slice {
            low = Swift.min(low, v)
            high = Swift.max(high, v)
            sum += Double(v)
        }
        return FeatureMap(
            channel: channel, values: slice, height: height, width: width,
            minimum: low, maximum: high, mean: Float(sum / Double(Swift.max(plane, 1))))
    }

    /// The channels `channels`, in the order given.
    public func maps(_ channels: [Int]) throws -> [FeatureMap] {
        try channels.map(map)
    }

    /// The `count` channels with the highest mean activation over the map (highest first; equal
    /// means keep the lower channel index first).
    ///
    /// `count` larger than the channels gives them all.
    ///
    /// The mean is taken of the layer's output as named: for a convolution or batch norm before
    /// the activation it may be negative, and it ranks by the signed mean, not by magnitude.
    public func topChannels(_ count: Int) throws -> [FeatureMap] {
        let all = try (0..<channels).map(map)
        let ranked = all.sorted { $0.mean != $1.mean ? $0.mean > $1.mean : $0.channel < $1.channel }
        return Array(ranked.prefix(Swift.max(count, 0)))
    }
}

extension Model {
    /// The output of `layer` for `input` (`[N, 3, H, W]`, already preprocessed).
    ///
    /// Runs one forward pass without gradients; the hook records every call of the module and
    /// keeps the one asked for (see ``LayerCall``).
    ///
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)`` with the nearest names;
    ///   ``InterpError/layerCallOutOfRange(layer:call:calls:)`` when `layer@k` asks for a call
    ///   the module does not make.
    public func featureMaps(for input: Tensor, layer: LayerCall) throws -> FeatureMaps {
        let module = try self.layer(named: layer.name)
        var outputs: [Tensor] = []
        _ = try GradMode.withoutGrad {
            try self(input, observing: [layer.name]) { name, output in
                if name == layer.name { outputs.append(output) }
                return output
            }
        }
        let call = layer.call ?? outputs.count
        guard call >= 1, call <= outputs.count else {
            throw InterpError.layerCallOutOfRange(layer: layer.name, call: call, calls: outputs.count)
        }
        let output = outputs[call - 1]
        return FeatureMaps(
            layer: layer, module: module.description, call: call, calls: outputs.count,
            values: try output.scalars, shape: output.shape)
    }
}
