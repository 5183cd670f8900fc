import LoupeTensor

/// The shape of a CLIP model: its image tower, its text tower and the joint space, as OpenAI's
/// `build_model` reads it from a state dict.
public struct CLIPConfiguration: Sendable, Equatable {
    /// The image tower.
    public enum Vision: Sendable, Equatable {
        /// A ViT: `width` channels, `layers` blocks, `patchSize`-pixel patches of `imageSize`-pixel images.
        case transformer(width: Int, layers: Int, patchSize: Int, imageSize: Int)
        /// OpenAI's modified ResNet: `layers` blocks per stage, a stem `width` wide, `imageSize`-pixel images.
        case resnet(layers: [Int], width: Int, imageSize: Int)
    }

    /// The image tower.
    public var vision: Vision
    /// The width of the joint space both towers project into.
    public var embedDimension: Int
    /// Tokens per text, with the start and end tokens (77).
    public var contextLength: Int
    /// Tokens in the vocabulary (49,408).
    public var vocabularySize: Int
    /// The width of the text transformer.
    public var textWidth: Int
    /// Blocks in the text transformer.
    public var textLayers: Int
    /// Channels per attention head, in both towers (64 in every released CLIP).
    public var headWidth: Int
    /// The MLPs' activation: QuickGELU for OpenAI's weights, GELU for most of open_clip's.
    public var activation: LinearActivation

    /// A configuration with every field given.
    public init(
        vision: Vision, embedDimension: Int, contextLength: Int, vocabularySize: Int, textWidth: Int, textLayers: Int,
        headWidth: Int = 64, activation: LinearActivation
    ) {
        self.vision = vision
        self.embedDimension = embedDimension
        self.contextLength = contextLength
        self.vocabularySize = vocabularySize
        self.textWidth = textWidth
        self.textLayers = textLayers
        self.headWidth = headWidth
        self.activation = activation
    }

    /// The side of the square images the model reads.
    public var imageSize: Int {
        switch vision {
        case let .transformer(_, _, _, imageSize), let .resnet(_, _, imageSize): return imageSize
        }
    }

    /// The variant's usual name (`ViT-B/32`, `RN50`) when the shape is one OpenAI released, or
    /// a description of the shape.
    public var variantName: String {
        switch vision {
        case let .transformer(width, layers, patch, image):
            let size = [768: "B", 1024: "L", 1280: "H"][width].flatMap { name in
                (name == "B" && layers == 12) || (name == "L" && layers == 24) || (name == "H" && layers == 32) ? name : nil
            }
            return size.map { "ViT-\($0)/\(patch)" + (image == 224 ? "" : "@\(image)px") }
                ?? "ViT (width \(width), \(layers) layers, patch \(patch), \(image) px)"
        case let .resnet(layers, width, image):
            let known: [[Int]: String] = [
                [3, 4, 6, 3]: "RN50", [3, 4, 23, 3]: "RN101", [4, 6, 10, 6]: "RN50x4", [6, 8, 18, 8]: "RN50x16",
            ]
            if let name = known[layers], width == 64 || name != "RN50" && name != "RN101" { return name }
            return "modified ResNet (stages \(layers.map(String.init).joined(separator: "-")), width \(width), \(image) px)"
        }
    }
}

extension CLIPConfiguration {
    /// The keys OpenAI's TorchScript archives hold beside the weights (integers saved as
    /// tensors); they are checked against the shapes and are not parameters.
    public static let archiveSettings = ["input_resolution", "context_length", "vocab_size"]

    /// Buffers a TorchScript archive of open_clip's `CLIP` holds that are not parameters: the
    /// text tower's causal mask, which Loupe builds itself.
    public static let archiveBuffers = ["attn_mask"]

    /// The configuration whose parameters have the shapes in `stateDict`, read as OpenAI's
    /// `build_model` reads them: a ViT when `visual.proj` is present, a modified ResNet
    /// otherwise; head counts are widths over 64.
    ///
    /// - Parameters:
    ///   - stateDict: the checkpoint's tensors (an OpenAI or open_clip CLIP).
    ///   - activation: the MLPs' function, which no shape tells.
    ///   - file: the checkpoint, for errors.
    /// - Throws: ``ModelError/unknownVariant(file:family:reason:)`` naming the keys that are
    ///   missing or do not fit.
    public init(inferringFrom stateDict: StateDict, activation: LinearActivation, file: String) throws {
        func shape(_ key: String, rank: Int) throws -> [Int] {
            guard let tensor = stateDict[key] else {
                throw ModelError.unknownVariant(file: file, family: "CLIP", reason: "it has no \(key)" + Self.hint(stateDict))
            }
            guard tensor.rank == rank, tensor.shape.allSatisfy({ $0 > 0 }) else {
                throw ModelError.unknownVariant(
                    file: file, family: "CLIP", reason: "\(key) is \(tensor.shape), not a tensor of rank \(rank)")
            }
            return tensor.shape
        }
        func count(_ prefix: String, depth: Int) -> Int {
            Set(stateDict.keys.filter { $0.hasPrefix(prefix) }.compactMap { $0.split(separator: ".").dropFirst(depth).first }).count
        }
        let vision: Vision
        if stateDict["visual.proj"] != nil {
            let patch = try shape("visual.conv1.weight", rank: 4)
            let positions = try shape("visual.positional_embedding", rank: 2)[0]
            let grid = Int(Double(positions - 1).squareRoot().rounded())
            guard grid * grid + 1 == positions, patch[2] == patch[3] else {
                throw ModelError.unknownVariant(
                    file: file, family: "CLIP",
                    reason: "visual.positional_embedding has \(positions) rows, not a square grid plus the class token")
            }
            vision = .transformer(
                width: patch[0], layers: count("visual.transformer.resblocks.", depth: 3), patchSize: patch[3],
                imageSize: patch[3] * grid)
        } else if stateDict["visual.attnpool.positional_embedding"] != nil {
            let stages = (1...4).map { count("visual.layer\($0).", depth: 2) }
            let positions = try shape("visual.attnpool.positional_embedding", rank: 2)[0]
            let grid = Int(Double(positions - 1).squareRoot().rounded())
            guard grid * grid + 1 == positions, stages.allSatisfy({ $0 > 0 }) else {
                throw ModelError.unknownVariant(
                    file: file, family: "CLIP",
                    reason: "a modified ResNet needs visual.layer1 to visual.layer4 and a square attention pool (found \(stages) blocks, "
                        + "\(positions) positions)")
            }
            vision = .resnet(layers: stages, width: try shape("visual.layer1.0.conv1.weight", rank: 4)[0], imageSize: grid * 32)
        } else {
            throw ModelError.unknownVariant(
                file: file, family: "CLIP",
                reason: "it has neither visual.proj (a ViT) nor visual.attnpool.positional_embedding (a modified ResNet)"
                    + Self.hint(stateDict))
        }
        let projection = try shape("text_projection", rank: 2)
        let tokens = try shape("token_embedding.weight", rank: 2)
        self.init(
            vision: vision, embedDimension: projection[1], contextLength: try shape("positional_embedding", rank: 2)[0],
            vocabularySize: tokens[0], textWidth: try shape("ln_final.weight", rank: 1)[0],
            textLayers: count("transformer.resblocks.", depth: 2), activation: activation)
        guard textLayers > 0 else {
            throw ModelError.unknownVariant(file: file, family: "CLIP", reason: "it has no transformer.resblocks (the text tower)")
        }
        for (key, expected) in zip(Self.archiveSettings, [imageSize, contextLength, vocabularySize]) {
            if let value = stateDict[key], let found = try? value.scalars.first, Int(found) != expected {
                throw ModelError.unknownVariant(
                    file: file, family: "CLIP", reason: "the archive says \(key) = \(Int(found)) but the weights' shapes say \(expected)")
            }
        }
    }

    /// For a checkpoint that is not CLIP at all: a few of its keys.
    private static func hint(_ stateDict: StateDict) -> String {
        let keys = stateDict.keys
        let visual = keys.filter { $0.hasPrefix("visual.") }
        let shown = (visual.isEmpty ? keys : visual).prefix(5)
        return " (its keys include \(shown.joined(separator: ", "))\(keys.count > shown.count ? ", …" : ""))"
    }
}

/// A CLIP model with OpenAI's and open_clip's parameter names (`visual.…`, `transformer.…`,
/// `token_embedding`, `ln_final`, `positional_embedding`, `text_projection`, `logit_scale`).
///
/// Its ``forward(_:context:)`` is the image tower, so that hooks and attribution see
/// `visual.layer4` or `visual.transformer.resblocks.11` by name; ``encodeText(_:context:)`` is
/// the text tower. Both return un-normalised embeddings, as `encode_image` and `encode_text`.
public final class CLIP: Module {
    /// The shape the model was built with.
    public let configuration: CLIPConfiguration
    /// `visual`: the image tower.
    public let visual: any Module
    /// `transformer`: the text tower's transformer.
    public let transformer: CLIPTransformer
    /// `token_embedding`.
    public let tokenEmbedding: Embedding
    /// `ln_final`, on the text tower's last hidden states.
    public let finalNorm: LayerNorm
    /// `positional_embedding`, `[contextLength, textWidth]`: the text tower's positions.
    public let positionalEmbedding: Parameter
    /// `text_projection`, `[textWidth, embedDimension]`.
    public let textProjection: Parameter
    /// `logit_scale`: the log of the temperature that scales cosine similarities to logits.
    public let logitScale: Parameter

    /// A CLIP of the given shape, its parameters not yet loaded.
    public init(_ configuration: CLIPConfiguration) {
        self.configuration = configuration
        let c = configuration
        switch c.vision {
        case let .transformer(width, layers, patch, image):
            visual = CLIPVisionTransformer(
                imageSize: image, patchSize: patch, width: width, layers: layers, heads: Swift.max(1, width / c.headWidth),
                embedDimension: c.embedDimension, activation: c.activation)
        case let .resnet(layers, width, image):
            visual = CLIPModifiedResNet(
                layers: layers, width: width, imageSize: image, heads: Swift.max(1, width * 32 / c.headWidth),
                embedDimension: c.embedDimension)
        }
        transformer = CLIPTransformer(
            width: c.textWidth, layers: c.textLayers, heads: Swift.max(1, c.textWidth / c.headWidth), activation: c.activation)
        tokenEmbedding = Embedding(c.vocabularySize, c.textWidth)
        finalNorm = LayerNorm(c.textWidth)
        positionalEmbedding = Parameter("positional_embedding", shape: [c.contextLength, c.textWidth])
        textProjection = Parameter("text_projection", shape: [c.textWidth, c.embedDimension])
        logitScale = Parameter("logit_scale", shape: [])
    }

    /// `visual`, `transformer`, `token_embedding` and `ln_final`.
    public var children: [(key: String, module: any Module)] {
        [("visual", visual), ("transformer", transformer), ("token_embedding", tokenEmbedding), ("ln_final", finalNorm)]
    }

    /// `positional_embedding`, `text_projection` and `logit_scale`.
    public var parameters: [Parameter] { [positionalEmbedding, textProjection, logitScale] }

    /// The image tower: normalised images `[N, 3, S, S]` to embeddings `[N, embedDimension]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        try context("visual", visual, input)
    }

    /// The text tower: token ids `[B, T]` (held as floats, `T` at most the context length, each
    /// row's end token the largest id in it) to embeddings `[B, embedDimension]`.
    ///
    /// Each token attends only to itself and the tokens before it; the row's embedding is the
    /// final state at its end token (the arg-max of its ids, as the reference finds it).
    ///
    /// - Throws: ``LoupeTensor/TensorError`` for ids that are not whole numbers in the
    ///   vocabulary or rows longer than the context.
    public func encodeText(_ ids: Tensor, context: inout ForwardContext) throws -> Tensor {
        guard ids.rank == 2, ids.shape[1] >= 1, ids.shape[1] <= configuration.contextLength else {
            throw TensorError.invalidArgument(
                op: "CLIP text",
                message: "expected token ids [B, T] with T at most \(configuration.contextLength), found shape \(ids.shape)")
        }
        let (batch, length) = (ids.shape[0], ids.shape[1])
        let tokens = try context("token_embedding", tokenEmbedding, ids)
        let positions = try positionalEmbedding.tensor.slice(axis: 0, 0..<length)
        var future = [Float](repeating: 0, count: length * length)
        for t in 0..<length { for s in (t + 1)..<Swift.max(t + 1, length) { future[t * length + s] = -Float.greatestFiniteMagnitude } }
        var text = context
        text.attentionMask = try Tensor(shape: [1, 1, length, length], scalars: future)
        let hidden = try context("ln_final", finalNorm, try text("transformer", transformer, try tokens + positions))
        // The end token's state in each row: row b's arg-max, in the [B·T, width] matrix.
        let values = try ids.scalars
        let ends = (0..<batch).map { row in
            // The first position of the largest id, as torch.argmax.
            var best = row * length
            for index in (row * length)..<((row + 1) * length) where values[index] > values[best] { best = index }
            return best
        }
        let pooled = try hidden.reshaped(to: [batch * length, configuration.textWidth]).rows(ends)
        return try pooled.matmul(try textProjection.tensor)
    }

    /// The model's name and shape, as `CLIP(ViT-B/32, text 12×512, embed 512)`.
    public var description: String {
        "CLIP(\(configuration.variantName), text \(configuration.textLayers)×\(configuration.textWidth), embed \(configuration.embedDimension))"
    }
}
