import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// `{classify}`: CLIP's zero-shot classification of images among any labels.
struct ClassifyDirective: Directive {
    static let name = "classify"
    static let summary =
        "Zero-shot classification with CLIP: each label is put into the prompt templates, and each image gets a probability per label (softmax of the scaled cosines), as a table and an images × labels heatmap. A name makes the classifier a model that `{predict}` and `{attribute}` take (saliency of an image–text similarity, Grad-CAM on a modified ResNet's `visual.layer4`)."
    static let argument = ArgumentSpec.optionalName(.model)
    static let example = """
        ```{classify} zeroshot
        :clip: clip
        :images: dog, eagle
        :labels: a dog | a bird | a car
        :templates: a photo of {}. | a drawing of {}.
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{clip}` cell.")
        var clip: CellName<LoadedCLIP>
        @CellOption(help: "The `{image}` cells to classify.")
        var images: CellNames<LoadedImage>
        @CellOption(help: "The labels, separated by `|`.")
        var labels: [String] = []
        @CellOption(help: "A `{concepts}` or `{embed}` cell whose texts are the labels, instead of `labels`.")
        var vocabulary: CellName<TextList>?
        @CellOption(
            help:
                "Prompt templates with `{}` for the label, separated by `|`; each label's embedding is the mean over them. `openai-80` or `openai-7`: OpenAI's ImageNet templates."
        )
        var templates: [String] = ["a photo of a {}."]
        @CellOption(range: 1...100, help: "How many labels to list per image.")
        var top = 5
        @CellOption(help: "The heatmap's colour map.")
        var colormap = ColorMap.viridis
    }

    /// The most labels drawn in the heatmap.
    static let largestHeatmap = 40

    private let options: Options
    private let cellName: String?

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        cellName = cell.name
        guard options.labels.filter({ !$0.isEmpty }).isEmpty != (options.vocabulary == nil) else {
            throw CellError.invalid("give the labels either as `labels` or as a `vocabulary` cell, one of the two")
        }
        guard !options.images.names.isEmpty else { throw CellError.invalid("`images` names no `{image}` cell") }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let clip = try context.value(options.clip)
        let images = try context.values(options.images)
        let labels = try options.vocabulary.map { try context.value($0).texts } ?? options.labels.filter { !$0.isEmpty }
        let templates = try ZeroShotPrompts.templates(options.templates.filter { !$0.isEmpty }, progress: context.log)
        let classifier = try ZeroShotClassifier(model: clip.model, tokenizer: clip.tokenizer, labels: labels, templates: templates)
        let inputs = try images.map { image in
            try clip.model.preprocessing.input(from: image.image, fit: image.isPrepared ? .asIs : .crop).tensor
        }
        let described = "\(clip.caption), \(labels.count) labels × \(templates.count) template(s)"
        let model = try clip.model.zeroShotModel(classifier, name: "zero-shot \(clip.caption)")
        let logits = try GradMode.withoutGrad { try model(try Tensor.concatenate(inputs, axis: 0)) }
        let probabilities = try logits.softmax(axis: 1).scalars
        let cosines = try (logits / classifier.logitScale).scalars
        let count = labels.count
        var rows: [[String]] = []
        for (index, image) in images.enumerated() {
            let row = Array(probabilities[(index * count)..<((index + 1) * count)])
            let order = row.indices.sorted { row[$0] != row[$1] ? row[$0] > row[$1] : $0 < $1 }
            for (rank, label) in order.prefix(options.top).enumerated() {
                rows.append([
                    rank == 0 ? image.source : "", String(rank + 1), labels[label], String(format: "%.4f", row[label]),
                    String(format: "%.4f", cosines[index * count + label]),
                ])
            }
        }
        var outputs: [CellOutput] = [
            .table(
                Table(
                    caption: "Zero-shot classification: the top \(Swift.min(options.top, count)) labels per image, \(described). "
                        + "Probability is the softmax over all \(count) labels of the cosine × \(String(format: "%.1f", classifier.logitScale)); "
                        + "chance is \(String(format: "%.4f", 1 / Double(count))).",
                    columns: ["Image", "Rank", "Label", "Probability", "Cosine"], rows: rows))
        ]
        if count <= Self.largestHeatmap {
            let matrix = (0..<images.count).map { Array(probabilities[($0 * count)..<(($0 + 1) * count)]) }
            outputs.append(
                .heatmap(
                    try HeatmapFigure.matrix(
                        matrix, rows: images.map(\.source), columns: labels, colorMap: options.colormap,
                        title: "Zero-shot probabilities, \(described)")))
        }
        if !classifier.truncatedPrompts.isEmpty {
            outputs.append(.text("Cut to the model's context: " + classifier.truncatedPrompts.map { "\"\($0)\"" }.joined(separator: ", ")))
        }
        return CellRun(
            outputs: outputs, value: cellName.map { _ in LoadedModel(model: model, source: model.name, sha256: clip.model.sha256) },
            provenance: CellProvenance(models: [Provenance.Model(name: clip.source, sha256: clip.model.sha256)]))
    }
}
