import Foundation
import LoupeTensor

/// EfficientNet-Lite0…4 with the lukemelas names the PyPI weight packages use: `_conv_stem`,
/// `_bn0`, `_blocks.N` (`_expand_conv`, `_bn0`, `_depthwise_conv`, `_bn1`, `_project_conv`,
/// `_bn2`), `_conv_head`, `_bn1`, `_fc`.
///
/// The Lite variants drop squeeze-and-excitation, use ReLU6, keep the stem (32) and head (1280)
/// fixed, and do not repeat the first and last stages when scaling depth. The weights come from
/// TensorFlow, so convolutions pad TensorFlow's "SAME" way (asymmetric at stride 2) and batch
/// norm uses eps = 1e-3, as timm's `tf_efficientnet_lite*` do.
public final class EfficientNetLite: Module {
    /// Lite0…Lite4: the raw value is the number in the name; larger variants scale width, depth and input resolution up.
    public enum Variant: Int, CaseIterable, Sendable {
        case lite0, lite1, lite2, lite3, lite4

        /// (width multiplier, depth multiplier, input resolution).
        var scaling: (width: Double, depth: Double, resolution: Int) {
            switch self {
            case .lite0: return (1.0, 1.0, 224)
            case .lite1: return (1.0, 1.1, 240)
            case .lite2: return (1.1, 1.2, 260)
            case .lite3: return (1.2, 1.4, 280)
            case .lite4: return (1.4, 1.8, 300)
            }
        }
    }

    /// The variant the network was built as.
    public let variant: Variant
    let convStem: Conv2d
    let bn0: BatchNorm2d
    let blocks: Sequential
    let convHead: Conv2d
    let bn1: BatchNorm2d
    let relu = ReLU6()
    let dropout = Dropout(0.2)
    let fc: Linear

    /// EfficientNet-Lite `variant` with `classes` outputs, its parameters not yet loaded.
    public init(_ variant: Variant, classes: Int = 1000) {
        self.variant = variant
        let (width, depth, _) = variant.scaling
        // (repeats, kernel, stride, expansion, input, output) of EfficientNet-B0.
        let stages = [
            (1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40), (3, 3, 2, 6, 40, 80),
            (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192), (1, 3, 1, 6, 192, 320),
        ]
        convStem = Conv2d(3, 32, kernelSize: 3, stride: 2, padding: .same, bias: false)
        bn0 = BatchNorm2d(32, epsilon: 1e-3)
        var layers: [any Module] = []
        for (index, stage) in stages.enumerated() {
            let (repeats, kernel, stride, expansion, input, output) = stage
            let fixed = index == 0 || index == stages.count - 1
            let count = fixed ? repeats : Int((depth * Double(repeats)).rounded(.up))
            let inputChannels = index == 0 ? input : Self.roundFilters(input, width)
            let outputChannels = Self.roundFilters(output, width)
            for block in 0..<count {
                layers.append(
                    MBConvBlock(
                        block == 0 ? inputChannels : outputChannels, outputChannels, kernelSize: kernel,
                        stride: block == 0 ? stride : 1, expansion: expansion))
            }
        }
        blocks = Sequential(layers)
        let last = Self.roundFilters(320, width)
        convHead = Conv2d(last, 1280, kernelSize: 1, padding: .same, bias: false)
        bn1 = BatchNorm2d(1280, epsilon: 1e-3)
        fc = Linear(1280, classes)
    }

    /// Channels scaled by `width` and rounded to a multiple of 8, never more than 10% down.
    static func roundFilters(_ filters: Int, _ width: Double) -> Int {
        guard width != 1 else { return filters }
        let scaled = Double(filters) * width
        var rounded = max(8, Int(scaled + 4) / 8 * 8)
        if Double(rounded) < 0.9 * scaled { rounded += 8 }
        return rounded
    }

    /// `_conv_stem`, `_bn0`, `_relu`, `_blocks`, `_conv_head`, `_bn1`, `_dropout` and `_fc`.
    public var children: [(key: String, module: any Module)] {
        [
            ("_conv_stem", convStem), ("_bn0", bn0), ("_relu", relu), ("_blocks", blocks),
            ("_conv_head", convHead), ("_bn1", bn1), ("_dropout", dropout), ("_fc", fc),
        ]
    }

    /// Normalised images `[N, 3, H, W]` to logits `[N, classes]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = try context.convolution("_conv_stem", convStem, norm: ("_bn0", bn0), activation: ("_relu", relu), input)
        x = try context("_blocks", blocks, x)
        x = try context.convolution("_conv_head", convHead, norm: ("_bn1", bn1), activation: ("_relu", relu), x)
        x = try x.adaptiveAvgPool2d(outputSize: (1, 1)).flattened(from: 1)
        return try context("_fc", fc, context("_dropout", dropout, x))
    }

    /// The architecture's name, as `EfficientNet-Lite0`.
    public var description: String { "EfficientNet-Lite\(variant.rawValue)" }
}

/// The mobile inverted bottleneck of EfficientNet-Lite (no squeeze-and-excitation).
final class MBConvBlock: Module {
    let expandConv: Conv2d?
    let bn0: BatchNorm2d?
    let depthwiseConv: Conv2d
    let bn1: BatchNorm2d
    let projectConv: Conv2d
    let bn2: BatchNorm2d
    let relu = ReLU6()
    let skip: Bool

    init(_ input: Int, _ output: Int, kernelSize: Int, stride: Int, expansion: Int) {
        let hidden = input * expansion
        if expansion != 1 {
            expandConv = Conv2d(input, hidden, kernelSize: 1, padding: .same, bias: false)
            bn0 = BatchNorm2d(hidden, epsilon: 1e-3)
        } else {
            (expandConv, bn0) = (nil, nil)
        }
        depthwiseConv = Conv2d(hidden, hidden, kernelSize: kernelSize, stride: stride, padding: .same, groups: hidden, bias: false)
        bn1 = BatchNorm2d(hidden, epsilon: 1e-3)
        projectConv = Conv2d(hidden, output, kernelSize: 1, padding: .same, bias: false)
        bn2 = BatchNorm2d(output, epsilon: 1e-3)
        skip = stride == 1 && input == output
    }

    var children: [(key: String, module: any Module)] {
        var list: [(key: String, module: any Module)] = []
        if let expandConv, let bn0 { list += [("_expand_conv", expandConv), ("_bn0", bn0)] }
        return list + [("_depthwise_conv", depthwiseConv), ("_bn1", bn1), ("_project_conv", projectConv), ("_bn2", bn2), ("_relu", relu)]
    }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = input
        if let expandConv, let bn0 {
            x = try context.convolution("_expand_conv", expandConv, norm: ("_bn0", bn0), activation: ("_relu", relu), x)
        }
        x = try context.convolution("_depthwise_conv", depthwiseConv, norm: ("_bn1", bn1), activation: ("_relu", relu), x)
        x = try context.convolution("_project_conv", projectConv, norm: ("_bn2", bn2), x)
        return skip ? try x + input : x
    }

    var description: String { "MBConvBlock" }
}
