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
            dissected = Dictionary(
                uniqueKeysWithValues: try (adaptor.evidence?.dissect(channels: selected, concepts: corpus, vectors: vectors) ?? []).map {
                    ($0.channel, $0)
                })
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
                + "and each probe's text probabilities, next to the channel's median score over all texts."
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
                            + "; median \(String(format: "%.1f", label.median))"
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

    /// The whole photos that excite the channel most, as the model saw them, small.
    private func examples(
        of d: ChannelDescription, fitted: FittedAdaptor, probes: ProbeSet, evidence: CouplingEvidence
    ) throws -> [CellOutput] {
        let whole = probes.probes.indices.filter { probes.probes[$0].crop == nil }
        let value = { (probe: Int) in evidence.activations[probe * evidence.channels + d.channel] }
        let best = whole.sorted { value($0) != value($1) ? value($0) > value($1) : $0 < $1 }.prefix(options.examples)
        let mean = fitted.adaptor.activationMean[d.channel], std = fitted.adaptor.activationStd[d.channel]
        let images = try best.map { probe in
            let file = probes.files[probes.probes[probe].photo]
            let seen = try fitted.preprocessing.preparedImage(from: try RGBImage(contentsOf: file))
            let small = try seen.resized(width: 112, height: 112)
            let sigma = (Double(value(probe)) - mean) / std
            return try ImageOutput(
                small, caption: "\(file.lastPathComponent): \(String(format: "%+.1f", sigma)) σ",
                alt: "\(file.lastPathComponent), among the photos that excite channel \(d.channel) most")
        }
        let words = d.labels.prefix(3).map(\.text).joined(separator: ", ")
        return ExamplesDirective.rows(
            images,
            caption:
                "Channel \(d.channel) (\(d.coupling.coupled ? "coupled" : "not coupled"), described as \(words)): the \(images.count) of "
                + "\(whole.count) photos it responds to most (its activation in σ over all probes)")
    }
}
