import LoupeImage
import LoupeModels
import LoupeTensor

/// The input pixels that one position of a layer's output depends on: the theoretical receptive
/// field, from the kernels, strides, paddings and dilations of the convolutions and poolings
/// between the input and the layer.
///
/// Along each axis the field of output position `i` covers the input pixels
/// `origin + i · stride … origin + i · stride + size − 1` (``Axis/span(of:)``). It is computed
/// with the usual recurrence over the layers in order, for a layer of kernel `k`, stride `s`,
/// padding `p` before the first pixel and dilation `d`:
///
/// ```
/// size   += (d · (k − 1)) · jump      origin −= p · jump      jump *= s
/// ```
///
/// TensorFlow "SAME" padding (EfficientNet-Lite) is resolved for the actual input size, so its
/// asymmetric split at stride 2 is exact. Residual blocks contribute their main path (the
/// shortcut and torchvision's `downsample` branch see a subset of it). A layer that runs more
/// than once in a pass (EfficientNet-Lite's shared `_relu`) is taken at its last run, as
/// ``LoupeModels/Model/forward(_:capturing:)`` captures it. Known values: ResNet-18 `conv1` is
/// 7 px at stride 2, `maxpool` 11 px at stride 4, `layer4` 435 px at stride 32; Lite0's
/// `_conv_stem` is 3 px at stride 2.
///
/// The field is the region that *can* affect the position; how strongly each pixel does is
/// what gradient-based attribution measures.
public struct ReceptiveField: Sendable, Equatable {
    /// The field along one axis.
    public struct Axis: Sendable, Equatable {
        /// Input pixels one output position sees: the field's side.
        public var size: Int
        /// Input pixels between neighbouring output positions: the product of the strides.
        public var stride: Int
        /// The first input pixel output position 0 sees; negative when the field starts in the
        /// padding.
        public var origin: Int

        /// The field of an output position before anything has run: the pixel itself.
        public static let identity = Axis(size: 1, stride: 1, origin: 0)

        /// The input pixels output position `index` sees, not clipped to the input.
        public func span(of index: Int) -> ClosedRange<Int> {
            let first = origin + index * stride
            return first...(first + size - 1)
        }

        /// The field after a layer with this kernel, stride, padding before the first pixel,
        /// and dilation.
        func followed(kernel: Int, stride layerStride: Int, padding: Int, dilation: Int = 1) -> Axis {
            Axis(size: size + dilation * (kernel - 1) * stride, stride: stride * layerStride, origin: origin - padding * stride)
        }
    }

    /// The layer's dotted name.
    public let layer: String
    /// The field along the height.
    public let vertical: Axis
    /// The field along the width.
    public let horizontal: Axis
    /// The input size the field was computed for (height, width).
    public let inputSize: PixelSize
    /// The layer's output shape for one input, `[1, C, h, w]`.
    public let outputShape: [Int]

    /// A field from its parts.
    public init(layer: String, vertical: Axis, horizontal: Axis, inputSize: PixelSize, outputShape: [Int]) {
        self.layer = layer
        self.vertical = vertical
        self.horizontal = horizontal
        self.inputSize = inputSize
        self.outputShape = outputShape
    }

    /// The channels of the layer's output.
    public var channels: Int { outputShape.count > 1 ? outputShape[1] : 0 }

    /// The input pixels output position (`row`, `column`) sees, clipped to the input; the
    /// unclipped field is ``Axis/span(of:)`` of ``vertical`` and ``horizontal``.
    public func region(row: Int, column: Int) -> PixelRegion {
        func clip(_ span: ClosedRange<Int>, _ limit: Int) -> (Int, Int) {
            let first = Swift.max(span.lowerBound, 0), last = Swift.min(span.upperBound, limit - 1)
            return (first, Swift.max(last - first + 1, 0))
        }
        let (top, height) = clip(vertical.span(of: row), inputSize.height)
        let (left, width) = clip(horizontal.span(of: column), inputSize.width)
        return PixelRegion(top: top, left: left, height: height, width: width)
    }
}

/// A height and width in pixels.
public struct PixelSize: Sendable, Equatable, CustomStringConvertible {
    /// Rows.
    public var height: Int
    /// Columns.
    public var width: Int

    /// A size of `height` rows and `width` columns.
    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }

    /// Width by height, as `224×224`.
    public var description: String { "\(width)×\(height)" }
}

extension ReceptiveField {
    /// The theoretical receptive field of `layer` in `model` for its preprocessing's input size,
    /// or for `inputSize`.
    ///
    /// The layers' order and sizes come from one forward pass of a zero image without gradients
    /// (so the model's weights must be loaded); their geometry comes from the modules
    /// themselves. Leaves that keep the spatial size (batch norm, activations, dropout) leave
    /// the field unchanged.
    ///
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)`` with the
    ///   nearest names; ``InterpError/notAFeatureMap(layer:shape:)`` when the layer's output is
    ///   not `[1, C, h, w]`; ``InterpError/invalidParameter(_:)`` for a module on the path whose
    ///   geometry Loupe does not know.
    public init(layer: String, in model: Model, inputSize: PixelSize? = nil) throws {
        _ = try model.layer(named: layer)
        let size = inputSize ?? PixelSize(height: model.preprocessing.size, width: model.preprocessing.size)
        guard size.height > 0, size.width > 0 else {
            throw InterpError.invalidParameter("the receptive field needs a positive input size, got \(size)")
        }
        var events: [(name: String, shape: [Int])] = []
        let probe = try Tensor.zeros([1, 3, size.height, size.width])
        _ = try GradMode.withoutGrad {
            try model(probe) { name, output in
                events.append((name, output.shape))
                return output
            }
        }
        guard let last = events.lastIndex(where: { $0.name == layer }) else {
            throw InterpError.invalidParameter("layer '\(layer)' of \(model.name) did not run in a forward pass")
        }
        let outputShape = events[last].shape
        guard outputShape.count == 4 else { throw InterpError.notAFeatureMap(layer: layer, shape: outputShape) }

        let modules = Dictionary(model.network.namedModules.map { ($0.name, $0.module) }, uniquingKeysWith: { first, _ in first })
        var vertical = Axis.identity, horizontal = Axis.identity
        var current = size
        for event in events[...last] {
            guard let module = modules[event.name], module.children.isEmpty, Self.isOnPath(event.name, to: layer) else { continue }
            guard event.shape.count == 4 else {
                // Flattened: every later value depends on the whole input.
                vertical = Axis(size: size.height, stride: size.height, origin: 0)
                horizontal = Axis(size: size.width, stride: size.width, origin: 0)
                continue
            }
            let next = PixelSize(height: event.shape[2], width: event.shape[3])
            switch module {
            case let conv as Conv2d:
                let padding: Padding2D
                switch conv.padding {
                case let .explicit(p): padding = p
                case .same:
                    padding = .same(
                        inputHeight: current.height, inputWidth: current.width, kernel: conv.kernelSize,
                        stride: conv.stride, dilation: conv.dilation)
                }
                vertical = vertical.followed(
                    kernel: conv.kernelSize.0, stride: conv.stride.0, padding: padding.top, dilation: conv.dilation.0)
                horizontal = horizontal.followed(
                    kernel: conv.kernelSize.1, stride: conv.stride.1, padding: padding.left, dilation: conv.dilation.1)
            case let pool as MaxPool2d:
                vertical = vertical.followed(kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding)
                horizontal = horizontal.followed(kernel: pool.kernelSize, stride: pool.stride, padding: pool.padding)
            case let pool as AvgPool2d:
                vertical = vertical.followed(kernel: pool.kernelSize, stride: pool.stride, padding: 0)
                horizontal = horizontal.followed(kernel: pool.kernelSize, stride: pool.stride, padding: 0)
            case is AdaptiveAvgPool2d:
                guard current.height % next.height == 0, current.width % next.width == 0 else {
                    throw InterpError.invalidParameter(
                        "the receptive field of '\(layer)' passes '\(event.name)', an adaptive pooling from \(current) to \(next) "
                            + "with uneven windows, whose field Loupe does not compute")
                }
                let (kh, kw) = (current.height / next.height, current.width / next.width)
                vertical = vertical.followed(kernel: kh, stride: kh, padding: 0)
                horizontal = horizontal.followed(kernel: kw, stride: kw, padding: 0)
            default:
                guard next == current else {
                    throw InterpError.invalidParameter(
                        "the receptive field of '\(layer)' passes '\(event.name)' (\(module)), which changes the size from "
                            + "\(current) to \(next) and whose geometry Loupe does not know")
                }
            }
            current = next
        }
        self.init(layer: layer, vertical: vertical, horizontal: horizontal, inputSize: size, outputShape: outputShape)
    }

    /// Whether the module `name` lies on the path to `layer`: not on a residual block's shortcut
    /// (torchvision's `downsample`, which sees less of the input than the main path it is added
    /// to), unless `layer` is on that shortcut, whose block's main path is then left out.
    static func isOnPath(_ name: String, to layer: String) -> Bool {
        let components = name.split(separator: ".")
        let target = layer.split(separator: ".")
        if let index = target.firstIndex(of: "downsample") {
            let block = target[..<index]
            if components.starts(with: block) { return components.starts(with: target[...index]) }
        }
        return !components.contains("downsample")
    }
}
