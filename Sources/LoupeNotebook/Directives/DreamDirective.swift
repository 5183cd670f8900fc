import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{dream}`: deep dream on a real image: gradient ascent on the L2 norm of a layer's
/// activations over octaves (`LoupeInterp`'s `Model.deepDream`).
///
/// Shows the original and the dreamed image side by side and a chart of the layer norm per step.
struct DreamDirective: Directive {
    static let name = "dream"
    static let summary =
        "Deep dream: amplify what a layer sees in an image by gradient ascent on its activations' L2 norm, over octaves from small to full size."
    static let example = """
        ```{dream}
        :model: net
        :image: photo
        :layer: _blocks.7
        :octaves: 4
        :steps: 10
        :jitter: 8
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell to dream on (as the model sees it); `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        @CellOption(
            help: "The layer whose activations are amplified, by dotted name (`_blocks.7`, `layer3`); unknown names suggest the closest.")
        var layer: String
        @CellOption(
            range: 1...10, help: "Scales, smallest first, each `octave-scale` smaller than the next; 1 is the lecture's single scale.")
        var octaves = 4
        @CellOption("octave-scale", range: 1.05...4, help: "Size ratio between consecutive octaves (the classic 1.4).")
        var octaveScale: Float = 1.4
        @CellOption(range: 0...1000, help: "Gradient steps per octave (the lecture's 20 at one octave).")
        var steps = 10
        @CellOption(range: 0...10, help: "Each step adds step · g / mean|g| to the normalised image (the lecture's 0.02).")
        var step: Float = 0.02
        @CellOption(range: 0...64, help: "Roll the image by up to this many pixels before each step and back after (seeded). 0: off.")
        var jitter = 0
        @CellOption(range: 0...Int(Int32.max), help: "Seeds the jitter.")
        var seed = 0
        @CellOption(help: "The caption; by default the model, layer, image, octaves and norms.")
        var caption: String?
    }

    private let modelName: CellName<LoadedModel>
    private let imageName: CellName<LoadedImage>
    private let layer: String
    private let settings: DeepDreamSettings
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        imageName = options.image
        layer = options.layer.trimmingCharacters(in: .whitespaces)
        var settings = DeepDreamSettings()
        settings.octaves = options.octaves
        settings.octaveScale = options.octaveScale
        settings.steps = options.steps
        settings.stepSize = options.step
        settings.jitter = options.jitter
        settings.seed = UInt64(options.seed)
        self.settings = settings
        caption = options.caption
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let picture = try context.value(imageName)
        let seen = try picture.modelView(for: loaded.model)
        let dream = try loaded.model.deepDream(seen, layer: layer, settings: settings)
        let sizes = dream.octaveSizes.map { "\($0[1])×\($0[0])" }.joined(separator: ", ")
        var how =
            "\(settings.octaves) octave\(settings.octaves == 1 ? "" : "s") (\(sizes)), \(settings.steps) steps each of \(format(settings.stepSize)) · g/mean|g|"
        if settings.jitter > 0 { how += ", jitter \(settings.jitter), seed \(settings.seed)" }
        let text =
            caption
            ?? "Deep dream on \(layer) of \(loaded.caption), \(picture.source): \(how); ‖\(layer)‖ \(format(dream.startNorm)) → \(format(dream.finalNorm))"
        let images = [
            try ImageOutput(seen, caption: "\(picture.source) as \(loaded.caption) sees it", alt: picture.source),
            try ImageOutput(dream.image, caption: "dreamed: \(layer) amplified", alt: "\(picture.source) after deep dream on \(layer)"),
        ]
        var series: [Chart.Series] = []
        for (octave, size) in dream.octaveSizes.enumerated() {
            let steps = dream.octaveOfStep.indices.filter { dream.octaveOfStep[$0] == octave }
            series.append(
                Chart.Series(
                    label: "octave \(octave + 1): \(size[1])×\(size[0])",
                    x: steps.map(Double.init), y: steps.map { Double(dream.norms[$0]) }))
        }
        let chart = Chart(
            caption: "L2 norm of \(layer)'s activations per step, \(loaded.caption), \(picture.source) (smaller octaves see a smaller map)",
            xLabel: "step", yLabel: "‖\(layer)‖₂", series: series)
        return CellRun(outputs: [.images(images, caption: text), .chart(chart)])
    }

    private func format(_ value: Float) -> String {
        String(format: Swift.abs(value) >= 100 ? "%.0f" : "%.2f", value)
    }
}
