import LoupeTensor
import LoupeText

/// CLIP as a classifier of any labels: each label's prompts are embedded, their unit vectors
/// averaged and scaled to unit length again, and an image's logits are the scaled cosines with
/// them (OpenAI's zero-shot recipe, `zero_shot_classifier` in open_clip).
public struct ZeroShotClassifier: Sendable {
    /// The labels, in output order.
    public let labels: [String]
    /// The prompt frames every label was put in.
    public let templates: [PromptTemplate]
    /// One unit vector per label, `[labels.count, embedDimension]`.
    public let classEmbeddings: Tensor
    /// `exp(logit_scale)`, the factor cosines are multiplied by.
    public let logitScale: Float
    /// The prompts longer than the context, which were cut (their embeddings describe their beginning).
    public let truncatedPrompts: [String]

    /// The classifier of `labels`, each put into every one of `templates`.
    ///
    /// - Parameters:
    ///   - model: the CLIP whose text tower embeds the prompts.
    ///   - tokenizer: CLIP's tokenizer, at the model's context length.
    ///   - labels: the class names; at least one, none repeated.
    ///   - templates: the prompt frames (`a photo of a {}.`); at least one.
    /// - Throws: ``ModelError/invalidSource(_:)`` for no labels, a repeated label or no
    ///   templates; the errors of ``CLIPModel/textEmbeddings(_:normalized:batchSize:)``.
    public init(model: CLIPModel, tokenizer: CLIPTokenizer, labels: [String], templates: [PromptTemplate]) throws {
        guard !labels.isEmpty else { throw ModelError.invalidSource("zero-shot classification needs at least one label") }
        guard !templates.isEmpty else { throw ModelError.invalidSource("zero-shot classification needs at least one prompt template") }
        var seen = Set<String>()
        if let repeated = labels.first(where: { !seen.insert($0).inserted }) {
            throw ModelError.invalidSource("the label \"\(repeated)\" is given twice")
        }
        let prompts = labels.flatMap { label in templates.map { $0.sentences([label])[0] } }
        let tokenized = prompts.map(tokenizer.encode)
        truncatedPrompts = zip(prompts, tokenized).filter { $0.1.isTruncated }.map(\.0)
        let embedded = try model.textEmbeddings(tokenized.map(\.ids), normalized: true)
        let width = embedded.shape[1]
        let values = try embedded.scalars
        var means = [Float](repeating: 0, count: labels.count * width)
        for label in labels.indices {
            for template in templates.indices {
                let row = label * templates.count + template
                for j in 0..<width { means[label * width + j] += values[row * width + j] }
            }
        }
        classEmbeddings = try CLIPModel.unitRows(try Tensor(shape: [labels.count, width], scalars: means))
        logitScale = try model.logitScale
        self.labels = labels
        self.templates = templates
    }

    /// A classifier from label embeddings made elsewhere (unit rows `[labels, embedDimension]`).
    ///
    /// - Parameters:
    ///   - labels: the class names, one per row.
    ///   - templates: the frames the embeddings were made with, for captions.
    ///   - classEmbeddings: one unit vector per label.
    ///   - logitScale: `exp(logit_scale)`.
    public init(labels: [String], templates: [PromptTemplate] = [], classEmbeddings: Tensor, logitScale: Float) {
        self.labels = labels
        self.templates = templates
        self.classEmbeddings = classEmbeddings
        self.logitScale = logitScale
        truncatedPrompts = []
    }
}

extension CLIPModel {
    /// CLIP as an ordinary classifier of `classifier`'s labels: the image tower (`visual`, its
    /// layers under CLIP's names), unit length (`normalize`), and the scaled cosines with the
    /// labels' embeddings (`classifier`, a linear layer without bias) — so that every method
    /// that explains a class (saliency, Integrated Gradients, Grad-CAM on `visual.layer4` of a
    /// modified ResNet, occlusion) explains an image–text similarity.
    ///
    /// - Parameters:
    ///   - classifier: the labels and their embeddings, from this model's text tower.
    ///   - name: the name captions use.
    /// - Returns: a ``Model`` whose logits are the classifier's.
    /// - Throws: ``ModelError/shapeMismatch(model:key:expected:found:)`` if the classifier was
    ///   made with another CLIP's width.
    public func zeroShotModel(_ classifier: ZeroShotClassifier, name: String? = nil) throws -> Model {
        let head = Linear(configuration.embedDimension, classifier.labels.count, bias: false)
        try head.weight.assign(try classifier.classEmbeddings * classifier.logitScale)
        let camLayer: String?
        switch configuration.vision {
        case .resnet: camLayer = "visual.layer4"
        case .transformer: camLayer = nil
        }
        return Model(
            network: CLIPZeroShotNetwork(visual: network.visual, head: head), name: name ?? self.name + " zero-shot",
            preprocessing: preprocessing, labels: classifier.labels, camLayer: camLayer, fixedInputSize: true)
    }
}

/// CLIP's image tower with a zero-shot head: `visual`, `normalize`, `classifier`.
public final class CLIPZeroShotNetwork: Module {
    /// `visual`: CLIP's image tower.
    public let visual: any Module
    /// `normalize`: each embedding divided by its length.
    public let normalize = UnitLength()
    /// `classifier`: the labels' unit embeddings times the logit scale, `[labels, embedDimension]`.
    public let head: Linear

    init(visual: any Module, head: Linear) {
        self.visual = visual
        self.head = head
    }

    /// `visual`, `normalize` and `classifier`.
    public var children: [(key: String, module: any Module)] { [("visual", visual), ("normalize", normalize), ("classifier", head)] }

    /// Normalised images `[N, 3, S, S]` to logits `[N, labels]`.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let embedded = try context("visual", visual, input)
        return try context("classifier", head, try context("normalize", normalize, embedded))
    }

    /// `CLIPZeroShot(labels)`.
    public var description: String { "CLIPZeroShot(\(head.outputFeatures) labels)" }
}

/// Each row divided by its Euclidean length, as `F.normalize(x, dim=-1)` (with gradients).
public final class UnitLength: Module {
    /// The layer; it has no parameters.
    public init() {}
    /// `[…, D]` to the same shape, each vector along the last axis of length 1.
    public func forward(_ input: Tensor, context: inout ForwardContext) throws -> Tensor {
        let length = try (try input.square().sum(axes: [input.rank - 1], keepingDimensions: true) + 1e-24).sqrt()
        return try input / length
    }
    /// `Normalize(dim=-1)`.
    public var description: String { "Normalize(dim=-1)" }
}
