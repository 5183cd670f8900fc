import Foundation
import LoupeInterp
import LoupeModels

/// `{deletion}`: RISE's deletion and insertion curves for an attribution map, next to the same
/// curves in a random pixel order.
///
/// RISE is Petsiuk et al. 2018, https://arxiv.org/abs/1806.07421.
struct DeletionDirective: Directive {
    static let name = "deletion"
    static let summary =
        "Deletion and insertion curves (RISE, Petsiuk et al. 2018): the class probability as the map's most important pixels are blacked out, or put back into a blurred copy, against a random order."
    static let example = """
        ```{deletion}
        :model: net
        :image: photo
        :method: gradcam
        :steps: 50
        ```
        """

    /// The table's columns.
    static let columns = ["Curve", "AUC, map order", "AUC, random order", "Better"]

    struct Options: DirectiveOptions {
        /// The group's Integrated Gradients points are `ig-steps` here: `steps` are the curve's.
        static let renamedKeys = ["steps": "ig-steps"]

        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        var attribution = AttributionOptions()
        @CellOption(
            range: 1...4096,
            help:
                "Equal chunks of pixels deleted or inserted; each curve has steps + 1 points. RISE uses 224 at 224 × 224 (one row's worth per step)."
        )
        var steps = 50
        @CellOption(range: 0...Int(Int32.max), help: "Seed of the random order (and of SmoothGrad's noise).")
        var seed = 0
        @CellOption(help: "The chart's caption; by default method, model, image and target.")
        var caption: String?
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let picture = try context.value(options.image)
        let (steps, seed) = (options.steps, options.seed)
        let run = try options.attribution.attribute(loaded, picture, seed: seed)
        guard run.target.classIndex != nil else {
            throw CellError.badOption(
                option: "target",
                reason: "'{deletion}' measures a class probability; '\(options.attribution.target ?? "")' names a channel, not a class")
        }
        let curves = try Attributor(model: loaded.model).deletionCurves(
            for: run.attribution, input: run.input.tensor, steps: steps, seed: UInt64(seed))
        let described = AttributionOptions.describe(run.attribution, target: run.target, model: loaded, image: picture)
        let resolved = run.target
        let caption = options.caption

        let x = curves.fractions
        let chart = Chart(
            caption: caption
                ?? "Deletion (to black) and insertion (into a blurred copy) of the pixels the map ranks highest, in \(steps) steps, against a random order (seed \(seed)): \(described); the areas are in the table below",
            xLabel: "fraction of pixels deleted or inserted", yLabel: "probability of \(resolved)",
            series: [
                Chart.Series(label: "deletion", x: x, y: curves.deletion),
                Chart.Series(label: "insertion", x: x, y: curves.insertion),
                Chart.Series(label: "random deletion", x: x, y: curves.randomDeletion),
                Chart.Series(label: "random insertion", x: x, y: curves.randomInsertion),
            ])
        let table = Table(
            caption: "Areas under the curves (trapezoid rule over the fraction 0…1): \(described)",
            columns: Self.columns,
            rows: [
                ["deletion", Self.format(curves.deletionArea), Self.format(curves.randomDeletionArea), "lower"],
                ["insertion", Self.format(curves.insertionArea), Self.format(curves.randomInsertionArea), "higher"],
            ])
        return CellRun(outputs: [.chart(chart), .table(table)])
    }

    /// An area with four decimals.
    static func format(_ area: Double) -> String { String(format: "%.4f", area) }
}
