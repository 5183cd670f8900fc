import LoupeTensor

/// torchvision's VGG with and without batch norm: `features` (convolutions, ReLUs and max
/// pools, keyed by position), `avgpool` (adaptive, 7×7) and `classifier`.
public final class VGG: Module {
    /// VGG-11, 13, 16 or 19 (torchvision's configurations A, B, D and E): the raw value counts the weight layers.
    public enum Configuration: Int, CaseIterable, Sendable {
        case vgg11 = 11, vgg13 = 13, vgg16 = 16, vgg19 = 19

        /// Output channels per convolution; 0 is a max pool.
        var layers: [Int] {
            switch self {
            case .vgg11: return [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
            case .vgg13: return [64, 64, 0, 128, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]
            case .vgg16: return [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0]
            case .vgg19: return [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0]
            }
        }
    }

    /// The configuration the network was built as.
    public let configuration: Configuration
    /// Whether a batch norm follows every convolution (torchvision's `vgg16_bn` and the like).
    public let batchNorm: Bool
    let features: Sequential
    let avgpool = AdaptiveAvgPool2d((7, 7))
    let classifier: Sequential

    /// VGG of `configuration`, with batch norm when `batchNorm`, and `classes` outputs; parameters not yet loaded.
    public init(_ configuration: Configuration, batchNorm: Bool, classes: Int = 1000) {
        self.configuration = configuration
        self.batchNorm = batchNorm
        var layers: [any Module] = []
        var channels = 3
        for width in configuration.layers {
            if width == 0 {
                layers.append(MaxPool2d(kernelSize: 2, stride: 2))
            } else {
                layers.append(Conv2d(channels, width, kernelSize: 3, padding: 1))
                if batchNorm { layers.append(BatchNorm2d(width)) }
                layers.append(ReLU())
                channels = width
            }
        }
        features = Sequential(layers)
        classifier = Sequential([
            Linear(512 * 7 * 7, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(), Dropout(), Linear(4096, classes),
        ])
    }

    /// `features`, `avgpool` and `classifier`.
    public var children: [(key: String, module: any Module)] {
        [("features", features), ("avgpool", avgpool), ("classifier", classifier)]
    }

    /// Normalised images `[N, 3, H, W]` to logits `[N, classes]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("avgpool", avgpool, context("features", features, input)).flattened(from: 1)
        return try context("classifier", classifier, x)
    }

    /// The architecture's name, as `VGG-16`, or `VGG-16-BN` with batch norm.
    public var description: String { "VGG-\(configuration.rawValue)\(batchNorm ? "-BN" : "")" }
}

/// torchvision's AlexNet: `features`, `avgpool` (adaptive, 6×6) and `classifier`.
public final class AlexNet: Module {
    let features = Sequential([
        Conv2d(3, 64, kernelSize: 11, stride: 4, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
        Conv2d(64, 192, kernelSize: 5, padding: 2), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
        Conv2d(192, 384, kernelSize: 3, padding: 1), ReLU(),
        Conv2d(384, 256, kernelSize: 3, padding: 1), ReLU(),
        Conv2d(256, 256, kernelSize: 3, padding: 1), ReLU(), MaxPool2d(kernelSize: 3, stride: 2),
    ])
    let avgpool = AdaptiveAvgPool2d((6, 6))
    let classifier: Sequential

    /// AlexNet with `classes` outputs, its parameters not yet loaded.
    public init(classes: Int = 1000) {
        classifier = Sequential([
            Dropout(), Linear(256 * 6 * 6, 4096), ReLU(), Dropout(), Linear(4096, 4096), ReLU(), Linear(4096, classes),
        ])
    }

    /// `features`, `avgpool` and `classifier`.
    public var children: [(key: String, module: any Module)] {
        [("features", features), ("avgpool", avgpool), ("classifier", classifier)]
    }

    /// Normalised images `[N, 3, H, W]` to logits `[N, classes]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let x = try context("avgpool", avgpool, context("features", features, input)).flattened(from: 1)
        return try context("classifier", classifier, x)
    }

    /// The architecture's name, `AlexNet`.
    public var description: String { "AlexNet" }
}
