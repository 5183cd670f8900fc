import Foundation
import LoupeInterp
import LoupeModels
import LoupeTensor

/// The optimisers `{guide}` offers.
enum GuideOptimizer: String, CaseIterable, ChoiceOption {
    /// Adam with PyTorch's defaults.
    case adam
    /// SGD with momentum 0.9.
    case sgd

    var update: ParameterUpdate { self == .adam ? .adam : .sgd(momentum: 0.9) }
}

/// `{guide}`: fine-tune the layers after a coupled layer so that a class responds less to a
/// sentence (the proposal's *suppress*), keeping the rest of the model with a retention term,
/// and measure the effect on held-out photos next to control sentences.
struct GuideDirective: Directive {
    static let name = "guide"
    static let summary =
        "Fine-tunes the layers after the adaptor's layer so that a class responds less to a sentence (its pattern added to the layer, as `{steer}` adds it), with a KL retention term; shows the loss per step and the class's probability on held-out photos with the sentence, with control sentences and with none, before and after."
    static let example = """
        ```{guide}
        :model: net
        :adaptor: words15
        :sentence: a bird with pink feathers standing in water
        :class: flamingo
        :controls: a plate of food on a table; a red car on a street
        :steps: 30
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell, the one the adaptor was fitted for; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The `{couple}` cell: its layer gets the pattern, and the layers after it are trained.")
        var adaptor: CellName<FittedAdaptor>
        @CellOption(help: "The sentence whose effect on the class is lowered.")
        var sentence: String
        @CellOption(help: "The class, by its label (`flamingo`) or index.")
        var `class`: String
        @CellOption(help: "Control sentences, separated by `;`: their effect on the class should move much less.")
        var controls: String?
        @CellOption(
            help:
                "A folder of photos to train and measure on (half held out); without it, the photos the adaptor was fitted on.")
        var photos: FilePath?
        @CellOption(range: 0.01...100, help: "The strength α of the sentence's pattern added to the layer.")
        var alpha = 8.0
        @CellOption(
            range: 0.01...0.99,
            help: "Lower the class's probability with the sentence to this fraction of the original on each training photo.")
        var goal = 0.5
        @CellOption(range: 1...500, help: "Optimiser steps.")
        var steps = 30
        @CellOption("learning-rate", range: 1e-7...1, help: "The optimiser's step size.")
        var learningRate = 3e-5
        @CellOption(help: "`adam` (PyTorch's defaults) or `sgd` (momentum 0.9).")
        var optimizer = GuideOptimizer.adam
        @CellOption(range: 0...1000, help: "λ, the weight of the KL divergence to the original model's probabilities without the sentence.")
        var retention = 1.0
        @CellOption(range: 1...64, help: "Training photos per step (each runs with the pattern and without).")
        var batch = 16
        @CellOption(range: 0...1_000_000, help: "The seed of the held-out split and of the batches.")
        var seed = 0
    }

    private let options: Options
    private let controls: [String]

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        guard !options.sentence.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CellError.badOption(option: "sentence", reason: "it is empty")
        }
        controls = (options.controls ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let fitted = try context.value(options.adaptor)
        let adaptor = fitted.adaptor
        let layer = adaptor.provenance.layer
        do {
            try adaptor.check(model: loaded.model, layer: layer, encoder: fitted.embedder, file: "the adaptor \(options.adaptor.name)")
        } catch let error as CouplingError {
            throw CellError.badOption(option: "adaptor", reason: "\(error)")
        }
        let target: ResolvedTarget
        do {
            let probe = try Tensor.zeros([1, 3, 8, 8])
            target = try loaded.model.resolve(AttributionTarget(parsing: options.class, model: loaded.model), for: probe)
        } catch let error as InterpError {
            throw CellError.badOption(option: "class", reason: "\(error)")
        }
        guard target.classIndex != nil else { throw CellError.badOption(option: "class", reason: "'\(options.class)' is not a class") }
        let files: [URL]
        if let folder = options.photos {
            do {
                files = try ProbeSet(folder: folder.url).files
            } catch {
                throw CellError.badOption(option: "photos", reason: "\(error)")
            }
        } else if let probes = fitted.probes {
            files = probes.files
        } else {
            throw CellError.badOption(
                option: "photos", reason: "the adaptor was read from a file and has no photos: give a folder of photos")
        }
        let photos = try SentenceGuide.inputs(files, preprocessing: loaded.model.preprocessing)
        let vectors = try fitted.embedder.embed([options.sentence] + controls).vectors
        let patterns: [SentencePattern]
        do {
            patterns = try zip([options.sentence] + controls, vectors).map {
                try SentencePattern(sentence: $0, vector: $1, adaptor: adaptor)
            }
        } catch let error as InterpError {
            throw CellError.badOption(option: "adaptor", reason: "\(error)")
        }
        let settings = GuideSettings(
            alpha: options.alpha, steps: options.steps, learningRate: Float(options.learningRate), update: options.optimizer.update,
            retention: Float(options.retention), seed: UInt64(options.seed), batchSize: options.batch,
            goal: options.goal)
        let run = try SentenceGuide(model: loaded.model, layer: layer).suppress(
            target, pattern: patterns[0], controls: Array(patterns.dropFirst()), photos: photos, settings: settings)
        return CellRun(outputs: [.chart(Self.curve(run)), .table(Self.effects(run, subject: loaded.caption))])
    }

    /// The loss terms per step.
    static func curve(_ run: GuideRun) -> Chart {
        Chart(
            caption:
                "Fine-tuning \(run.keys.count) tensors after \(run.layer) on \(run.trainingPhotos) photos, a batch of \(run.settings.batchSize) per step: log p(class) is the batch's mean log-probability of "
                + "\(run.target.description) with “\(run.sentence)” added, lowered until each photo is at \(run.settings.goal) of its "
                + "original probability (above goal: how far above that the batch still is, the target term), and KL the divergence from "
                + "the original model without the sentence (the retention term, weight λ = \(run.settings.retention)); \(run.settings.update), learning rate "
                + "\(run.settings.learningRate), seed \(run.settings.seed)",
            xLabel: "step", yLabel: "loss term",
            series: [
                Chart.Series(
                    label: "log p(class)", x: run.steps.map { Double($0.step) }, y: run.steps.map(\.logProbability)),
                Chart.Series(label: "above goal", x: run.steps.map { Double($0.step) }, y: run.steps.map(\.target)),
                Chart.Series(label: "KL", x: run.steps.map { Double($0.step) }, y: run.steps.map(\.retention)),
            ])
    }

    /// The class's probability with each sentence, before and after, on held-out photos.
    static func effects(_ run: GuideRun, subject: String) -> Table {
        func row(_ label: String, _ effect: GuideEffect, photos: String) -> [String] {
            [
                label, photos, String(format: "%.3g", effect.before), String(format: "%.3g", effect.after),
                effect.ratio.isFinite ? String(format: "%.2f×", effect.ratio) : "–",
            ]
        }
        var rows = [
            row("“\(run.sentence)” (trained)", run.trainingEffect, photos: "\(run.trainingPhotos) training"),
            row("“\(run.sentence)”", run.effect, photos: "\(run.heldOutPhotos) held out"),
        ]
        for control in run.controls {
            rows.append(row(control.sentence.map { "control: “\($0)”" } ?? "no sentence", control, photos: "\(run.heldOutPhotos) held out"))
        }
        return Table(
            caption:
                "Mean probability of \(run.target.description) under \(subject) with each sentence's pattern added to \(run.layer) "
                + "(α = \(run.settings.alpha)), before and after fine-tuning. The held-out photos' top class agrees with the original "
                + "model's on \(String(format: "%.1f", 100 * run.agreement)) % of them.",
            columns: ["Sentence", "Photos", "Before", "After", "After / before"], rows: rows)
    }
}
