import LoupeModels

extension Architecture {
    /// The layer Grad-CAM uses when none is named: the last feature map before pooling.
    ///
    /// For EfficientNet-Lite, `_relu` at its last run is the head's activation.
    public var defaultCAMLayer: String {
        switch self {
        case .resnet18, .resnet34, .resnet50, .resnet101, .resnet152: "layer4"
        case .efficientnet_lite0, .efficientnet_lite1, .efficientnet_lite2, .efficientnet_lite3, .efficientnet_lite4: "_relu"
        default: "features"
        }
    }
}
