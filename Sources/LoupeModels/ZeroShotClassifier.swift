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

    /// The logits `[N, labels]` of unit image embeddings `[N, embedDimension]`: `scale · cos`.
    ///
    /// - Throws: ``LoupeTensor/TensorError`` when the widths differ.
    public func logits(imageEmbeddings: Tensor) throws -> Tensor {
        try imageEmbeddings.matmul(try classEmbeddings.transposed()) * logitScale
    }
}
