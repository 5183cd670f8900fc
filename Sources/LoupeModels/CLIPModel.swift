import Foundation
import LoupeImage
import LoupeTensor
import LoupeText

/// A CLIP model loaded from a user's file, ready to embed images and texts into one space:
/// what `loupe clip` and the notebook's CLIP directives run.
///
/// Reads OpenAI's TorchScript archives (`ViT-B-32.pt`, `RN50.pt`: only the tensors, nothing in
/// the archive runs) and open_clip state dicts (`open_clip_pytorch_model.bin`,
/// `.safetensors`), infers the variant from the keys and shapes, and loads strictly.
public final class CLIPModel: @unchecked Sendable {
    /// The name captions use: the file's name unless one is given.
    public let name: String
    /// The network, with OpenAI's and open_clip's parameter names.
    public let network: CLIP
    /// The SHA-256 of the weights file, which identifies the model in caches.
    public let sha256: String
    /// How a photo becomes the image tower's input.
    public var preprocessing: Preprocessing
    /// Why the MLPs use the activation they use, for reports: the file's kind, a setting, or the default.
    public let activationSource: String

    /// The string metadata of a safetensors file's header (empty for other formats); a `note`
    /// there is shown with the model (Loupe's random-weight test files say so in it).
    public let metadata: [String: String]

    /// The CLIP in the checkpoint at `url`.
    ///
    /// The MLPs' activation is `activation` when given; otherwise QuickGELU for a TorchScript
    /// archive (OpenAI's), the `quick_gelu` of an `open_clip_config.json` beside the file, or
    /// GELU (open_clip's default) for any other state dict.
    ///
    /// - Parameters:
    ///   - url: the checkpoint.
    ///   - name: the name captions use.
    ///   - activation: the MLPs' function, when the caller knows it.
    ///   - sha256: the file's digest when the caller knows it (a store pin), computed otherwise.
    /// - Throws: the checkpoint reader's errors, ``ModelError/unknownVariant(file:family:reason:)``
    ///   when the keys fit no CLIP, and ``ModelError`` naming missing, unexpected or mis-shaped
    ///   keys, with the file.
    public init(weights url: URL, name: String? = nil, activation: LinearActivation? = nil, sha256: String? = nil) throws {
        var (stateDict, metadata) = try Checkpoint.loadWithMetadata(contentsOf: url)
        self.metadata = metadata
        let (chosen, source) = Self.activation(for: url, given: activation)
        let configuration = try CLIPConfiguration(inferringFrom: stateDict, activation: chosen, file: url.path)
        for key in CLIPConfiguration.archiveSettings + CLIPConfiguration.archiveBuffers { stateDict[key] = nil }
        network = CLIP(configuration)
        self.name = name ?? url.deletingPathExtension().lastPathComponent
        do {
            try network.load(stateDict, modelName: self.name)
        } catch let error as ModelError {
            throw error.inFile(url.path)
        }
        activationSource = source
        // OpenAI's transform (bicubic shorter side, centre crop) at the model's resolution.
        var preprocessing = Preprocessing.clip
        preprocessing.size = configuration.imageSize
        preprocessing.resize = .shorterSideThenCenterCrop(resize: configuration.imageSize)
        self.preprocessing = preprocessing
        self.sha256 = try sha256 ?? SHA256Digest.hex(ofFileAt: url)
    }

    /// The activation to build with, and why.
    static func activation(for url: URL, given: LinearActivation?) -> (LinearActivation, String) {
        if let given { return (given, "as asked") }
        if Checkpoint.isTorchScriptArchive(at: url) { return (.quickGELU, "OpenAI's TorchScript archives use QuickGELU") }
        let config = url.deletingLastPathComponent().appendingPathComponent("open_clip_config.json")
        if let data = try? Data(contentsOf: config),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let model = object["model_cfg"] as? [String: Any]
        {
            let quick = model["quick_gelu"] as? Bool ?? false
            return (quick ? .quickGELU : .gelu, "open_clip_config.json beside the weights says quick_gelu: \(quick)")
        }
        return (.gelu, "GELU, open_clip's default for a state dict; OpenAI's weights need QuickGELU")
    }

    /// The model's shape.
    public var configuration: CLIPConfiguration { network.configuration }

    /// The factor cosine similarities are multiplied by to give logits: `exp(logit_scale)`.
    ///
    /// - Throws: ``ModelError/missingKeys(model:keys:)`` before the weights are loaded.
    public var logitScale: Float {
        get throws { Foundation.exp(try network.logitScale.tensor.scalars.first ?? 0) }
    }

    /// Image embeddings `[N, embedDimension]` of preprocessed images `[N, 3, S, S]`, as
    /// `encode_image`; unit length when `normalized`.
    ///
    /// - Throws: ``LoupeTensor/TensorError`` for the wrong input shape,
    ///   ``ModelError/notANumber(model:what:)`` for NaN in the input.
    public func imageEmbeddings(_ images: Tensor, normalized: Bool = false) throws -> Tensor {
        if images.containsNaN { throw ModelError.notANumber(model: name, what: "the input \(images.shape)") }
        let embeddings = try Engine.run {
            var context = ForwardContext()
            return try network.forward(images, context: &context)
        }
        return normalized ? try Self.unitRows(embeddings) : embeddings
    }

    /// Text embeddings `[rows.count, embedDimension]` of token-id rows (each framed by the start
    /// and end tokens, as ``LoupeText/CLIPTokenizer/encode(_:)`` gives them, at most the context
    /// long), as `encode_text`; unit length when `normalized`.
    ///
    /// Rows are padded with 0 to the longest row of their batch, not to the context length:
    /// attention is causal, so the padding after a row's end token cannot change its embedding.
    /// Batches of `batchSize` rows run sorted by length.
    ///
    /// - Throws: ``LoupeTensor/TensorError`` for an empty row, one longer than the context or
    ///   an id outside the vocabulary.
    public func textEmbeddings(_ rows: [[Int]], normalized: Bool = false, batchSize: Int = 256) throws -> Tensor {
        let width = configuration.embedDimension
        guard !rows.isEmpty else { return try Tensor.zeros([0, width]) }
        if let bad = rows.firstIndex(where: { $0.isEmpty || $0.count > configuration.contextLength }) {
            throw TensorError.invalidArgument(
                op: "CLIP text", message: "row \(bad) has \(rows[bad].count) ids; each needs 1 to \(configuration.contextLength)")
        }
        let order = LengthOrder(lengths: rows.map(\.count)).permutation
        var out = [Float](repeating: 0, count: rows.count * width)
        for start in stride(from: 0, to: order.count, by: Swift.max(1, batchSize)) {
            let chunk = Array(order[start..<Swift.min(order.count, start + Swift.max(1, batchSize))])
            let length = rows[chunk[0]].count
            var ids = [Float](repeating: 0, count: chunk.count * length)
            for (row, index) in chunk.enumerated() {
                for (column, id) in rows[index].enumerated() { ids[row * length + column] = Float(id) }
            }
            let embeddings = try Engine.run {
                var context = ForwardContext()
                return try network.encodeText(try Tensor(shape: [chunk.count, length], scalars: ids), context: &context)
            }
            let values = try embeddings.scalars
            for (row, index) in chunk.enumerated() {
                out.replaceSubrange((index * width)..<((index + 1) * width), with: values[(row * width)..<((row + 1) * width)])
            }
        }
        let embeddings = try Tensor(shape: [rows.count, width], scalars: out)
        return normalized ? try Self.unitRows(embeddings) : embeddings
    }

    /// Each row of `[N, D]` divided by its length, as the zero-shot head's `normalize` layer
    /// (``UnitLength``) computes it.
    ///
    /// - Throws: ``LoupeTensor/TensorError`` for a tensor that is not a matrix.
    public static func unitRows(_ x: Tensor) throws -> Tensor {
        var context = ForwardContext()
        return try UnitLength().forward(x, context: &context)
    }
}
