import LoupeTensor

/// CLIP's ViT image tower (`visual` of ViT-B/32, B/16, L/14): patches embedded by a strided
/// convolution, a class token, learned positions, a pre-LN transformer, and the class token's
/// final state projected into the joint space.
public final class CLIPVisionTransformer: Module {
    /// The side of the square input, in pixels.
    public let imageSize: Int
    /// The side of each square patch, in pixels.
    public let patchSize: Int
    /// The width of every token.
    public let width: Int
    /// `conv1`: the patch embedding, a `patchSize` convolution with stride `patchSize`, no bias.
    public let patchEmbedding: Conv2d
    /// `class_embedding`, `[width]`: the token whose final state is the image's.
    public let classEmbedding: Parameter
    /// `positional_embedding`, `[grid² + 1, width]`, the class token's first.
    public let positionalEmbedding: Parameter
    /// `ln_pre`, on every token before the transformer.
    public let preNorm: LayerNorm
    /// `transformer`.
    public let transformer: CLIPTransformer
    /// `ln_post`, on the class token's final state.
    public let postNorm: LayerNorm
    /// `proj`, `[width, embedDimension]`: into the joint space.
    public let projection: Parameter

    /// A ViT for `imageSize`-pixel images in `patchSize` patches, `layers` blocks of `width`
    /// channels and `heads` heads, projected to `embedDimension`.
    public init(imageSize: Int, patchSize: Int, width: Int, layers: Int, heads: Int, embedDimension: Int, activation: LinearActivation) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.width = width
        let grid = imageSize / patchSize
        patchEmbedding = Conv2d(3, width, kernelSize: patchSize, stride: patchSize, padding: 0, bias: false)
        classEmbedding = Parameter("class_embedding", shape: [width])
        positionalEmbedding = Parameter("positional_embedding", shape: [grid * grid + 1, width])
        preNorm = LayerNorm(width)
        transformer = CLIPTransformer(width: width, layers: layers, heads: heads, activation: activation)
        postNorm = LayerNorm(width)
        projection = Parameter("proj", shape: [width, embedDimension])
    }

    /// `conv1`, `ln_pre`, `transformer` and `ln_post`.
    public var children: [(key: String, module: any Module)] {
        [("conv1", patchEmbedding), ("ln_pre", preNorm), ("transformer", transformer), ("ln_post", postNorm)]
    }

    /// `class_embedding`, `positional_embedding` and `proj`.
    public var parameters: [Parameter] { [classEmbedding, positionalEmbedding, projection] }

    /// Normalised images `[N, 3, imageSize, imageSize]` to image embeddings `[N, embedDimension]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 4, input.shape[1] == 3, input.shape[2] == imageSize, input.shape[3] == imageSize else {
            throw TensorError.invalidArgument(
                op: "CLIP ViT", message: "expected images [N, 3, \(imageSize), \(imageSize)], found shape \(input.shape)")
        }
        let batch = input.shape[0]
        // [N, width, grid, grid] → [N, grid², width]
        let patches = try context("conv1", patchEmbedding, input).flattened(from: 2).permuted([0, 2, 1])
        let token = try classEmbedding.tensor.reshaped(to: [1, 1, width]).broadcast(to: [batch, 1, width])
        var x = try Tensor.concatenate([token, patches], axis: 1) + (try positionalEmbedding.tensor)
        x = try context("ln_pre", preNorm, x)
        var attention = context
        attention.attentionMask = nil
        x = try attention("transformer", transformer, x)
        let pooled = try context("ln_post", postNorm, try x.slice(axis: 1, 0..<1).squeezed(at: 1))
        return try pooled.matmul(try projection.tensor)
    }

    /// open_clip's class name with its shape, as `VisionTransformer(patch=32, width=768, image=224)`.
    public var description: String { "VisionTransformer(patch=\(patchSize), width=\(width), image=\(imageSize))" }
}

/// OpenAI's modified ResNet image tower (`visual` of RN50, RN101, RN50x4, …): a three-convolution
/// stem with an average pool, bottlenecks that stride by average pooling (anti-aliased), and
/// attention pooling to the joint space.
public final class CLIPModifiedResNet: Module {
    /// The side of the square input, in pixels.
    public let imageSize: Int
    /// Blocks in each of the four stages.
    public let layers: [Int]
    /// The stem's width; stage `i` has `width · 2ⁱ` channels inside its blocks, four times that out.
    public let width: Int
    let conv1: Conv2d, bn1: BatchNorm2d, act1 = ReLU()
    let conv2: Conv2d, bn2: BatchNorm2d, act2 = ReLU()
    let conv3: Conv2d, bn3: BatchNorm2d, act3 = ReLU()
    let avgpool = AvgPool2d(kernelSize: 2)
    /// `layer1` … `layer4`.
    public let stages: [Sequential]
    /// `attnpool`: attention from the mean of the final map to every position.
    public let attentionPool: CLIPAttentionPool

    /// A modified ResNet with `layers` blocks per stage, a stem `width` wide, for `imageSize`
    /// pixels, pooled by `heads` heads to `embedDimension`.
    public init(layers: [Int], width: Int, imageSize: Int, heads: Int, embedDimension: Int) {
        self.imageSize = imageSize
        self.layers = layers
        self.width = width
        conv1 = Conv2d(3, width / 2, kernelSize: 3, stride: 2, padding: 1, bias: false)
        bn1 = BatchNorm2d(width / 2)
        conv2 = Conv2d(width / 2, width / 2, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(width / 2)
        conv3 = Conv2d(width / 2, width, kernelSize: 3, padding: 1, bias: false)
        bn3 = BatchNorm2d(width)
        var inputs = width
        var stages: [Sequential] = []
        for (index, count) in layers.enumerated() {
            let planes = width << index
            var blocks: [any Module] = []
            for block in 0..<count {
                blocks.append(CLIPBottleneck(inputs, planes, stride: block == 0 && index > 0 ? 2 : 1))
                inputs = planes * 4
            }
            stages.append(Sequential(blocks))
        }
        self.stages = stages
        attentionPool = CLIPAttentionPool(
            grid: imageSize / 32, channels: width * 32, heads: heads, outputDimension: embedDimension)
    }

    /// The stem (`conv1` … `act3`, `avgpool`), `layer1` … `layer4` and `attnpool`.
    public var children: [(key: String, module: any Module)] {
        [
            ("conv1", conv1), ("bn1", bn1), ("act1", act1), ("conv2", conv2), ("bn2", bn2), ("act2", act2),
            ("conv3", conv3), ("bn3", bn3), ("act3", act3), ("avgpool", avgpool),
        ] + stages.enumerated().map { ("layer\($0.offset + 1)", $0.element) } + [("attnpool", attentionPool)]
    }

    /// Normalised images `[N, 3, imageSize, imageSize]` to image embeddings `[N, embedDimension]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 4, input.shape[1] == 3, input.shape[2] == imageSize, input.shape[3] == imageSize else {
            throw TensorError.invalidArgument(
                op: "CLIP ResNet", message: "expected images [N, 3, \(imageSize), \(imageSize)], found shape \(input.shape)")
        }
        var x = try context.convolution("conv1", conv1, norm: ("bn1", bn1), activation: ("act1", act1), input)
        x = try context.convolution("conv2", conv2, norm: ("bn2", bn2), activation: ("act2", act2), x)
        x = try context.convolution("conv3", conv3, norm: ("bn3", bn3), activation: ("act3", act3), x)
        x = try context("avgpool", avgpool, x)
        for (index, stage) in stages.enumerated() { x = try context("layer\(index + 1)", stage, x) }
        return try context("attnpool", attentionPool, x)
    }

    /// open_clip's class name with its stages, as `ModifiedResNet(layers=[3, 4, 6, 3], width=64)`.
    public var description: String { "ModifiedResNet(layers=\(layers), width=\(width))" }
}

/// The modified ResNet's bottleneck: 1×1, 3×3, an average pool of the stride, 1×1 to four
/// times the planes, and a shortcut that pools before its 1×1 convolution.
final class CLIPBottleneck: Module {
    let conv1: Conv2d, bn1: BatchNorm2d, act1 = ReLU()
    let conv2: Conv2d, bn2: BatchNorm2d, act2 = ReLU()
    let avgpool: AvgPool2d?
    let conv3: Conv2d, bn3: BatchNorm2d, act3 = ReLU()
    let downsample: CLIPDownsample?
    let stride: Int

    init(_ inputs: Int, _ planes: Int, stride: Int) {
        self.stride = stride
        conv1 = Conv2d(inputs, planes, kernelSize: 1, bias: false)
        bn1 = BatchNorm2d(planes)
        conv2 = Conv2d(planes, planes, kernelSize: 3, padding: 1, bias: false)
        bn2 = BatchNorm2d(planes)
        avgpool = stride > 1 ? AvgPool2d(kernelSize: stride) : nil
        conv3 = Conv2d(planes, planes * 4, kernelSize: 1, bias: false)
        bn3 = BatchNorm2d(planes * 4)
        downsample = stride > 1 || inputs != planes * 4 ? CLIPDownsample(inputs, planes * 4, stride: stride) : nil
    }

    var children: [(key: String, module: any Module)] {
        [("conv1", conv1), ("bn1", bn1), ("act1", act1), ("conv2", conv2), ("bn2", bn2), ("act2", act2)]
            + (avgpool.map { [("avgpool", $0)] } ?? []) + [("conv3", conv3), ("bn3", bn3), ("act3", act3)]
            + (downsample.map { [("downsample", $0)] } ?? [])
    }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        var x = try context.convolution("conv1", conv1, norm: ("bn1", bn1), activation: ("act1", act1), input)
        x = try context.convolution("conv2", conv2, norm: ("bn2", bn2), activation: ("act2", act2), x)
        if let avgpool { x = try context("avgpool", avgpool, x) }
        x = try context.convolution("conv3", conv3, norm: ("bn3", bn3), x)
        let shortcut = try downsample.map { try context("downsample", $0, input) } ?? input
        return try context("act3", act3, x + shortcut)
    }

    var description: String { "Bottleneck" }
}

/// The shortcut of a strided or widening bottleneck: `-1` an average pool of the stride (none at
/// stride 1), `0` a 1×1 convolution, `1` a batch norm.
final class CLIPDownsample: Module {
    let pool: AvgPool2d?
    let conv: Conv2d
    let norm: BatchNorm2d

    init(_ inputs: Int, _ outputs: Int, stride: Int) {
        pool = stride > 1 ? AvgPool2d(kernelSize: stride) : nil
        conv = Conv2d(inputs, outputs, kernelSize: 1, bias: false)
        norm = BatchNorm2d(outputs)
    }

    var children: [(key: String, module: any Module)] { (pool.map { [("-1", $0)] } ?? []) + [("0", conv), ("1", norm)] }

    func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let pooled = try pool.map { try context("-1", $0, input) } ?? input
        return try context.convolution("0", conv, norm: ("1", norm), pooled)
    }

    var description: String { "Sequential" }
}

/// Attention pooling (`AttentionPool2d`): the mean of the final feature map, with every position,
/// gets a learned position; the mean alone queries all of them, and its result is projected.
public final class CLIPAttentionPool: Module {
    /// The side of the feature map it pools (the image side over 32).
    public let grid: Int
    /// Channels of the feature map.
    public let channels: Int
    /// Attention heads.
    public let heads: Int
    /// `positional_embedding`, `[grid² + 1, channels]`, the mean's first.
    public let positionalEmbedding: Parameter
    /// `k_proj`, `q_proj`, `v_proj`: keys, the query and values.
    public let keyProjection: Linear, queryProjection: Linear, valueProjection: Linear
    /// `c_proj`: the heads' output to the joint space.
    public let outputProjection: Linear

    init(grid: Int, channels: Int, heads: Int, outputDimension: Int) {
        self.grid = grid
        self.channels = channels
        self.heads = heads
        positionalEmbedding = Parameter("positional_embedding", shape: [grid * grid + 1, channels])
        keyProjection = Linear(channels, channels)
        queryProjection = Linear(channels, channels)
        valueProjection = Linear(channels, channels)
        outputProjection = Linear(channels, outputDimension)
    }

    /// `k_proj`, `q_proj`, `v_proj` and `c_proj`.
    public var children: [(key: String, module: any Module)] {
        [("k_proj", keyProjection), ("q_proj", queryProjection), ("v_proj", valueProjection), ("c_proj", outputProjection)]
    }

    /// `positional_embedding`.
    public var parameters: [Parameter] { [positionalEmbedding] }

    /// A feature map `[N, channels, grid, grid]` to `[N, outputDimension]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard input.rank == 4, input.shape[1] == channels, input.shape[2] == grid, input.shape[3] == grid else {
            throw TensorError.invalidArgument(
                op: "CLIP attention pool", message: "expected a map [N, \(channels), \(grid), \(grid)], found shape \(input.shape)")
        }
        let batch = input.shape[0]
        let size = channels / heads
        let positions = try input.flattened(from: 2).permuted([0, 2, 1])  // [N, grid², C]
        let mean = try positions.mean(axes: [1], keepingDimensions: true)
        let tokens = try Tensor.concatenate([mean, positions], axis: 1) + (try positionalEmbedding.tensor)  // [N, T, C]
        let length = tokens.shape[1]
        // [N, T, C] → [N, heads, T, size]
        func split(_ x: Tensor, _ rows: Int) throws -> Tensor {
            try x.reshaped(to: [batch, rows, heads, size]).permuted([0, 2, 1, 3])
        }
        let query = try split(try context("q_proj", queryProjection, try tokens.slice(axis: 1, 0..<1)), 1)
        let keys = try split(try context("k_proj", keyProjection, tokens), length)
        let values = try split(try context("v_proj", valueProjection, tokens), length)
        let scores = try query.matmul(try keys.transposed()) * (1 / Float(size).squareRoot())
        let mixed = try scores.softmax(axis: -1).matmul(values)  // [N, heads, 1, size]
        let joined = try mixed.permuted([0, 2, 1, 3]).contiguous().reshaped(to: [batch, channels])
        return try context("c_proj", outputProjection, joined)
    }

    /// open_clip's class name, as `AttentionPool2d(grid=7, channels=2048, heads=32)`.
    public var description: String { "AttentionPool2d(grid=\(grid), channels=\(channels), heads=\(heads))" }
}
