import Foundation
import LoupeModels

/// `{model} net`: loads a network, from the model store or from an architecture and a
/// checkpoint file.
struct ModelDirective: Directive {
    static let name = "model"
    static let summary =
        "Loads a pretrained network: a store model (downloaded and checked on first use), or an architecture with a PyTorch checkpoint."
    static let argument = ArgumentSpec.requiredName(.model)
    static let example = """
        ```{model} net
        :name: efficientnet-lite0
        ```
        """

    private let source: ModelSource
    private let cellName: String

    /// A model in the store, by name.
    struct StoreName: OptionValue {
        let name: String
        static var optionType: OptionType { .choice(ModelStore.entries.filter { $0.architecture != nil }.map(\.name)) }
        static var placeholder: StoreName { StoreName(name: ModelStore.defaultModel) }
        init(name: String) { self.name = name }
        init(optionText text: String, option: String, baseDirectory: URL) throws {
            name = text.trimmingCharacters(in: .whitespaces)
        }
        var optionText: String { name }
    }

    struct Options: DirectiveOptions {
        @CellOption(
            help:
                "A model from the store (`loupe models list`). The default when neither `name` nor `arch` is given is \(ModelStore.defaultModel)."
        )
        var name: StoreName?
        @CellOption(
            help:
                "An architecture: resnet18…152, vgg11…19 (with `_bn` for batch norm), alexnet, mobilenet_v2, efficientnet_lite0…4. With `weights`, the checkpoint to load; alone, the store's pretrained weights for it."
        )
        var arch: String?
        @CellOption(help: "A checkpoint for `arch`: PyTorch `.pth` (zip or legacy) or `.safetensors`, relative to the notebook.")
        var weights: FilePath?
    }

    init(_ cell: DirectiveCell<Options>) throws {
        cellName = cell.name ?? ""
        let options = cell.options
        do {
            source = try ModelSource(
                name: options.name?.name, architecture: options.arch, weights: options.weights.map { ($0.path, $0.url) })
        } catch ModelError.invalidSource(let reason) {
            throw CellError.invalid(reason)
        }
    }

    func cacheKeyMaterial() throws -> [String] {
        switch source {
        case let .store(entry): ["store \(entry.name) sha256 \(entry.sha256)"]
        case let .file(architecture, _, _): ["architecture \(architecture.rawValue)"]
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let model = try source.load(progress: context.log)
        let written = source.written
        let sha256: String
        switch source {
        case let .store(entry): sha256 = entry.sha256
        case let .file(_, url, _): sha256 = try FileHasher.digest(contentsOf: url)
        }
        let loaded = LoadedModel(model: model, source: written, sha256: sha256)
        let p = model.preprocessing
        let resize: String
        switch p.resize {
        case let .shorterSideThenCenterCrop(side): resize = "shorter side to \(side), centre crop \(p.size)×\(p.size)"
        case .exact: resize = "resize to \(p.size)×\(p.size)"
        }
        let table = Table(
            caption: "Model \(cellName): \(loaded.caption)",
            columns: ["Property", "Value"],
            rows: [
                ["architecture", model.architectureName],
                ["weights", written],
                ["parameters", Self.grouped(model.parameterCount)],
                ["classes", String(model.labels.count)],
                ["input", resize],
                ["normalisation", "mean \(Self.list(p.mean)), std \(Self.list(p.std))"],
            ])
        return CellRun(
            outputs: [.table(table)], value: loaded,
            provenance: CellProvenance(models: [Provenance.Model(name: written, sha256: sha256)]))
    }

    private static func grouped(_ number: Int) -> String {
        let digits = Array(String(number))
        var text = ""
        for (offset, digit) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return text
    }

    private static func list(_ values: [Float]) -> String {
        "(" + values.map { String(format: "%.3f", $0) }.joined(separator: ", ") + ")"
    }
}
