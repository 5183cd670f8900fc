import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{sanity-check}`: the cascading model-parameter randomisation test of Adebayo et al. 2018 —
/// does the map change when the model's layers are re-initialised from the logits down?
struct SanityCheckDirective: Directive {
    static let name = "sanity-check"
    static let summary =
        "Model-randomisation sanity check (Adebayo et al. 2018): re-initialises the layers from the logits down, one stage at a time, and shows each map with its rank correlation to the trained model's."
    static let example = """
        ```{sanity-check}
        :model: net
        :image: photo
        :method: saliency
        :every: 4
        ```
        """

    /// The table's columns.
    static let columns = ["Stage", "Randomised down to", "ρ(|map|)", "ρ(signed)"]

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it. It is never changed: the layers are randomised in a copy.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        var attribution = AttributionOptions()
        @CellOption(
            range: 1...1000,
            help:
                "Randomise only the top this-many stages (a stage is a block, or a layer with its batch norm). Default: all, down to the first convolution."
        )
        var stages: Int?
        @CellOption(range: 1...1000, help: "Compute the map after every this-many stages (and after the last), for speed.")
        var every = 1
        @CellOption(range: 0...Int(Int32.max), help: "Seed of the re-initialisation (and of SmoothGrad's noise).")
        var seed = 0
        @CellOption(help: "Default: viridis, or coolwarm for signed maps.")
        var colormap: ColorMap?
        @CellOption(help: "The caption of the row of maps; by default method, model, image and target.")
        var caption: String?
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let picture = try context.value(options.image)
        let model = loaded.model
        let prepared = try picture.modelInput(for: model)
        let input = prepared.tensor
        let attribution = options.attribution
        let resolved = try model.resolve(AttributionTarget(parsing: attribution.target, model: model), for: input)
        let (seed, colorMap, caption) = (UInt64(options.seed), options.colormap, options.caption)
        let check = try Attributor(model: model).sanityCheck(
            attribution.method, input: input, seen: prepared.seen, target: resolved, settings: attribution.settings(seed: options.seed),
            stages: options.stages, every: options.every, seed: seed)
        let size = (height: input.shape[2], width: input.shape[3])
        let first = check.stages[0].attribution
        let described = AttributionOptions.describe(first, target: resolved, model: loaded, image: picture)

        var maps: [ImageOutput] = []
        for stage in check.stages {
            let text = stage.depth == 0 ? "original" : "after \(stage.label): ρ = \(Self.format(stage.rankCorrelation))"
            var image = try HeatmapFigure(Heatmap(attribution: stage.attribution, size: size, colorMap: colorMap), caption: text).rendered()
                .map
            image.caption = text
            image.alt = "\(stage.attribution.method) map, \(text)"
            maps.append(image)
        }
        let rowCaption =
            caption
            ?? "Cascading randomisation of \(described), seed \(seed): each map after re-initialising the layers from the logits down to the one named (each map scaled on its own)"

        let rows = check.stages.map { stage in
            [
                String(stage.depth), stage.depth == 0 ? "— (trained model)" : stage.label,
                Self.format(stage.rankCorrelation), Self.format(stage.signedRankCorrelation),
            ]
        }
        let table = Table(
            caption:
                "Spearman rank correlation of each map with the trained model's: \(described); stage k has the top k of \(check.cascade.count) stages re-initialised",
            columns: Self.columns, rows: rows)

        let depths = check.stages.map { Double($0.depth) }
        var series = [Chart.Series(label: "ρ(|map|)", x: depths, y: check.stages.map(\.rankCorrelation))]
        if first.isSigned {
            series.append(Chart.Series(label: "ρ(signed map)", x: depths, y: check.stages.map(\.signedRankCorrelation)))
        }
        let top = check.cascade.prefix(3).enumerated().map { "\($0.offset + 1) = \($0.element.name)" }.joined(separator: ", ")
        let chart = Chart(
            caption:
                "Rank correlation with the trained model's map as layers are randomised from the logits down (\(top), …): \(described)",
            xLabel: "stages randomised", yLabel: "Spearman ρ", series: series)
        return CellRun(outputs: [.images(maps, caption: rowCaption), .table(table), .chart(chart)])
    }

    /// ρ with three decimals; "undefined" when a map is constant.
    static func format(_ rho: Double) -> String {
        rho.isNaN ? "undefined (constant map)" : String(format: "%.3f", rho)
    }
}
