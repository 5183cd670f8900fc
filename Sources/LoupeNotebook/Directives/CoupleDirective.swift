import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

extension ValueKind {
    /// A fitted adaptor between a text encoder and a layer (``FittedAdaptor``).
    public static let adaptor = ValueKind(rawValue: "adaptor")
}

/// An adaptor a `{couple}` cell fitted.
public struct FittedAdaptor: NotebookValue {
    /// ``ValueKind/adaptor``.
    public static let kind = ValueKind.adaptor
    /// The adaptor with its channels' evidence.
    public let adaptor: Adaptor
    /// The text encoder it maps from.
    public let embedder: TextEmbedder
    /// The probes it was fitted on; `nil` for an adaptor read from a file, which keeps its
    /// channels' statistics but not the probes' activations.
    public let probes: ProbeSet?
    /// The captioned photos it was fitted on; `nil` for an adaptor read from a file.
    public var captions: CouplingSet? = nil
    /// The explained model's preprocessing (to show probes as the model saw them).
    public let preprocessing: Preprocessing
}

extension ActivationSummary: ChoiceOption {}

/// `{couple} name`: the adaptor between the sentence encoder and one layer, fitted on photos
/// with captions, with each channel's held-out evidence against a permutation null — or read
/// from a file `loupe couple --out` wrote, after checking it was fitted for this model, layer
/// and encoder.
struct CoupleDirective: Directive {
    static let name = "couple"
    static let summary =
        "Fits the adaptor from sentence vectors to one layer's channel activations on captioned photos (and seeded crops), and lists the channels whose held-out correlation beats a permutation null."
    static let argument = ArgumentSpec.requiredName(.adaptor)
    static let example = """
        ```{couple} words15
        :model: net
        :layer: _blocks.15
        :captions: images/coupling/captions.json
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell whose layer is explained; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The layer, by its PyTorch dotted name.")
        var layer: String
        @CellOption(
            help:
                "A COCO captions file (`images` with `id` and `file_name`, `annotations` with `image_id` and `caption`), relative to the notebook; image files are relative to it."
        )
        var captions: FilePath?
        @CellOption(
            help:
                "Instead of `:captions:`, an adaptor file written by `loupe couple --out`: its map and its channels' statistics are used as they are, once its model weights, layer and encoder are checked; without the probes, `{describe}` shows no dissection column or example photos and `{consolidate}` needs a fit."
        )
        var file: FilePath?
        @CellOption(range: 0...64, help: "Seeded square crops per photo (a quarter to three fifths of its shorter side), after the photo.")
        var crops = 7
        @CellOption(help: "How each feature map becomes one number: its `mean` or its `max`.")
        var summary = ActivationSummary.mean
        @CellOption(range: 20...10_000, help: "Permutation draws of each channel's null (photos' captions shuffled among photos).")
        var permutations = 200
        @CellOption(range: 0...1_000_000, help: "The seed of the crops, the held-out photos, the folds and the permutations.")
        var seed = 0
        @CellOption(range: 1...200, help: "How many of the best-coupled channels to list.")
        var show = 10
        @CellOption(help: "The text encoder, from the store (`loupe models list`).")
        var encoder = ModelStore.defaultTextModel
    }

    /// Where the adaptor comes from.
    private enum Source {
        case captions(FilePath)
        case file(FilePath)
    }

    private let options: Options
    private let source: Source

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        switch (options.captions, options.file) {
        case let (captions?, nil): source = .captions(captions)
        case let (nil, file?): source = .file(file)
        case (nil, nil): throw CellError.invalid("'{couple}' needs ':captions:' (to fit the adaptor) or ':file:' (to read one)")
        case (_?, _?): throw CellError.invalid("set either ':captions:' or ':file:', not both")
        }
    }

    /// The captions file and every photo it names, by content, or the adaptor file; the
    /// encoder's weights.
    func cacheKeyMaterial() throws -> [String] {
        let entry = try ModelStore.entry(named: options.encoder)
        let encoder = "text model \(entry.name) sha256 \(entry.sha256)"
        switch source {
        case .file(let file):
            do {
                return ["adaptor file sha256 \(try FileHasher.digest(contentsOf: file.url))", encoder]
            } catch {
                throw CellError.badOption(option: "file", reason: "\(error)")
            }
        case .captions(let captions):
            let set = try couplingSet(captions)
            return ["captions sha256 \(set.sha256)", encoder]
                + (try set.photos.map { "photo \($0.lastPathComponent) sha256 \(try FileHasher.digest(contentsOf: $0))" })
        }
    }

    private func couplingSet(_ captions: FilePath) throws -> CouplingSet {
        do {
            return try CouplingSet(contentsOf: captions.url)
        } catch let error as CouplingError {
            throw CellError.badOption(option: "captions", reason: "\(error)")
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let layer = options.layer.trimmingCharacters(in: .whitespaces)
        do {
            _ = try loaded.model.layer(named: layer)
        } catch {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        }
        let embedder = try TextEmbedder(named: options.encoder, progress: context.log)
        let adaptor: Adaptor
        let probes: ProbeSet?
        var set: CouplingSet?
        switch source {
        case .file(let file):
            do {
                adaptor = try Adaptor(contentsOf: file.url)
                try adaptor.check(model: loaded.model, layer: layer, encoder: embedder, file: file.path)
            } catch let error as CouplingError {
                throw CellError.badOption(option: "file", reason: "\(error)")
            }
            probes = nil
        case .captions(let captions):
            set = try couplingSet(captions)
            (adaptor, probes) = try fit(captions, model: loaded, layer: layer, embedder: embedder, context: context)
        }
        return CellRun(
            outputs: tables(adaptor, model: loaded, layer: layer, embedder: embedder, fromFile: probes == nil),
            value: FittedAdaptor(
                adaptor: adaptor, embedder: embedder, probes: probes, captions: set, preprocessing: loaded.model.preprocessing),
            provenance: CellProvenance(
                models: [
                    Provenance.Model(name: loaded.caption, sha256: loaded.sha256),
                    Provenance.Model(name: embedder.name, sha256: embedder.sha256),
                ]))
    }

    /// The fit on the captioned photos and their crops.
    private func fit(
        _ captions: FilePath, model loaded: LoadedModel, layer: String, embedder: TextEmbedder, context: CellContext
    ) throws -> (Adaptor, ProbeSet) {
        let set = try couplingSet(captions)
        let probes: ProbeSet
        do {
            probes = try ProbeSet(files: set.photos, cropsPerPhoto: options.crops, seed: UInt64(options.seed))
        } catch {
            throw CellError.badOption(option: "captions", reason: "\(error)")
        }
        var settings = CouplingSettings()
        settings.permutations = options.permutations
        settings.seed = UInt64(options.seed)
        let adaptor: Adaptor
        do {
            adaptor = try Adaptor.fit(
                model: loaded.model, layer: layer, probes: probes, annotator: CaptionAnnotator(set), embedder: embedder,
                summary: options.summary, settings: settings, progress: context.log)
        } catch let error as InterpError {
            throw CellError.badOption(option: "captions", reason: "\(error)")
        } catch let error as CouplingError {
            throw CellError.badOption(option: "captions", reason: "\(error)")
        }
        return (adaptor, probes)
    }

    /// The layer's summary and its best-predicted channels.
    private func tables(_ adaptor: Adaptor, model loaded: LoadedModel, layer: String, embedder: TextEmbedder, fromFile: Bool)
        -> [CellOutput]
    {
        let p = adaptor.provenance
        let live = adaptor.channels.filter { !$0.dead }
        let rs = live.map(\.heldOutR).sorted()
        let median = rs.isEmpty ? 0 : rs[rs.count / 2]
        let origin: String = fromFile ? "Read from \(options.file?.path ?? "a file"): c" : "C"
        let perPhoto = p.probeCount / max(p.photoCount, 1)
        let summary = Table(
            caption:
                origin
                + "oupling \(layer) of \(loaded.caption) (\(p.summary.rawValue) of each feature map) to \(embedder.name) through "
                + "\(p.annotator): \(p.probeCount) probes (\(p.photoCount) photos × \(perPhoto)), \(p.heldOutPhotos) photos held out, "
                + "penalties by \(p.folds)-fold cross-validation on the others, \(p.permutations) permutations. "
                + "A channel is coupled when its held-out r beats its null's 95th percentile; chance alone would couple about 5 %.",
            columns: ["Channels", "Coupled", "Expected by chance", "Dead", "Median held-out r"],
            rows: [
                [
                    "\(adaptor.channels.count)",
                    "\(adaptor.coupled.count) (\(Self.percent(adaptor.coupled.count, of: adaptor.channels.count)))",
                    "≈ \(Int((0.05 * Double(live.count)).rounded()))", "\(adaptor.channels.count - live.count)",
                    String(format: "%.3f", median),
                ]
            ])
        let best = adaptor.channels.sorted { $0.heldOutR > $1.heldOutR }.prefix(options.show)
        let channels = Table(
            caption: "The \(best.count) channels of \(layer) the adaptor predicts best on held-out photos",
            columns: ["Channel", "Held-out r", "Null 95th percentile", "p", "Coupled"],
            rows: best.map {
                [
                    "\($0.channel)", String(format: "%.3f", $0.heldOutR), String(format: "%.3f", $0.nullP95),
                    String(format: "%.3f", $0.pValue), $0.coupled ? "yes" : "no",
                ]
            })
        return [.table(summary), .table(channels)]
    }

    static func percent(_ part: Int, of whole: Int) -> String {
        whole == 0 ? "0 %" : "\(Int((100 * Double(part) / Double(whole)).rounded())) %"
    }
}
