import LoupeImage

/// Every network Loupe can build, by the name users type (`--arch resnet50`), with its
/// parameter names and its preprocessing.
public enum Architecture: String, CaseIterable, Sendable {
    case resnet18, resnet34, resnet50, resnet101, resnet152
    case vgg11, vgg13, vgg16, vgg19
    case vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn
    case alexnet
    case mobilenet_v2
    case efficientnet_lite0, efficientnet_lite1, efficientnet_lite2, efficientnet_lite3, efficientnet_lite4

    /// The architecture called `name` (case-insensitive; `-` and `_` are interchangeable).
    ///
    /// - Throws: ``ModelError/unknownModel(name:suggestions:)`` with the closest names.
    public init(named name: String) throws {
        let normalized = name.lowercased().replacingOccurrences(of: "-", with: "_")
        guard let match = Architecture(rawValue: normalized) else {
            throw ModelError.unknownModel(name: name, suggestions: closestNames(to: normalized, in: Architecture.allCases.map(\.rawValue)))
        }
        self = match
    }

    /// A new network with unloaded parameters.
    public func build(classes: Int = 1000) -> any Module {
        switch self {
        case .resnet18: return ResNet(.resnet18, classes: classes)
        case .resnet34: return ResNet(.resnet34, classes: classes)
        case .resnet50: return ResNet(.resnet50, classes: classes)
        case .resnet101: return ResNet(.resnet101, classes: classes)
        case .resnet152: return ResNet(.resnet152, classes: classes)
        case .vgg11, .vgg11_bn: return VGG(.vgg11, batchNorm: self == .vgg11_bn, classes: classes)
        case .vgg13, .vgg13_bn: return VGG(.vgg13, batchNorm: self == .vgg13_bn, classes: classes)
        case .vgg16, .vgg16_bn: return VGG(.vgg16, batchNorm: self == .vgg16_bn, classes: classes)
        case .vgg19, .vgg19_bn: return VGG(.vgg19, batchNorm: self == .vgg19_bn, classes: classes)
        case .alexnet: return AlexNet(classes: classes)
        case .mobilenet_v2: return MobileNetV2(classes: classes)
        case .efficientnet_lite0: return EfficientNetLite(.lite0, classes: classes)
        case .efficientnet_lite1: return EfficientNetLite(.lite1, classes: classes)
        case .efficientnet_lite2: return EfficientNetLite(.lite2, classes: classes)
        case .efficientnet_lite3: return EfficientNetLite(.lite3, classes: classes)
        case .efficientnet_lite4: return EfficientNetLite(.lite4, classes: classes)
        }
    }

    /// How images are turned into this network's input.
    ///
    /// torchvision's networks use ImageNet's resize-256, crop-224 and mean/std. EfficientNet-Lite
    /// was trained in TensorFlow on `(x − 127) / 128`, i.e. mean 0.498 and std 0.502, at its own
    /// resolution; it is resized to resolution / 0.875 and centre-cropped the same way.
    public var preprocessing: Preprocessing {
        switch self {
        case .efficientnet_lite0, .efficientnet_lite1, .efficientnet_lite2, .efficientnet_lite3, .efficientnet_lite4:
            let size = EfficientNetLite.Variant(rawValue: Int(String(rawValue.suffix(1))) ?? 0)?.scaling.resolution ?? 224
            return Preprocessing(
                size: size, resize: .shorterSideThenCenterCrop(resize: Int((Double(size) / 0.875).rounded())),
                mean: [0.498, 0.498, 0.498], std: [0.502, 0.502, 0.502])
        default:
            return .imagenet
        }
    }

    /// A one-line description for `loupe models list`.
    public var summary: String {
        switch self {
        case .resnet18, .resnet34, .resnet50, .resnet101, .resnet152: return "torchvision ResNet"
        case .vgg11, .vgg13, .vgg16, .vgg19: return "torchvision VGG"
        case .vgg11_bn, .vgg13_bn, .vgg16_bn, .vgg19_bn: return "torchvision VGG with batch norm"
        case .alexnet: return "torchvision AlexNet"
        case .mobilenet_v2: return "torchvision MobileNetV2"
        default: return "EfficientNet-Lite (lukemelas parameter names, TensorFlow SAME padding)"
        }
    }
}
