import Foundation
import LoupeInterp
import LoupeModels

extension SteeringMode: ChoiceOption {}

/// `{steer}`: guide the network with a sentence, without training — the adaptor's predicted
/// pattern of the sentence is added to the coupled layer at several strengths, next to a control,
/// and the top classes are compared.
struct SteerDirective: Directive {
    static let name = "steer"
    static let summary =
        "Steers the model with a sentence, without training: adds α × the sentence's pattern (the `{couple}` adaptor's predicted activation of each coupled channel, in the layer's units) to the layer for an image, and lists the top classes for each α next to a control sentence's."
    static let example = """
        ```{steer}
        :model: net
        :image: photo
        :adaptor: words15
        :sentence: a bird with pink feathers standing in water
        :control: a plate of food on a table
        :alphas: 0, 1, 2, 4
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell, the one the adaptor was fitted for; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        @CellOption(help: "The `{couple}` cell whose layer is steered.")
        var adaptor: CellName<FittedAdaptor>
        @CellOption(help: "The sentence to steer towards.")
        var sentence: String
        @CellOption(
            help:
                "The control: another sentence (an opposite or unrelated one), steered with the same strengths. Without it, the sentence's pattern negated."
        )
        var control: String?
        @CellOption(help: "The strengths, comma-separated (`0` is the model as it is), each between −100 and 100.")
        var alphas = "0, 1, 2, 4"
        @CellOption(
            help: "`broadcast`: the same amount at every position of a channel; `scaled`: spread like the image's own map of the channel.")
        var mode = SteeringMode.broadcast
        @CellOption(
            "all-channels",
            help:
                "Steer every live channel with the adaptor's prediction, not only the coupled ones (whose predictions beat the permutation null)."
        )
        var allChannels = false
        @CellOption(range: 1...10, help: "How many classes to list per strength.")
        var top = 3
    }

    private let options: Options
    private let alphas: [Double]

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        alphas = try Self.strengths(options.alphas)
        guard !options.sentence.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CellError.badOption(option: "sentence", reason: "it is empty")
        }
    }

    /// The strengths of a comma-separated list.
    ///
    /// - Throws: ``CellError/badOption(option:reason:)`` naming the entry that is not a number in −100…100.
    static func strengths(_ text: String) throws -> [Double] {
        let entries = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !entries.isEmpty, entries.count <= 16 else {
            throw CellError.badOption(option: "alphas", reason: "give 1 to 16 numbers, comma-separated, such as `0, 1, 2, 4`")
        }
        return try entries.map { entry in
            guard let value = Double(entry), value.isFinite, abs(value) <= 100 else {
                throw CellError.badOption(option: "alphas", reason: "'\(entry)' is not a number between −100 and 100")
            }
            return value
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let picture = try context.value(options.image)
        let fitted = try context.value(options.adaptor)
        let adaptor = fitted.adaptor
        let layer = adaptor.provenance.layer
        do {
            try adaptor.check(model: loaded.model, layer: layer, encoder: fitted.embedder, file: "the adaptor \(options.adaptor.name)")
        } catch let error as CouplingError {
            throw CellError.badOption(option: "adaptor", reason: "\(error)")
        }
        let sentences = [options.sentence] + (options.control.map { [$0] } ?? [])
        let vectors = try fitted.embedder.embed(sentences).vectors
        let patterns: (SentencePattern, SentencePattern)
        do {
            let pattern = try SentencePattern(
                sentence: options.sentence, vector: vectors[0], adaptor: adaptor, allChannels: options.allChannels)
            let control = try options.control.map {
                try SentencePattern(sentence: $0, vector: vectors[1], adaptor: adaptor, allChannels: options.allChannels)
            }
            patterns = (pattern, control ?? pattern.negated)
        } catch let error as InterpError {
            throw CellError.badOption(option: "adaptor", reason: "\(error)")
        }
        let steering = try Steering(model: loaded.model, layer: layer)
        let input = try picture.input(for: loaded.model)
        let runs = try [patterns.0, patterns.1].map {
            try steering.run($0, input: input, alphas: alphas, mode: options.mode, top: options.top)
        }
        return CellRun(outputs: [
            .table(outcome(runs, layer: layer, subject: "\(loaded.caption) for \(picture.source)")), .table(pattern(patterns.0, adaptor)),
        ])
    }

    /// The top classes per strength, sentence and control side by side.
    private func outcome(_ runs: [SteeringRun], layer: String, subject: String) -> Table {
        func cell(_ step: SteeringRun.Step) -> String {
            step.ranking.map { "\($0.label) \(String(format: "%.2f", $0.probability))" }.joined(separator: " · ")
        }
        let (sentence, control) = (runs[0], runs[1])
        let original = sentence.steps.first { $0.alpha == 0 }.flatMap { $0.ranking.first?.label }
        return Table(
            caption:
                "Steering \(layer) of \(subject): α × the pattern of each sentence (the adaptor's predicted activation of "
                + "\(sentence.pattern.channels.count) \(options.allChannels ? "live" : "coupled") channel"
                + "\(sentence.pattern.channels.count == 1 ? "" : "s"), in σ of each channel over the probes, times σ) added "
                + "\(options.mode == .broadcast ? "at every position" : "in proportion to the image's own map") of the layer; "
                + "the control is \(options.control == nil ? "the same pattern negated" : "“\(control.pattern.sentence)”"). "
                + "P(original) is the probability of the unsteered top class\(original.map { " (\($0))" } ?? "").",
            columns: ["α", "“\(options.sentence)”", "P(original)", options.control == nil ? "negated" : "control", "P(original)"],
            rows: zip(sentence.steps, control.steps).map { s, c in
                [
                    String(format: "%g", s.alpha), cell(s), String(format: "%.3f", s.originalProbability), cell(c),
                    String(format: "%.3f", c.originalProbability),
                ]
            })
    }

    /// The channels the sentence moves most, with their evidence.
    private func pattern(_ pattern: SentencePattern, _ adaptor: Adaptor) -> Table {
        let strongest = pattern.channels.sorted { abs(pattern.standardised[$0]) > abs(pattern.standardised[$1]) }.prefix(8)
        return Table(
            caption:
                "The channels “\(pattern.sentence)” moves most: its predicted activation in σ (the pattern at α = 1), and each "
                + "channel's held-out r against its permutation null",
            columns: ["Channel", "Predicted (σ)", "Held-out r", "Null 95th percentile", "Coupled"],
            rows: strongest.map { channel in
                let c = adaptor.channels[channel]
                return [
                    "\(channel)", String(format: "%+.2f", pattern.standardised[channel]), String(format: "%.3f", c.heldOutR),
                    String(format: "%.3f", c.nullP95), c.coupled ? "yes" : "no",
                ]
            })
    }
}
