import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{dream}`: deep dream on a real image: gradient ascent on the L2 norm of a layer's
/// activations over octaves (`LoupeInterp`'s `Model.deepDream`). Shows the original and the
/// dreamed image side by side and a chart of the layer norm per step.
struct DreamDirective: Directive {
    static let name = "dream"
    static let summary = "Deep dream: amplify what a layer sees in an image by gradient ascent on its activations' L2 norm, over octaves from small to full size."
    static let options = [
        OptionSpec("model", .reference(.model), help: "The `{model}` cell; `defaults: model:` can supply it."),
        OptionSpec("image", .reference(.image), help: "The image cell to dream on (as the model sees it); `defaults: image:` can supply it."),
        OptionSpec("layer", .text, help: "The layer whose activations are amplified, by dotted name (`_blocks.7`, `layer3`); unknown names suggest the closest."),
        OptionSpec("octaves", .integer(1...10), default: "4", help: "Scales, smallest first, each `octave-scale` smaller than the next; 1 is the lecture's single scale."),
        OptionSpec("octave-scale", .number(1.05...4), default: "1.4", help: "Size ratio between consecutive octaves (the classic 1.4)."),
        OptionSpec("steps", .integer(0...1000), default: "10", help: "Gradient steps per octave (the lecture's 20 at one octave)."),
        OptionSpec("step", .number(0...10), default: "0.02", help: "Each step adds step · g / mean|g| to the normalised image (the lecture's 0.02)."),
        OptionSpec("jitter", .integer(0...64), default: "0", help: "Roll the image by up to this many pixels before each step and back after (seeded). 0: off."),
        OptionSpec("seed", .integer(0...Int(Int32.max)), default: "0", help: "Seeds the jitter."),
        OptionSpec("caption", .text, optional: true, help: "The caption; by default the model, layer, image, octaves and norms."),
    ]
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

    private let modelName: String
    private let imageName: String
    private let layer: String
    private let settings: DeepDreamSettings
    private let caption: String?

    init(_ options: CellOptions) throws {
        modelName = try options.reference("model")
        imageName = try options.reference("image")
        layer = try options.text("layer").trimmingCharacters(in: .whitespaces)
        var settings = DeepDreamSettings()
        settings.octaves = try options.integer("octaves")
        settings.octaveScale = Float(try options.number("octave-scale"))
        settings.steps = try options.integer("steps")
        settings.stepSize = Float(try options.number("step"))
        settings.jitter = try options.integer("jitter")
        settings.seed = UInt64(try options.integer("seed"))
        self.settings = settings
        caption = try options.optionalText("caption")
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(LoadedModel.self, named: modelName)
        let picture = try context.value(LoadedImage.self, named: imageName)
        let seen = try picture.modelView(for: loaded.model)
        let dream = try loaded.model.deepDream(seen, layer: layer, settings: settings)
        let sizes = dream.octaveSizes.map { "\($0[1])×\($0[0])" }.joined(separator: ", ")
        var how = "\(settings.octaves) octave\(settings.octaves == 1 ? "" : "s") (\(sizes)), \(settings.steps) steps each of \(format(settings.stepSize)) · g/mean|g|"
        if settings.jitter > 0 { how += ", jitter \(settings.jitter), seed \(settings.seed)" }
        let text = caption ?? "Deep dream on \(layer) of \(loaded.caption), \(picture.source): \(how); ‖\(layer)‖ \(format(dream.startNorm)) → \(format(dream.finalNorm))"
        let images = [
            try ImageOutput(seen, caption: "\(picture.source) as \(loaded.caption) sees it", alt: picture.source),
            try ImageOutput(dream.image, caption: "dreamed: \(layer) amplified", alt: "\(picture.source) after deep dream on \(layer)"),
        ]
        var series: [Chart.Series] = []
        for (octave, size) in dream.octaveSizes.enumerated() {
            let steps = dream.octaveOfStep.indices.filter { dream.octaveOfStep[$0] == octave }
            series.append(Chart.Series(label: "octave \(octave + 1): \(size[1])×\(size[0])",
                                       x: steps.map(Double.init), y: steps.map { Double(dream.norms[$0]) }))
        }
        let chart = Chart(caption: "L2 norm of \(layer)'s activations per step, \(loaded.caption), \(picture.source) (smaller octaves see a smaller map)",
                          xLabel: "step", yLabel: "‖\(layer)‖₂", series: series)
        return CellRun(outputs: [.images(images, caption: text), .chart(chart)])
    }

    private func format(_ value: Float) -> String {
        String(format: Swift.abs(value) >= 100 ? "%.0f" : "%.2f", value)
    }
}
