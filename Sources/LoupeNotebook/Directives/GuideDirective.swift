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

/// The two forms of guiding.
enum GuideMode: String, CaseIterable, ChoiceOption {
    /// Lower a class's response to the sentence (train the layers after the adaptor's layer).
    case suppress
    /// Make channels of the adaptor's layer respond to the sentence (train the layer itself).
    case sensitise
}

/// `{guide}`: fine-tune a model with a sentence through a coupling adaptor.
///
/// The proposal's two forms: *suppress* trains the layers after the adaptor's layer so that a class responds
/// less to the sentence; *sensitise* trains the layer so that chosen channels respond to the
/// photos the sentence describes. Both keep the rest of the model with a retention term and
/// measure the effect on held-out photos.
struct GuideDirective: Directive {
    static let name = "guide"
    static let summary =
        "Fine-tunes the model with a sentence, with a KL retention term: `suppress` trains the layers after the adaptor's layer so that a class responds less to the sentence (its pattern added to the layer, as `{steer}` adds it), and shows the class's probability on held-out photos with the sentence, with control sentences and with none; `sensitise` trains the layer so that chosen channels rise on the photos whose captions the sentence matches, and shows their activation and AUC on held-out photos. Both show the loss per step."
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
        @CellOption(help: "`suppress` (lower a class's response to the sentence) or `sensitise` (teach channels the sentence).")
        var mode = GuideMode.suppress
        @CellOption(help: "The sentence.")
        var sentence: String
        @CellOption(help: "Suppress: the class, by its label (`flamingo`) or index.")
        var `class`: String?
        @CellOption(help: "Sensitise: the channels of the adaptor's layer to teach, comma-separated.")
        var channels: String?
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
        @CellOption(range: 0.01...100, help: "Sensitise: raise the channels by this many σ on the training photos the sentence describes.")
        var raise = 1.0
        @CellOption(
            range: 0.05...0.95,
            help: "Sensitise: the share of the captioned photos the sentence describes (those whose best caption is closest to it).")
        var described = 0.25
        @CellOption(
            range: 0...32,
            help: "Sensitise: seeded crops of each training photo trained on with it (the held-out photos are measured whole).")
        var crops = 7
        @CellOption(range: 1...500, help: "Optimiser steps.")
        var steps = 30
        @CellOption("learning-rate", range: 1e-7...1, help: "The optimiser's step size.")
        var learningRate = 3e-5
        @CellOption(help: "`adam` (PyTorch's defaults) or `sgd` (momentum 0.9).")
        var optimizer = GuideOptimizer.adam
        @CellOption(range: 0...1000, help: "λ, the weight of the KL divergence to the original model's probabilities without the sentence.")
        var retention = 1.0
        @CellOption(range: 1...64, help: "Training photos per step (each runs with the pattern and without).")
        var batch = 32
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
        let guide = try SentenceGuide(model: loaded.model, layer: layer)
        var settings = GuideSettings(
            alpha: options.alpha, steps: options.steps, learningRate: Float(options.learningRate), update: options.optimizer.update,
            retention: Float(options.retention), seed: UInt64(options.seed), batchSize: options.batch, goal: options.goal)
        switch options.mode {
        case .suppress:
            return try suppress(guide, loaded: loaded, fitted: fitted, settings: settings)
        case .sensitise:
            settings.goal = options.raise
            return try sensitise(guide, loaded: loaded, fitted: fitted, settings: settings)
        }
    }

    private func suppress(_ guide: SentenceGuide, loaded: LoadedModel, fitted: FittedAdaptor, settings: GuideSettings) throws -> CellRun {
        guard let label = options.class else { throw CellError.badOption(option: "class", reason: "suppressing needs the class to lower") }
        let target: ResolvedTarget
        do {
            target = try loaded.model.resolveClass(label)
        } catch let error as InterpError {
            throw CellError.badOption(option: "class", reason: "\(error)")
        }
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
                try SentencePattern(sentence: $0, vector: $1, adaptor: fitted.adaptor)
            }
        } catch let error as InterpError {
            throw CellError.badOption(option: "adaptor", reason: "\(error)")
        }
        let run = try guide.suppress(
            target, pattern: patterns[0], controls: Array(patterns.dropFirst()), photos: photos, settings: settings)
        return CellRun(outputs: [.chart(Self.curve(run)), .table(Self.effects(run, subject: loaded.caption))])
    }

    private func sensitise(_ guide: SentenceGuide, loaded: LoadedModel, fitted: FittedAdaptor, settings: GuideSettings) throws
        -> CellRun
    {
        guard let list = options.channels else {
            throw CellError.badOption(option: "channels", reason: "sensitising needs the channels to teach, such as `12, 40`")
        }
        let channels: [Int]
        do {
            channels = try IndexList.parse(list, option: "channels")
        } catch let error as InterpError {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        guard let captions = fitted.captions else {
            throw CellError.badOption(
                option: "adaptor", reason: "sensitising needs the captioned photos the adaptor was fitted on; this one was read from a file"
            )
        }
        if options.photos != nil {
            throw CellError.badOption(
                option: "photos", reason: "sensitising uses the adaptor's captioned photos, which say what each shows")
        }
        let relevance = try captions.relevance(of: options.sentence, embedder: fitted.embedder)
        let photos = try SentenceGuide.inputs(
            captions.photos, preprocessing: loaded.model.preprocessing, crops: options.crops, seed: UInt64(options.seed))
        let run: SensitiseRun
        do {
            run = try guide.sensitise(
                channels: channels, sentence: options.sentence, relevance: relevance, adaptor: fitted.adaptor, photos: photos,
                describedFraction: options.described, settings: settings)
        } catch let InterpError.invalidParameter(message) where message.hasPrefix("choose channels") {
            throw CellError.badOption(option: "channels", reason: message)
        }
        let x = run.steps.map { Double($0.step) }
        let chart = Chart(
            caption:
                "Teaching channel\(run.channels.count == 1 ? "" : "s") \(run.channels.map(String.init).joined(separator: ", ")) of \(run.layer) "
                + "“\(run.sentence)”: \(run.keys.count) tensors of \(run.layer) trained on \(run.training.described) photos the sentence "
                + "describes and \(run.training.others) others, each with \(options.crops) seeded crops, a batch of \(settings.batchSize) per step. "
                + "Described: the batch's mean "
                + "activation of the channels (σ) on its described photos; below goal: how far the batch still is from rising "
                + "\(settings.goal) σ on them and not rising on the others (the target term); KL: the divergence from the original "
                + "model's class probabilities (weight λ = \(settings.retention)); \(settings.update), learning rate \(settings.learningRate), "
                + "seed \(settings.seed)",
            xLabel: "step", yLabel: "value",
            series: [
                Chart.Series(label: "described (σ)", x: x, y: run.steps.map(\.logProbability)),
                Chart.Series(label: "below goal", x: x, y: run.steps.map(\.target)),
                Chart.Series(label: "KL", x: x, y: run.steps.map(\.retention)),
            ])
        func format(_ value: Double) -> String { String(format: "%+.2f", value) }
        let share = Int((100 * options.described).rounded())
        let auc = String(format: "(%.3f before, %.3f after; 0.5 is chance). ", run.aucBefore, run.aucAfter)
        let agreement = String(format: "%.1f", 100 * run.agreement)
        let caption: String =
            "The channels' mean activation (in σ over the coupling probes) on held-out photos, before and after, under "
            + "\(loaded.caption). A photo is described when its best caption is among the closest \(share) % to “\(run.sentence)”. "
            + "AUC: how well the channels' activation tells the described photos from the others " + auc
            + "The held-out photos' top class agrees with the original model's on \(agreement) % of them\(Self.changed(run.changedMargins))."
        let table = Table(
            caption: caption,
            columns: ["Held-out photos", "Count", "Before (σ)", "After (σ)", "Change (σ)"],
            rows: [
                [
                    "described by the sentence", "\(run.heldOut.described)", format(run.described.before), format(run.described.after),
                    format(run.described.after - run.described.before),
                ],
                [
                    "the others", "\(run.heldOut.others)", format(run.others.before), format(run.others.after),
                    format(run.others.after - run.others.before),
                ],
            ])
        return CellRun(outputs: [.chart(chart), .table(table)])
    }

    /// "; the photo that changed had its top two classes 0.001 apart", or "" when none changed.
    static func changed(_ margins: [Double]) -> String {
        guard !margins.isEmpty else { return "" }
        let gaps = margins.map { String(format: "%.3f", $0) }.joined(separator: ", ")
        return margins.count == 1
            ? "; the photo that changed had its top two classes \(gaps) apart before"
            : "; the \(margins.count) photos that changed had their top two classes \(gaps) apart before"
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
                + "model's on \(String(format: "%.1f", 100 * run.agreement)) % of them\(Self.changed(run.changedMargins)).",
            columns: ["Sentence", "Photos", "Before", "After", "After / before"], rows: rows)
    }
}
