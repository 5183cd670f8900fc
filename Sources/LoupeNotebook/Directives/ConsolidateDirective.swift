import Foundation
import LoupeInterp
import LoupeModels

/// `{consolidate}`: a batch of a coupled layer's channels as groups that fire together, each
/// summarised in words and tested on held-out photos; groups nothing explains stay unlabelled.
struct ConsolidateDirective: Directive {
    static let name = "consolidate"
    static let summary =
        "Groups a coupled layer's channels by how they fire together and summarises each group in words (adaptor and SoftWPMI), with the share of its held-out activation the summary explains; groups nothing explains are listed without a label."
    static let example = """
        ```{consolidate}
        :adaptor: words15
        :texts: words
        :threshold: 0.6
        ```
        """

    struct Options: DirectiveOptions {
        var corpus = CorpusOptions()
        @CellOption(range: 0...1, help: "Groups merge while their channels' mean correlation over the probes is at least this.")
        var threshold = 0.5
        @CellOption(range: 1...10, help: "Summary texts per group.")
        var top = 3
        @CellOption(range: 1...500, help: "List at most this many groups.")
        var limit = 12
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        try options.corpus.validate()
    }

    func run(_ context: CellContext) throws -> CellRun {
        let resolved = try options.corpus.resolve(context) { Array($0.channels.indices) }
        let (fitted, corpus, vectors, selected) = (resolved.fitted, resolved.corpus, resolved.vectors, resolved.channels)
        let adaptor = fitted.adaptor
        let result: Consolidation
        do {
            result = try adaptor.consolidate(
                channels: selected, corpus: corpus, vectors: vectors, threshold: options.threshold, top: options.top)
        } catch let error as InterpError {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        let p = adaptor.provenance
        let multi = result.groups.filter { $0.channels.count > 1 }
        let shown = result.groups.prefix(options.limit)
        let table = Table(
            caption:
                "\(selected.count) channels of \(p.layer) (\(p.model)) in \(result.groups.count) groups (\(multi.count) of two or more) that fire "
                + "together (average linkage, mean correlation ≥ \(options.threshold)); \(result.explained.count) groups are explained. "
                + "Summary: the texts of \(resolved.source) the adaptor fitted on the training photos predicts excite the group's mean most; "
                + "dissection: SoftWPMI of the group's mean. Held-out: r between the group's activation and each held-out probe's "
                + "cosine with the summary, against shuffled photos' 95th percentile; explained = r². Groups nothing explains carry no label."
                + (result.groups.count > shown.count ? " The first \(shown.count) groups are listed." : "")
                + (result.dead.isEmpty ? "" : " Dead channels left out: \(result.dead.map(String.init).joined(separator: ", "))."),
            columns: ["Channels", "Cohesion", "Summary (adaptor)", "Dissection (SoftWPMI)", "Held-out r vs null", "Explained"],
            rows: shown.map { group in
                let channels =
                    group.channels.count > 8
                    ? group.channels.prefix(8).map(String.init).joined(separator: ", ") + " … (\(group.channels.count))"
                    : group.channels.map(String.init).joined(separator: ", ")
                let evidence = "\(String(format: "%.2f", group.heldOutR)) vs \(String(format: "%.2f", group.nullP95))"
                guard group.explained else {
                    return [channels, String(format: "%.2f", group.cohesion), "nothing explains it", "—", evidence, "—"]
                }
                return [
                    channels, String(format: "%.2f", group.cohesion),
                    group.summary.map { "\($0.text) (\(String(format: "%+.2f", $0.score)))" }.joined(separator: "; "),
                    group.dissection.concepts.map(\.text).joined(separator: "; "), evidence,
                    "\(Int((100 * group.explainedVariance).rounded())) %",
                ]
            })
        return CellRun(
            outputs: [.table(table)],
            provenance: CellProvenance(models: [Provenance.Model(name: fitted.embedder.name, sha256: fitted.embedder.sha256)]))
    }
}
