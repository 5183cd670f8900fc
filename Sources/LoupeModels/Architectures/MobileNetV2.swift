import LoupeTensor

/// Convolution, batch norm and ReLU6 as one `Sequential` (torchvision's `Conv2dNormActivation`).
func convBNReLU6(_ input: Int, _ output: Int, kernelSize: Int, stride: Int = 1, groups: Int = 1) -> Sequential {
    Sequential([
        Conv2d(input, output, kernelSize: kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
        BatchNorm2d(output), ReLU6(),
    ])
}

/// torchvision's MobileNetV2 (width 1.0): `features.0`…`features.18` and `classifier`.
public final class MobileNetV2: Module {
    let features: Sequential
    let classifier: Sequential

    /// MobileNetV2 with `classes` outputs, its parameters not yet loaded.
    public init(classes: Int = 1000) {
        // (expansion, output channels, repeats, stride) per stage.
        let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        var layers: [any Module] = [convBNReLU6(3, 32, kernelSize: 3, stride: 2)]
        var channels = 32
        for (expansion, output, repeats, stride) in settings {
            for index in 0..<repeats {
                layers.append(InvertedResidual(channels, output, stride: index == 0 ? stride : 1, expansion: expansion))
                channels = output
            }
        }
        layers.append(convBNReLU6(channels, 1280, kernelSize: 1))
        features = Sequential(layers)
        classifier = Sequential([Dropout(0.2), Linear(1280, classes)])
    }

    /// `features` and `classifier`.
    public var children: [(key: String, module: any Module)] { [("features", features), ("classifier", classifier)] }

    /// Normalised images `[N, 3, H, W]` to logits `[N, classes]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("features", features, input).adaptiveAvgPool2d(outputSize: (1, 1)).flattened(from: 1)
        return try context("classifier", classifier, x)
    }

    /// The architecture's name, `MobileNetV2`.
    public var description: String { "MobileNetV2" }
}

/// MobileNetV2's block: 1×1 expansion (unless the expansion is 1), depthwise 3×3, 1×1
/// projection, and a shortcut when the shape is kept.
///
/// Its layers are `conv.0`, `conv.1`, ….
final class InvertedResidual: Module {
    let conv: Sequential
    let residual: Bool

    init(_ input: Int, _ output: Int, stride: Int, expansion: Int) {
        let hidden = input * expansion
        var layers: [any Module] = expansion == 1 ? [] : [convBNReLU6(input, hidden, kernelSize: 1)]
        layers.append(convBNReLU6(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden))
        layers.append(Conv2d(hidden, output, kernelSize: 1, bias: false))
        layers.append(BatchNorm2d(output))
        conv = Sequential(layers)
        residual = stride == 1 && input == output
    }

    var children: [(key: String, module: any Module)] { [("conv", conv)] }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("conv", conv, input)
        return residual ? try input + x : x
    }

    var description: String { "InvertedResidual" }
}
