import Foundation
import LoupeModels
import LoupeTensor
import LoupeText

extension ValueKind {
    /// A CLIP model a `{clip}` cell loaded (``LoadedCLIP``).
    public static let clip = ValueKind(rawValue: "clip")
}

/// A CLIP model a `{clip}` cell loaded, with its tokenizer.
public struct LoadedCLIP: NotebookValue {
    /// ``ValueKind/clip``.
    public static let kind = ValueKind.clip
    /// The model.
    public let model: CLIPModel
    /// CLIP's tokenizer at the model's context length.
    public let tokenizer: CLIPTokenizer
    /// The weights path as the notebook writes it.
    public let source: String

    /// A short description for captions: the variant and the path.
    public var caption: String { "CLIP \(model.configuration.variantName) (\(source))" }
}

extension LinearActivation: ChoiceOption {}

/// `{clip} name`: loads a CLIP model from a file the user brings.
struct CLIPDirective: Directive {
    static let name = "clip"
    static let summary =
        "Loads a CLIP model from a file you bring: an OpenAI TorchScript archive (ViT-B-32.pt, RN50.pt; only its tensors are read) or an open_clip state dict (.bin, .safetensors); the variant is read from the keys and shapes."
    static let argument = ArgumentSpec.requiredName(.clip)
    static let example = """
        ```{clip} clip
        :weights: ViT-B-32.pt
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The checkpoint, relative to the notebook.")
        var weights: FilePath?
        @CellOption(help: "A CLIP installed with `loupe models install NAME --file PATH`, instead of `weights`.")
        var name: String?
        @CellOption(
            help:
                "The MLPs' activation: `quickgelu` (OpenAI's weights) or `gelu`. Unset: QuickGELU for a TorchScript archive, the `quick_gelu` of an `open_clip_config.json` beside the file, or GELU."
        )
        var activation: LinearActivation?
    }

    private let options: Options
    private let cellName: String

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        cellName = cell.name ?? ""
        guard (options.weights == nil) != (options.name == nil) else {
            throw CellError.invalid("give the CLIP as `weights` (a file) or `name` (an installed model), one of the two")
        }
    }

    func cacheKeyMaterial() throws -> [String] {
        var material = ["activation \(options.activation?.rawValue ?? "from the file")"]
        if let name = options.name {
            guard let record = try CLIPRegistry().record(named: name) else {
                throw ModelError.unknownModel(name: name, suggestions: CLIPRegistry().records().map(\.name))
            }
            material.append("installed CLIP \(name) sha256 \(record.sha256)")
        }
        return material
    }

    func run(_ context: CellContext) throws -> CellRun {
        let model =
            try options.name.map { try CLIPRegistry().load(named: $0) }
            ?? CLIPModel(weights: options.weights?.url ?? URL(fileURLWithPath: "/"), activation: options.activation)
        let source = options.name ?? options.weights?.path ?? ""
        let tokenizer = try CLIPTokenizer.pretrained(contextLength: model.configuration.contextLength, progress: context.log)
        let loaded = LoadedCLIP(model: model, tokenizer: tokenizer, source: source)
        let c = model.configuration
        let tower: String
        switch c.vision {
        case let .transformer(width, layers, patch, _): tower = "ViT: \(layers) blocks of \(width), \(patch)-pixel patches"
        case let .resnet(layers, width, _):
            tower = "modified ResNet: stages \(layers.map(String.init).joined(separator: "-")), width \(width)"
        }
        var rows = [
            ["variant", c.variantName],
            ["image tower", tower],
            ["text tower", "\(c.textLayers) causal blocks of \(c.textWidth), context \(c.contextLength), vocabulary \(c.vocabularySize)"],
            ["joint space", "\(c.embedDimension) dimensions, logit scale \(String(format: "%.2f", try model.logitScale))"],
            ["activation", "\(c.activation.rawValue): \(model.activationSource)"],
            ["input", "\(c.imageSize)×\(c.imageSize), normalised with OpenAI's mean and std"],
            ["parameters", model.network.namedParameters.reduce(0) { $0 + ($1.parameter.value?.count ?? 0) }.formatted()],
            ["SHA-256", model.sha256],
        ]
        if let note = model.metadata["note"] { rows.insert(["note from the file", note], at: 0) }
        let outputs: [CellOutput] = [
            .table(Table(caption: "CLIP \(cellName): \(source)", columns: ["Property", "Value"], rows: rows))
        ]
        return CellRun(
            outputs: outputs, value: loaded,
            provenance: CellProvenance(models: [Provenance.Model(name: source, sha256: model.sha256)]))
    }
}
