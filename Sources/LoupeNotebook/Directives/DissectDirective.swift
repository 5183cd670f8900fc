import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{dissect}`: CLIP-Dissect — the channels of any layer labelled with concepts by CLIP, from a
/// folder of photos with no words about them, each label with its score, its baseline, its lift
/// and a null of channels that fire on random probes.
struct DissectDirective: Directive {
    static let name = "dissect"
    static let summary =
        "CLIP-Dissect: labels a layer's channels with the concepts CLIP sees in the photos (and seeded crops) that excite each most — SoftWPMI with the channel's median over all concepts, each concept's lift on the strongest probes, and the 95th percentile of channels whose strongest probes are random."
    static let example = """
        ```{dissect}
        :model: net
        :layer: _blocks.15
        :clip: clip
        :folder: images/coupling
        :texts: words
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell whose layer is dissected; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The layer, by its PyTorch dotted name; each feature map becomes its mean.")
        var layer: String
        @CellOption(help: "The `{clip}` cell that reads the probes and the concepts.")
        var clip: CellName<LoadedCLIP>
        @CellOption(
            help:
                "A folder of .jpg, .jpeg and .png files (not its subfolders), relative to the notebook; unreadable files are skipped and listed."
        )
        var folder: String
        @CellOption(help: "The concepts: a `{concepts}` or `{embed}` cell.")
        var texts: CellName<TextList>
        @CellOption(help: "Wrap each concept, e.g. `a photo of {}`; by default the concept as written, as CLIP-Dissect does.")
        var template: String?
        @CellOption(range: 0...64, help: "Seeded square crops per photo (a quarter to three fifths of its shorter side), after the photo.")
        var crops = 7
        @CellOption(help: "Channels (`3,7,58` or `0-31`); by default the `limit` channels with the highest best score.")
        var channels: String?
        @CellOption(range: 1...500, help: "At most this many channels when `channels` is not set.")
        var limit = 8
        @CellOption(range: 1...20, help: "Concepts per channel.")
        var top = 3
        @CellOption(range: 20...10_000, help: "Random channels in the null.")
        var null = 100
        @CellOption(range: 0...12, help: "Under the table, each channel's most activating probes, crops included (0: none).")
        var examples = 4
        @CellOption(range: 0...1_000_000, help: "The seed of the crops and of the null.")
        var seed = 0
    }

    private let options: Options
    private let folder: URL
    private let template: PromptTemplate?

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        folder = OptionText.resolve(path: options.folder.trimmingCharacters(in: .whitespaces), against: cell.baseDirectory)
        do {
            template = try options.template.map(PromptTemplate.init)
        } catch {
            throw CellError.badOption(option: "template", reason: "\(error)")
        }
        if let channels = options.channels {
            do {
                _ = try IndexList.parse(channels, option: "channels")
            } catch {
                throw CellError.badOption(option: "channels", reason: "\(error)")
            }
        }
    }

    /// Every photo of the folder, by content.
    func cacheKeyMaterial() throws -> [String] {
        try probeSet().files.map { "photo \($0.lastPathComponent) sha256 \(try FileHasher.digest(contentsOf: $0))" }
    }

    private func probeSet() throws -> ProbeSet {
        let files = try ExamplesDirective.imageFiles(in: folder, written: options.folder)
        do {
            return try ProbeSet(files: files, cropsPerPhoto: options.crops, seed: UInt64(options.seed))
        } catch let error as DatasetError {
            throw CellError.badOption(option: "folder", reason: "\(error)")
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let clip = try context.value(options.clip)
        let list = try context.value(options.texts)
        let layer = options.layer.trimmingCharacters(in: .whitespaces)
        let probes = try probeSet()
        let activations: ProbeActivations
        do {
            let computed = try ProbeActivations.compute(model: loaded.model, layers: [layer], probes: probes) { done, total in
                if done == total || done % 256 < 16 { context.log("activations of \(layer): \(done)/\(total) probes") }
            }
            guard let found = computed[layer] else { throw CellError.badOption(option: "layer", reason: "no activations for \(layer)") }
            activations = found
        } catch let error as ModelError {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        } catch let error as InterpError {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        }
        let annotator = CLIPAnnotator(model: clip.model, tokenizer: clip.tokenizer)
        let concepts: (vectors: [[Float]], truncated: [String])
        do {
            concepts = try annotator.conceptVectors(list.texts, template: template)
        } catch let error as ModelError {
            throw CellError.badOption(option: "texts", reason: "\(error)")
        }
        let images = try annotator.imageVectors(for: probes) { done, total in
            if done == total || done % 256 < 16 { context.log("CLIP image vectors: \(done)/\(total) probes") }
        }
        let channels = activations.channels
        let selected: [Int]
        do {
            selected = try options.channels.map { try IndexList.parse($0, option: "channels") } ?? Array(0..<channels)
        } catch {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        let layerLabels: Dissection.LayerLabels
        do {
            layerLabels = try Dissection.labels(
                channels: selected, concepts: list.texts,
                probabilities: Dissection.ConceptProbabilities(probeVectors: images, conceptVectors: concepts.vectors),
                activations: activations.values(.mean), channels: channels, top: options.top, nullDraws: options.null,
                photos: probes.photoOfProbe, seed: UInt64(options.seed))
        } catch let error as InterpError {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        let shown =
            options.channels == nil
            ? Array(
                layerLabels.labels.sorted { a, b in
                    let (x, y) = (a.concepts.first?.score ?? -.infinity, b.concepts.first?.score ?? -.infinity)
                    return x != y ? x > y : a.channel < b.channel
                }.prefix(options.limit)) : layerLabels.labels
        let perPhoto = probes.probesPerPhoto
        let framed = template.map { " in \"\($0.text)\"" } ?? ""
        let which =
            options.channels == nil
            ? "The \(shown.count) of \(channels) channels with the highest best score." : "The \(shown.count) channels asked for."
        let table = Table(
            caption:
                "CLIP-Dissect of \(layer) (\(loaded.caption)) with \(clip.caption): concepts from \(list.source) (\(list.texts.count))\(framed) "
                + "ranked by SoftWPMI between each channel's mean activation over \(probes.probes.count) probes (\(probes.files.count) photos "
                + "× \(perPhoto)) and CLIP's probability of each concept for each probe (softmax of 10 × the image–text cosine), "
                + "top-k \(layerLabels.topK). Lift: the concept's mean probability on the channel's \(layerLabels.topK) strongest probes "
                + "over its mean on all probes. Baseline: the channel's median score over all concepts. Null: the best score of "
                + "\(layerLabels.nullDraws) channels that fire on random photos, each in the place of one of the layer's; its 95th percentile is "
                + "\(String(format: "%.2f", layerLabels.nullP95)), and \(layerLabels.beatingNull) of \(channels) channels beat it. "
                + which,
            columns: ["Channel", "Concepts (SoftWPMI, lift)", "Median", "Against the null"],
            rows: shown.map { label in
                [
                    "\(label.channel)",
                    label.concepts.map { c in
                        "\(c.text) (\(String(format: "%.2f", c.score)), ×\(c.lift.map { String(format: "%.1f", $0) } ?? "—"))"
                    }.joined(separator: "; "),
                    String(format: "%.2f", label.median),
                    label.beatsNull ? "beats it" : "within chance",
                ]
            })
        var outputs: [CellOutput] = [.table(table)]
        if !concepts.truncated.isEmpty {
            outputs.append(.text("Cut to CLIP's context: " + concepts.truncated.map { "\"\($0)\"" }.joined(separator: ", ")))
        }
        if !probes.skipped.isEmpty {
            outputs.append(
                .text("Skipped: " + probes.skipped.map { "\($0.file.lastPathComponent) (\($0.reason))" }.joined(separator: "; ")))
        }
        if options.examples > 0 {
            let values = activations.values(.mean)
            for label in shown {
                let column = (0..<probes.probes.count).map { Double(values[$0 * channels + label.channel]) }
                let mean = column.reduce(0, +) / Double(column.count)
                let std = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count)).squareRoot()
                let words = label.concepts.map(\.text).joined(separator: ", ")
                outputs += try ExamplesDirective.strongestPhotos(
                    of: label.channel, probes: probes, count: options.examples, preprocessing: loaded.model.preprocessing,
                    value: { Float(column[$0]) }, sigma: { std > 0 ? (Double($0) - mean) / std : 0 },
                    caption: "Channel \(label.channel) (\(words); \(label.beatsNull ? "beats the null" : "within chance"))", crops: true)
            }
        }
        return CellRun(
            outputs: outputs,
            provenance: CellProvenance(
                models: [
                    Provenance.Model(name: loaded.caption, sha256: loaded.sha256),
                    Provenance.Model(name: clip.source, sha256: clip.model.sha256),
                ]))
    }
}
