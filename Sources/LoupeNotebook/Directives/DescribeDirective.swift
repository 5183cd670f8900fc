import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{describe}`: channels of a coupled layer in words — the sentences of a corpus the adaptor
/// predicts excite each most, with scores, the corpus's baseline and the channel's evidence.
struct DescribeDirective: Directive {
    static let name = "describe"
    static let summary =
        "Describes channels through a `{couple}` adaptor: the texts of a corpus with the largest predicted activation, each with its score in standard deviations, next to the corpus's median and 95th percentile and the channel's held-out evidence."
    static let example = """
        ```{describe}
        :adaptor: words15
        :texts: words
        :template: a photo of {}
        :top: 5
        ```
        """

    struct Options: DirectiveOptions {
        var corpus = CorpusOptions()
        @CellOption(range: 1...50, help: "Texts per channel.")
        var top = 5
        @CellOption(range: 1...500, help: "At most this many channels when `channels` is not set (the coupled ones, best first).")
        var limit = 8
        @CellOption(range: 0...12, help: "Under the table, each channel's most activating photos among the probes (0: none).")
        var examples = 4
        @CellOption(
            help:
                "A `{clip}` cell: the dissection column reads the probes with CLIP's image tower and the texts with its text tower (CLIP-Dissect proper) instead of the probes' captions and the sentence encoder."
        )
        var clip: CellName<LoadedCLIP>?
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        try options.corpus.validate()
    }

    func run(_ context: CellContext) throws -> CellRun {
        let limit = options.limit
        let resolved = try options.corpus.resolve(context) { adaptor in
            adaptor.coupled.sorted { $0.heldOutR > $1.heldOutR }.prefix(limit).map(\.channel)
        }
        let (fitted, corpus, vectors, selected) = (resolved.fitted, resolved.corpus, resolved.vectors, resolved.channels)
        let adaptor = fitted.adaptor
        let described: [ChannelDescription]
        do {
            described = try adaptor.describe(channels: selected, corpus: corpus, vectors: vectors, top: options.top)
        } catch let error as InterpError {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        let dissected: [Int: DissectionLabel]
        do {
            let labels: [DissectionLabel]
            if let name = options.clip {
                labels = try clipDissection(
                    channels: selected, fitted: fitted, corpus: corpus, clip: try context.value(name), context: context)
            } else {
                labels = try adaptor.evidence?.dissect(channels: selected, concepts: corpus, vectors: vectors) ?? []
            }
            dissected = Dictionary(uniqueKeysWithValues: labels.map { ($0.channel, $0) })
        } catch let error as InterpError {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        let p = adaptor.provenance
        let corpusName = resolved.source
        let table = Table(
            caption:
                "Channels of \(p.layer) (\(p.model)) in words: the \(options.top) texts of \(corpusName) (\(corpus.count)) with the largest "
                + "predicted activation through the adaptor, in the channel's standard deviations over the probes (σ). Baseline: what the "
                + "corpus's median and 95th-percentile texts get. Evidence: the held-out r against the permutation null's 95th percentile. "
                + "Dissection: the same texts ranked by SoftWPMI (CLIP-Dissect's score) between the channel's activations over the probes "
                + (options.clip == nil
                    ? "and each probe's text probabilities from its captions"
                    : "and each probe's text probabilities as CLIP sees the probe")
                + ", next to the channel's median score over all texts and whether the best beats the 95th percentile of channels "
                + "that fire on random photos (✓)."
                + (described.isEmpty ? " No channel is coupled, so none is described." : ""),
            columns: ["Channel", "Evidence", "Baseline", "Texts (predicted σ)", "Dissection (SoftWPMI)"],
            rows: described.map { d in
                let c = d.coupling
                return [
                    "\(d.channel)",
                    "\(c.coupled ? "coupled" : "not coupled"): r \(String(format: "%.2f", c.heldOutR)) vs \(String(format: "%.2f", c.nullP95))",
                    "median \(String(format: "%+.2f", d.corpusMedian)), 95 % \(String(format: "%+.2f", d.corpusP95))",
                    d.labels.map { "\($0.text) (\(String(format: "%+.2f", $0.score)))" }.joined(separator: "; "),
                    dissected[d.channel].map { label in
                        label.concepts.map { "\($0.text) (\(String(format: "%.1f", $0.score)))" }.joined(separator: "; ")
                            + "; median \(String(format: "%.1f", label.median))" + (label.beatsNull ? " ✓" : "")
                    } ?? "—",
                ]
            })
        var outputs: [CellOutput] = [.table(table)]
        if options.examples > 0, let evidence = adaptor.evidence, let probes = fitted.probes {
            for d in described {
                outputs += try examples(of: d, fitted: fitted, probes: probes, evidence: evidence)
            }
        }
        return CellRun(
            outputs: outputs,
            provenance: CellProvenance(models: [Provenance.Model(name: fitted.embedder.name, sha256: fitted.embedder.sha256)]))
    }

    /// CLIP-Dissect on the adaptor's probes: CLIP's image vector of every probe against its text
    /// vectors of the corpus.
    private func clipDissection(
        channels selected: [Int], fitted: FittedAdaptor, corpus: [String], clip: LoadedCLIP, context: CellContext
    ) throws -> [DissectionLabel] {
        guard let probes = fitted.probes, let evidence = fitted.adaptor.evidence else {
            throw CellError.badOption(option: "clip", reason: "the adaptor was read from a file and keeps no probes for CLIP to read")
        }
        let annotator = CLIPAnnotator(model: clip.model, tokenizer: clip.tokenizer)
        let concepts: [[Float]]
        do {
            concepts = try annotator.conceptVectors(corpus).vectors
        } catch let error as ModelError {
            throw CellError.badOption(option: "texts", reason: "\(error)")
        }
        let images = try annotator.imageVectors(for: probes) { done, total in
            if done == total || done % 256 < 16 { context.log("CLIP image vectors: \(done)/\(total) probes") }
        }
        return try evidence.dissect(
            channels: selected, concepts: corpus,
            probabilities: Dissection.ConceptProbabilities(probeVectors: images, conceptVectors: concepts))
    }

    /// The whole photos that excite the channel most, as the model saw them, small.
    private func examples(
        of d: ChannelDescription, fitted: FittedAdaptor, probes: ProbeSet, evidence: CouplingEvidence
    ) throws -> [CellOutput] {
        let mean = fitted.adaptor.activationMean[d.channel], std = fitted.adaptor.activationStd[d.channel]
        let words = d.labels.prefix(3).map(\.text).joined(separator: ", ")
        return try ExamplesDirective.strongestPhotos(
            of: d.channel, probes: probes, count: options.examples, preprocessing: fitted.preprocessing,
            value: { evidence.activations[$0 * evidence.channels + d.channel] }, sigma: { (Double($0) - mean) / std },
            caption: "Channel \(d.channel) (\(d.coupling.coupled ? "coupled" : "not coupled"), described as \(words))")
    }
}
