import ArgumentParser
import Foundation
import LoupeInterp
import LoupeModels

/// `loupe describe`: channels of a coupled layer in words, through a fitted adaptor.
struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Describe channels in words: the sentences an adaptor (from loupe couple) predicts excite each channel most.",
        discussion: """
            Each sentence's score is its predicted activation in the channel's standard deviations over the probes; \
            next to it are the corpus's median and 95th-percentile scores for the channel (what any sentence gets) \
            and the channel's evidence: held-out r, the permutation null's 95th percentile, and whether it is coupled. \
            Channels that are not coupled are described only with --all, and marked.

            Examples:
              loupe describe blocks15.safetensors --vocabulary english-20k
              loupe describe blocks15.safetensors --channels 3,17 --vocabulary imagenet --template "a photo of {}"
            """)

    @Argument(help: "An adaptor file written by loupe couple.")
    var adaptor: String

    @Option(help: "Channels to describe (3,7,58 or 0-31); default: the coupled ones, best first.")
    var channels: String?

    @Flag(help: "Also describe channels that are not coupled (marked as such).")
    var all = false

    @Option(help: "The sentences: a vocabulary (imagenet, english-20k) or a file of one sentence per line.")
    var vocabulary = "english-20k"

    @Option(help: "Wrap each concept, e.g. \"a photo of {}\" ({} is replaced by the concept).")
    var template: String?

    @Option(help: "Sentences per channel.")
    var top = 5

    @Option(help: "At most this many channels (when --channels is not given).")
    var limit = 20

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard (1...100).contains(top) else { throw ValidationError("--top must be 1…100") }
        do {
            _ = try template.map(PromptTemplate.init)
        } catch {
            throw ValidationError("--template: \(error)")
        }
    }

    func run() throws {
        do {
            let say = { (message: String) in FileHandle.standardError.write(Data("loupe: \(message)\n".utf8)) }
            let url = URL(fileURLWithPath: (adaptor as NSString).expandingTildeInPath)
            let fitted = try Adaptor(contentsOf: url)
            let embedder = try TextEmbedder(named: fitted.provenance.encoder, progress: say)
            guard embedder.sha256 == fitted.provenance.encoderSHA256 else {
                throw CouplingError.invalidAdaptor(file: adaptor, reason: "it was fitted with other weights of \(embedder.name)")
            }
            let concepts = try ConceptVocabulary.load(vocabulary, progress: say).texts
            let corpus = try template.map(PromptTemplate.init)?.sentences(concepts) ?? concepts
            let vectors = try embedder.embed(corpus).vectors
            let selected: [Int]
            if let channels {
                selected = try IndexList.parse(channels, option: "--channels")
            } else {
                let pool = all ? fitted.channels.filter { !$0.dead } : fitted.coupled
                selected = pool.sorted { $0.heldOutR > $1.heldOutR }.prefix(limit).map(\.channel)
            }
            let descriptions = try fitted.describe(channels: selected, corpus: corpus, vectors: vectors, top: top)
            if json {
                let rows = descriptions.map { d in
                    [
                        "channel": d.channel, "coupled": d.coupling.coupled, "held_out_r": d.coupling.heldOutR,
                        "null_p95": d.coupling.nullP95, "p_value": d.coupling.pValue, "corpus_median": d.corpusMedian,
                        "corpus_p95": d.corpusP95,
                        "labels": d.labels.map { ["text": $0.text, "score": $0.score, "percentile": $0.percentile] as [String: Any] },
                    ] as [String: Any]
                }
                let object: [String: Any] = [
                    "model": fitted.provenance.model, "layer": fitted.provenance.layer, "corpus": vocabulary, "channels": rows,
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                return
            }
            let p = fitted.provenance
            print(
                "\(p.model) \(p.layer): \(fitted.coupled.count) of \(fitted.channels.count) channels coupled; corpus \(vocabulary) (\(corpus.count) sentences)"
            )
            if descriptions.isEmpty { print("no channel to describe: none is coupled (use --all or --channels to see the others)") }
            for d in descriptions {
                let c = d.coupling
                print(
                    "\nchannel \(d.channel)  \(c.coupled ? "coupled" : "NOT coupled"): held-out r \(String(format: "%.3f", c.heldOutR)) vs null 95% \(String(format: "%.3f", c.nullP95)) (p \(String(format: "%.3f", c.pValue)))"
                )
                print(
                    "  baseline: corpus median \(String(format: "%+.2f", d.corpusMedian)) σ, 95th percentile \(String(format: "%+.2f", d.corpusP95)) σ"
                )
                for label in d.labels {
                    print("  \(String(format: "%+.2f", label.score)) σ  \(label.text)")
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
