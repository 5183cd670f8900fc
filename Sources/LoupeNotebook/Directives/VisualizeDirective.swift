import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{visualize}`: an image the model finds maximally "flamingo" (or maximally exciting for one
/// channel, neuron or direction), by gradient ascent from seeded noise (`LoupeInterp`'s
/// `Model.visualize`): the lecture's pixel version or Lucid's Fourier parameterisation with
/// robustness transforms.
///
/// Shows the image and a chart of the objective per step.
struct VisualizeDirective: Directive {
    static let name = "visualize"
    static let summary =
        "Class or feature visualisation by activation maximisation: Adam on the pixels (the lecture's) or on Lucid's decorrelated Fourier image, with optional jitter, scale, rotation, blur and total variation."
    static let example = """
        ```{visualize}
        :model: net
        :target: flamingo
        :parameterization: fourier
        :jitter: 8
        :scale: 0.1
        :rotate: 10
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(
            help:
                "What to maximise: a class index (`130`), a class label (`flamingo`), `layer:channel` (mean activation), `layer:channel:y:x` or `layer:channel:center` (one neuron), or `layer:w0,w1,…` (a direction, one weight per channel). Leave out to give `sentence`."
        )
        var target: String?
        @CellOption(
            help:
                "Instead of `target`: a sentence, mapped by `adaptor` onto its layer; the objective is the mean over positions of the dot product of the layer's activations with the sentence's pattern (its predicted activation of each coupled channel, times the channel's σ) — the network's picture of the sentence."
        )
        var sentence: String?
        @CellOption(help: "With `sentence`: the `{couple}` cell whose adaptor maps it onto its layer.")
        var adaptor: CellName<FittedAdaptor>?
        @CellOption(range: 1...10_000, help: "Adam steps.")
        var steps = 100
        @CellOption(range: 1e-6...100, help: "Adam's learning rate (betas 0.9, 0.999, eps 1e-8, as PyTorch).")
        var lr: Float = 0.05
        @CellOption(
            range: 0...Int(Int32.max), help: "Seeds the starting noise and the transforms' draws; the same seed gives the same image.")
        var seed = 0
        @CellOption(
            help:
                "`pixel`: the normalised input itself, from 0.1·N(0, 1) (the lecture's); `fourier`: Lucid's 1/f-scaled spectrum, colour-decorrelated, through a sigmoid."
        )
        var parameterization = ImageParameterization.pixel
        @CellOption(
            range: 0...100, help: "Weight of Σx² over the normalised input. Default: 1e-3 for `pixel` (the lecture's), 0 for `fourier`.")
        var l2: Float?
        @CellOption(
            range: 0...64,
            help:
                "Pixels of random shift: pads by 1.5× this (grey), crops by this first and by half of it last (Lucent's pad 12, jitter 8, jitter 4 for 8). 0: off."
        )
        var jitter = 0
        @CellOption(range: 0...0.5, help: "Random scaling by 1 ± this (11 even steps; Lucent's 0.1). 0: off.")
        var scale: Float = 0
        @CellOption(range: 0...180, help: "Random rotation by whole degrees up to ± this, 0° five times more often (Lucent's 10). 0: off.")
        var rotate = 0
        @CellOption(range: 0...10_000, help: "`pixel` only: blur the image every this many steps (Gaussian, `blur-sigma`). 0: off.")
        var blur = 0
        @CellOption("blur-sigma", range: 0.1...10, help: "The blur's standard deviation in pixels.")
        var blurSigma: Float = 0.5
        @CellOption(range: 0...1000, help: "Weight of the picture's total variation (mean |∂x| + |∂y| per pixel, picture in 0…1). 0: off.")
        var tv: Float = 0
        @CellOption(range: 16...1024, help: "Side of the square image in pixels. Default: the model's input size.")
        var size: Int?
        @CellOption(help: "The caption; by default the model, target, method, settings and the objective's start and end.")
        var caption: String?
    }

    /// What the cell maximises.
    private enum Goal {
        case target(String)
        case sentence(String, adaptor: CellName<FittedAdaptor>)
    }

    private let modelName: CellName<LoadedModel>
    private let goal: Goal
    private let settings: VisualizationSettings
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        switch (options.target?.trimmingCharacters(in: .whitespaces), options.sentence, options.adaptor) {
        case let (target?, nil, nil): goal = .target(target)
        case let (nil, sentence?, adaptor?):
            guard !sentence.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CellError.badOption(option: "sentence", reason: "it is empty")
            }
            goal = .sentence(sentence, adaptor: adaptor)
        case (nil, _?, nil): throw CellError.invalid("':sentence:' needs ':adaptor:', the `{couple}` cell that maps it onto a layer")
        case (nil, nil, _): throw CellError.invalid("'{visualize}' needs ':target:' or ':sentence:' with ':adaptor:'")
        case (_?, _, _): throw CellError.invalid("set either ':target:' or ':sentence:' (with ':adaptor:'), not both")
        }
        var settings = VisualizationSettings()
        settings.steps = options.steps
        settings.learningRate = options.lr
        settings.seed = UInt64(options.seed)
        settings.parameterization = options.parameterization
        settings.l2 = options.l2 ?? (settings.parameterization == .pixel ? 1e-3 : 0)
        settings.transforms = ImageTransform.pipeline(jitter: options.jitter, scale: options.scale, rotate: options.rotate)
        settings.blurEvery = options.blur
        settings.blurSigma = options.blurSigma
        if settings.blurEvery > 0, settings.parameterization != .pixel {
            throw CellError.badValue(
                option: "blur", value: String(settings.blurEvery), expected: "0 with `parameterization: fourier` (blur applies to pixels)")
        }
        settings.totalVariation = options.tv
        settings.size = options.size
        self.settings = settings
        caption = options.caption
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let model = loaded.model
        let (objective, name) = try self.objective(model: loaded, context: context)
        let result = try model.visualize(objective, settings: settings)
        let isLogit = objective.needsLogits && objective.terms.count == 1
        let quantity = isLogit ? "logit" : "objective"
        let text =
            caption
            ?? "\(method) of \(name) in \(loaded.caption): \(details)\(cropNote(model)); \(quantity) \(format(result.startValue)) at the start, \(format(result.imageValue)) for this image"
        let image = try ImageOutput(result.image, caption: text, alt: "Generated image maximising \(name) in \(loaded.caption)")
        let chart = Chart(
            caption:
                "\(quantity.prefix(1).uppercased() + quantity.dropFirst()) per Adam step: \(name), \(loaded.caption), \(settings.parameterization) parameterisation, seed \(settings.seed)",
            xLabel: "step", yLabel: quantity,
            series: [Chart.Series(label: name, values: result.values.map(Double.init))])
        return CellRun(outputs: [.image(image), .chart(chart)])
    }

    /// The objective and how captions name it.
    private func objective(model loaded: LoadedModel, context: CellContext) throws -> (VisualizationObjective, String) {
        switch goal {
        case .target(let target):
            let objective = try VisualizationObjective(parsing: target, model: loaded.model)
            return (objective, "\(objective)")
        case let .sentence(sentence, adaptorName):
            let fitted = try context.value(adaptorName)
            let adaptor = fitted.adaptor
            let layer = adaptor.provenance.layer
            let pattern: SentencePattern
            do {
                try adaptor.check(model: loaded.model, layer: layer, encoder: fitted.embedder, file: "the adaptor \(adaptorName.name)")
                pattern = try SentencePattern(
                    sentence: sentence, vector: try fitted.embedder.embed([sentence]).vectors[0], adaptor: adaptor)
            } catch let error as CouplingError {
                throw CellError.badOption(option: "adaptor", reason: "\(error)")
            } catch let error as InterpError {
                throw CellError.badOption(option: "adaptor", reason: "\(error)")
            }
            return (
                VisualizationObjective(.direction(layer: layer, weights: pattern.values)),
                "“\(sentence)” through \(layer) (\(pattern.channels.count) coupled channels)"
            )
        }
    }

    private var method: String {
        settings.parameterization == .pixel ? "Class visualisation (pixels)" : "Feature visualisation (Fourier, decorrelated)"
    }

    /// For a model of one input size, the crop that ends the transforms.
    private func cropNote(_ model: Model) -> String {
        guard model.fixedInputSize, !settings.transforms.isEmpty else { return "" }
        return ", centre crop \(model.preprocessing.size) (the model reads that size only)"
    }

    private var details: String {
        var parts = ["\(settings.steps) Adam steps, lr \(format(settings.learningRate))", "seed \(settings.seed)"]
        if settings.l2 > 0 { parts.append("L2 \(format(settings.l2))") }
        if !settings.transforms.isEmpty { parts.append(settings.transforms.map(\.description).joined(separator: ", ")) }
        if settings.blurEvery > 0 { parts.append("blur σ \(format(settings.blurSigma)) every \(settings.blurEvery) steps") }
        if settings.totalVariation > 0 { parts.append("TV \(format(settings.totalVariation))") }
        if let size = settings.size { parts.append("\(size)×\(size)") }
        return parts.joined(separator: ", ")
    }

    private func format(_ value: Float) -> String {
        if value != 0, Swift.abs(value) < 0.01 { return String(format: "%g", value) }
        return String(format: "%.2f", value)
    }
}
