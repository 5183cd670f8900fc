import LoupeTensor

/// torchvision's ResNet (v1.5: the stride sits on the 3×3 convolution of a bottleneck), with
/// torchvision's module names: `conv1`, `bn1`, `relu`, `maxpool`, `layer1`…`layer4`, `avgpool`, `fc`.
public final class ResNet: Module {
    /// Block type and blocks per stage of each depth.
    public enum Depth: Int, CaseIterable, Sendable {
        case resnet18 = 18, resnet34 = 34, resnet50 = 50, resnet101 = 101, resnet152 = 152

        var blocks: [Int] {
            switch self {
            case .resnet18: return [2, 2, 2, 2]
            case .resnet34, .resnet50: return [3, 4, 6, 3]
            case .resnet101: return [3, 4, 23, 3]
            case .resnet152: return [3, 8, 36, 3]
            }
        }

        var bottleneck: Bool { rawValue >= 50 }
    }

    /// The depth the network was built as.
    public let depth: Depth
    let conv1 = Conv2d(3, 64, kernelSize: 7, stride: 2, padding: 3, bias: false)
    let bn1 = BatchNorm2d(64)
    let relu = ReLU()
    let maxpool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
    let layers: [Sequential]
    let avgpool = AdaptiveAvgPool2d((1, 1))
    let fc: Linear

    /// ResNet of `depth` with `classes` outputs, its parameters not yet loaded.
    public init(_ depth: Depth, classes: Int = 1000) {
        self.depth = depth
        let expansion = depth.bottleneck ? 4 : 1
        var channels = 64
        var layers: [Sequential] = []
        for (stage, count) in depth.blocks.enumerated() {
            let width = 64 << stage
            var blocks: [any Module] = []
            for index in 0..<count {
                let stride = index == 0 && stage > 0 ? 2 : 1
                let downsample = index == 0 && (stride != 1 || channels != width * expansion)
                blocks.append(
                    depth.bottleneck
                        ? Bottleneck(channels, width, stride: stride, downsample: downsample)
                        : BasicBlock(channels, width, stride: stride, downsample: downsample))
                channels = width * expansion
            }
            layers.append(Sequential(blocks))
        }
        self.layers = layers
        fc = Linear(512 * expansion, classes)
    }

    /// `conv1`, `bn1`, `relu`, `maxpool`, `layer1`…`layer4`, `avgpool` and `fc`.
    public var children: [(key: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("maxpool", maxpool)]
            + layers.enumerated().map { ("layer\($0.offset + 1)", $0.element) }
            + [("avgpool", avgpool), ("fc", fc)]
    }

    /// Normalised images `[N, 3, H, W]` to logits `[N, classes]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = try context.convolution("conv1", conv1, norm: ("bn1", bn1), activation: ("relu", relu), input)
        x = try context("maxpool", maxpool, x)
        for (index, layer) in layers.enumerated() { x = try context("layer\(index + 1)", layer, x) }
        x = try context("avgpool", avgpool, x).flattened(from: 1)
        return try context("fc", fc, x)
    }

    /// The architecture's name, as `ResNet-50`.
    public var description: String { "ResNet-\(depth.rawValue)" }
}

/// The 1×1 convolution and batch norm that match a residual's shape (`downsample.0`, `downsample.1`).
private func downsampleBranch(_ input: Int, _ output: Int, stride: Int) -> Sequential {
    Sequential([Conv2d(input, output, kernelSize: 1, stride: stride, bias: false), BatchNorm2d(output)])
}

/// ResNet-18/34's block: two 3×3 convolutions and a shortcut.
final class BasicBlock: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d
    let relu = ReLU()
    let downsample: Sequential?

    init(_ input: Int, _ width: Int, stride: Int, downsample: Bool) {
        conv1 = Conv2d(input, width, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(width)
        self.downsample = downsample ? downsampleBranch(input, width, stride: stride) : nil
    }

    var children: [(key: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("relu", relu), ("conv2", conv2), ("bn2", bn2)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = try context.convolution("conv1", conv1, norm: ("bn1", bn1), activation: ("relu", relu), input)
        x = try context.convolution("conv2", conv2, norm: ("bn2", bn2), x)
        let shortcut = try downsample.map { try context("downsample", $0, input) } ?? input
        return try context("relu", relu, x + shortcut)
    }

    var description: String { "BasicBlock" }
}

/// ResNet-50/101/152's block: 1×1 reduce, 3×3 (strided), 1×1 expand ×4, and a shortcut.
final class Bottleneck: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, conv2: Conv2d, bn2: BatchNorm2d, conv3: Conv2d, bn3: BatchNorm2d
    let relu = ReLU()
    let downsample: Sequential?

    init(_ input: Int, _ width: Int, stride: Int, downsample: Bool) {
        conv1 = Conv2d(input, width, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(width)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride, padding: 1, bias: false)
        bn2 = BatchNorm2d(width)
        conv3 = Conv2d(width, width * 4, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(width * 4)
        self.downsample = downsample ? downsampleBranch(input, width * 4, stride: stride) : nil
    }

    var children: [(key: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("conv2", conv2), ("bn2", bn2), ("conv3", conv3), ("bn3", bn3), ("relu", relu)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = try context.convolution("conv1", conv1, norm: ("bn1", bn1), activation: ("relu", relu), input)
        x = try context.convolution("conv2", conv2, norm: ("bn2", bn2), activation: ("relu", relu), x)
        x = try context.convolution("conv3", conv3, norm: ("bn3", bn3), x)
        let shortcut = try downsample.map { try context("downsample", $0, input) } ?? input
        return try context("relu", relu, x + shortcut)
    }

    var description: String { "Bottleneck" }
}
