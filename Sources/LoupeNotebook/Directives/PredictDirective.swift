import Foundation

/// `{predict}`: the model's top classes for an image, as a table.
struct PredictDirective: Directive {
    static let name = "predict"
    static let summary = "Classifies an image: the top classes with their logits and probabilities."
    static let example = """
        ```{predict}
        :model: net
        :image: photo
        :top: 5
        ```
        """

    /// The table's columns; index pages find prediction tables by them.
    static let columns = ["Rank", "Class", "Index", "Logit", "Probability"]

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell to use; the front matter's `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The `{image}` (or `{mix}`) cell to classify; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        @CellOption(range: 1...1000, help: "How many classes to list.")
        var top = 5
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        let model = try context.value(options.model)
        let image = try context.value(options.image)
        let classes = try model.model.topClasses(for: try image.input(for: model.model), count: options.top)
        let rows: [[String]] = classes.enumerated().map { rank, score in
            let logit = String(format: "%.3f", score.logit)
            let probability = String(format: "%.4f", score.probability)
            return [String(rank + 1), score.label, String(score.index), logit, probability]
        }
        let table = Table(
            caption: "Top-\(classes.count) classes of \(model.caption) for \(image.source)",
            columns: Self.columns, rows: rows)
        return CellRun(outputs: [.table(table)])
    }
}
