import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// The weights of one convolution as small pictures (tiles): what the lecture plots for
/// `model.conv1.weight`.
///
/// A convolution's weight is `[out, in / groups, kH, kW]`. Which tiles it gives (``Layout``):
///
/// - **RGB**: a convolution whose filters see 3 input channels (the first layer) gives one RGB
///   tile per filter, `[kH, kW, 3]` with red, green and blue the input channels 0, 1, 2 (the
///   lecture's `weight.permute(0, 2, 3, 1)`), titled "Filter 58".
/// - **One per filter**: a convolution whose filters see 1 input channel (a depthwise
///   convolution such as Lite0's `_blocks.N._depthwise_conv`) gives one grey tile per filter.
/// - **One per input channel**: any other convolution (or an RGB one when input channels are
///   asked for) gives, for each chosen filter, one grey tile per chosen input channel, titled
///   "filter 5, input 12". For a grouped convolution, input `i` is the `i`-th channel of the
///   filter's group.
///
/// Tile values are scaled into `0…1` before display (``Scale``) and kept at the kernel's own
/// size; ``Tile/upscaled(by:)`` enlarges them by nearest neighbour.
public struct FilterGrid: Sendable {
    /// How weights become tile values in `0…1`.
    public enum Scale: String, Sendable, CaseIterable {
        /// Each filter on its own scale: `(w − min) / (max − min + 1e-8)` with the minimum and
        /// maximum over that filter's whole weight `[in / groups, kH, kW]` (the lecture's
        /// `(f - f.min()) / (f.max() - f.min() + 1e-8)`). Tiles of one filter share its scale.
        case filter
        /// One scale for the whole layer, symmetric around grey: `w / (2 m) + 0.5` with
        /// `m = max |w|` over every weight of the layer (not only the filters shown), so 0 is
        /// mid-grey, `−m` black and `+m` white, and pictures of different filters of the same
        /// layer compare directly.
        case shared
    }

    /// Which tiles the layer gives (see the type's discussion).
    public enum Layout: String, Sendable {
        /// One RGB tile per filter.
        case rgb
        /// One grey tile per filter (filters that see one input channel).
        case perFilter
        /// One grey tile per chosen filter and input channel.
        case perInputChannel
    }

    /// One filter (or one input channel of one filter) as a picture.
    public struct Tile: Sendable, Equatable {
        /// The filter (output channel).
        public let filter: Int
        /// The input channel, for ``Layout/perInputChannel`` tiles.
        public let inputChannel: Int?
        /// "Filter 58", or "filter 5, input 12".
        public let title: String
        /// Rows (the kernel height).
        public let height: Int
        /// Columns (the kernel width).
        public let width: Int
        /// 3 for RGB tiles, 1 for grey ones.
        public let channels: Int
        /// Scaled values in `0…1`, row-major `[height, width, channels]`.
        public let values: [Float]

        /// The tile enlarged `factor` times by nearest neighbour: row-major
        /// `[height · factor, width · factor, channels]`.
        public func upscaled(by factor: Int) -> [Float] {
            let factor = Swift.max(factor, 1)
            let outWidth = width * factor
            var out = [Float](repeating: 0, count: height * factor * outWidth * channels)
            for y in 0..<(height * factor) {
                for x in 0..<outWidth {
                    let source = ((y / factor) * width + x / factor) * channels
                    let target = (y * outWidth + x) * channels
                    for c in 0..<channels { out[target + c] = values[source + c] }
                }
            }
            return out
        }

        /// The tile as an 8-bit picture enlarged `factor` times: RGB tiles as they are, grey
        /// tiles as grey (value 0 black, 1 white).
        ///
        /// - Throws: ``LoupeImage/ImageError`` when the size is unusable.
        public func image(upscaledBy factor: Int) throws -> RGBImage {
            let factor = Swift.max(factor, 1)
            let values = upscaled(by: factor)
            let bytes = values.map { UInt8((Swift.min(Swift.max($0, 0), 1) * 255).rounded()) }
            let pixels = channels == 3 ? bytes : bytes.flatMap { [$0, $0, $0] }
            return try RGBImage(width: width * factor, height: height * factor, pixels: pixels)
        }
    }

    /// The layer's dotted name.
    public let layer: String
    /// The module, as PyTorch prints it.
    public let module: String
    /// The weight's shape, `[out, in / groups, kH, kW]`.
    public let weightShape: [Int]
    /// The convolution's groups.
    public let groups: Int
    /// How tiles were laid out.
    public let layout: Layout
    /// How weights were scaled.
    public let scale: Scale
    /// `max |w|` over the layer (the ``Scale/shared`` bound).
    public let largestMagnitude: Float
    /// The tiles, filter by filter (and input channel by input channel within a filter).
    public let tiles: [Tile]

    /// The number of filters the layer has.
    public var filterCount: Int { weightShape[0] }
    /// How many input channels each filter sees.
    public var inputChannelsPerFilter: Int { weightShape[1] }

    /// How the caption names the scaling.
    public var scaleDescription: String {
        switch scale {
        case .filter: "each filter min–max scaled to 0…1"
        case .shared:
            "one scale for the layer, −\(formatted(largestMagnitude))…\(formatted(largestMagnitude)) (±max|w|) with 0 in the middle"
        }
    }

    /// Builds the tiles of the convolution `layer` of `model`.
    ///
    /// - Parameters:
    ///   - model: The model, with its weights loaded.
    ///   - layer: The convolution's dotted name.
    ///   - filters: The filters to show; `nil` for every filter (``Layout/perFilter``,
    ///     ``Layout/rgb``) or filter 0 (``Layout/perInputChannel``).
    ///   - inputChannels: For ``Layout/perInputChannel``, the input channels to show; `nil` for
    ///     all. Giving them for a 3-channel convolution shows its channels as grey tiles instead of
    ///     RGB. Ignored when filters see one input channel.
    ///   - scale: How weights become `0…1`.
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)``,
    ///   ``InterpError/notAConvolution(layer:module:suggestions:)``,
    ///   ``InterpError/filterOutOfRange(layer:filter:filters:)``,
    ///   ``InterpError/inputChannelOutOfRange(layer:channel:channels:)``, or a missing-weights
    ///   error before the model is loaded.
    public init(model: Model, layer: String, filters: [Int]? = nil, inputChannels: [Int]? = nil, scale: Scale = .filter) throws {
        let conv = try model.convolution(named: layer)
        let weight = try conv.weight.tensor
        let shape = weight.shape
        let values = try weight.scalars
        let (outCount, inCount, kh, kw) = (shape[0], shape[1], shape[2], shape[3])
        let layout: Layout = inCount == 1 ? .perFilter : (inCount == 3 && inputChannels == nil ? .rgb : .perInputChannel)
        let chosenFilters = filters ?? (layout == .perInputChannel ? [0] : Array(0..<outCount))
        for f in chosenFilters where !(0..<outCount).contains(f) {
            throw InterpError.filterOutOfRange(layer: layer, filter: f, filters: outCount)
        }
        let chosenInputs = layout == .perInputChannel ? (inputChannels ?? Array(0..<inCount)) : []
        for i in chosenInputs where !(0..<inCount).contains(i) {
            throw InterpError.inputChannelOutOfRange(layer: layer, channel: i, channels: inCount)
        }

        let bound = values.reduce(Float(0)) { Swift.max($0, Swift.abs($1)) }
        let filterSize = inCount * kh * kw
        let plane = kh * kw
        var tiles: [Tile] = []
        for f in chosenFilters {
            let filter = values[(f * filterSize)..<((f + 1) * filterSize)]
            let low = filter.min() ?? 0, high = filter.max() ?? 0
            let scaled: (Float) -> Float =
                scale == .filter
                ? { ($0 - low) / (high - low + 1e-8) }
                : { bound > 0 ? $0 / (2 * bound) + 0.5 : 0.5 }
            let base = f * filterSize
            switch layout {
            case .rgb:
                // [3, kH, kW] → [kH, kW, 3].
                var rgb = [Float](repeating: 0, count: 3 * plane)
                for c in 0..<3 {
                    for p in 0..<plane { rgb[p * 3 + c] = scaled(values[base + c * plane + p]) }
                }
                tiles.append(Tile(filter: f, inputChannel: nil, title: "Filter \(f)", height: kh, width: kw, channels: 3, values: rgb))
            case .perFilter:
                let grey = values[base..<(base + plane)].map(scaled)
                tiles.append(Tile(filter: f, inputChannel: nil, title: "Filter \(f)", height: kh, width: kw, channels: 1, values: grey))
            case .perInputChannel:
                for i in chosenInputs {
                    let start = base + i * plane
                    let grey = values[start..<(start + plane)].map(scaled)
                    tiles.append(
                        Tile(
                            filter: f, inputChannel: i, title: "filter \(f), input \(i)", height: kh, width: kw,
                            channels: 1, values: grey))
                }
            }
        }
        self.layer = layer
        self.module = conv.description
        self.weightShape = shape
        self.groups = conv.groups
        self.layout = layout
        self.scale = scale
        self.largestMagnitude = bound
        self.tiles = tiles
    }

    private func formatted(_ value: Float) -> String {
        String(format: "%.3g", Double(value))
    }
}

extension Model {
    /// The dotted names of every convolution, in forward order.
    public var convolutionNames: [String] {
        network.namedModules.filter { $0.module is Conv2d }.map(\.name)
    }

    /// The convolution called `name`.
    ///
    /// - Throws: ``ModelError/unknownLayer(model:name:suggestions:)`` for a name the model does
    ///   not have; ``InterpError/notAConvolution(layer:module:suggestions:)`` naming the closest
    ///   convolutions for any other layer.
    public func convolution(named name: String) throws -> Conv2d {
        let module = try layer(named: name)
        guard let conv = module as? Conv2d else {
            let convolutions = convolutionNames
            var suggestions = closestNames(to: name, in: convolutions)
            if suggestions.isEmpty { suggestions = Array(convolutions.prefix(3)) }
            throw InterpError.notAConvolution(layer: name, module: module.description, suggestions: suggestions)
        }
        return conv
    }
}
