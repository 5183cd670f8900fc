import ArgumentParser
import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import LoupeText

struct CLIPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "CLIP from a file you bring: image and text embeddings, zero-shot classification.",
        discussion: """
            Reads OpenAI's TorchScript archives (ViT-B-32.pt, RN50.pt; only the tensors are read, no code in \
            the archive runs) and open_clip state dicts (open_clip_pytorch_model.bin, .safetensors). The variant \
            (ViT-B/32, B/16, L/14, RN50, RN101, …) is read from the keys and shapes. OpenAI's weights use \
            QuickGELU, open_clip's own mostly GELU: a TorchScript archive gets QuickGELU, a state dict the \
            quick_gelu of an open_clip_config.json beside it, or GELU; --activation decides otherwise.

            Examples:
              loupe clip classify --weights ViT-B-32.pt --image dog.jpg --labels "dog,cat,car"
              loupe clip embed --weights open_clip_pytorch_model.bin --activation gelu --image a.png --text "a dog" --json
            """,
        subcommands: [CLIPEmbed.self, CLIPClassify.self])
}

/// The weights options every `loupe clip` subcommand takes.
struct CLIPWeightsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The CLIP checkpoint: an OpenAI TorchScript archive or an open_clip state dict.", valueName: "path"))
    var weights: String?

    @Option(help: ArgumentHelp("A CLIP installed with `loupe models install NAME --file PATH`, instead of --weights.", valueName: "name"))
    var model: String?

    @Option(help: "The MLPs' activation: quickgelu (OpenAI's weights) or gelu; read from the file when not given.")
    var activation: LinearActivation?

    func validate() throws {
        guard (weights == nil) != (model == nil) else {
            throw ValidationError("give the CLIP as --weights PATH or --model NAME, one of the two")
        }
    }

    /// The model, loaded strictly (an installed one checked against its recorded SHA-256).
    func load() throws -> CLIPModel {
        if let model { return try CLIPRegistry().load(named: model) }
        return try CLIPModel(weights: URL(fileURLWithPath: ((weights ?? "") as NSString).expandingTildeInPath), activation: activation)
    }

    /// CLIP's tokenizer at the model's context length, fetched into the store on first use.
    func tokenizer(for model: CLIPModel) throws -> CLIPTokenizer {
        try CLIPTokenizer.pretrained(contextLength: model.configuration.contextLength) { message in
            FileHandle.standardError.write(Data("loupe: \(message)\n".utf8))
        }
    }

    /// The preprocessed images `[N, 3, S, S]`, each error naming its file.
    func images(_ paths: [String], for model: CLIPModel, asIs: Bool) throws -> Tensor {
        let inputs = try paths.map { path in
            do {
                let image = try RGBImage(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))
                return try model.preprocessing.input(from: image, fit: asIs ? .asIs : .crop).tensor
            } catch {
                throw FileError(path: path, underlying: error)
            }
        }
        return try Tensor.concatenate(inputs, axis: 0)
    }
}

extension LinearActivation: ExpressibleByArgument {}

struct CLIPEmbed: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Image and text embeddings (un-normalised, as encode_image and encode_text), and their cosines.")

    @OptionGroup var model: CLIPWeightsOptions

    @Option(help: ArgumentHelp("An image (JPEG or PNG); repeat for more.", valueName: "path"))
    var image: [String] = []

    @Option(help: ArgumentHelp("A text; repeat for more.", valueName: "text"))
    var text: [String] = []

    @Flag(help: "Use images that already have the model's input size as they are (only normalise).")
    var noResize = false

    @Flag(help: "Print one JSON object: the model, the logit scale, every image's and text's embedding and tokens.")
    var json = false

    func validate() throws {
        guard !image.isEmpty || !text.isEmpty else { throw ValidationError("give at least one --image or --text") }
    }

    func run() throws {
        do {
            let clip = try model.load()
            let tokenizer = text.isEmpty ? nil : try model.tokenizer(for: clip)
            let imageEmbeddings = image.isEmpty ? nil : try clip.imageEmbeddings(try model.images(image, for: clip, asIs: noResize))
            let encoded = tokenizer.map { tokenizer in text.map(tokenizer.encode) } ?? []
            let textEmbeddings = encoded.isEmpty ? nil : try clip.textEmbeddings(encoded.map(\.ids))
            for (index, tokens) in encoded.enumerated() where tokens.isTruncated {
                FileHandle.standardError.write(
                    Data(
                        "loupe: text \(index + 1) has \(tokens.untruncatedCount) tokens, more than the model's \(clip.configuration.contextLength); its embedding describes its beginning\n"
                            .utf8))
            }
            let imageRows = try imageEmbeddings.map(Self.rows) ?? []
            let textRows = try textEmbeddings.map(Self.rows) ?? []
            let images = try imageEmbeddings.map { try Self.rows(try CLIPModel.unitRows($0)) } ?? []
            let texts = try textEmbeddings.map { try Self.rows(try CLIPModel.unitRows($0)) } ?? []
            if json {
                let context = clip.configuration.contextLength
                let object: [String: Any] = [
                    "model": Self.describe(clip), "logit_scale": Double(try clip.logitScale),
                    "images": zip(image, imageRows).map { ["path": $0.0, "embedding": $0.1.map(Double.init)] },
                    "texts": zip(zip(text, encoded), textRows).map { pair, row in
                        [
                            "text": pair.0, "tokens": pair.1.ids + Array(repeating: 0, count: context - pair.1.ids.count),
                            "truncated": pair.1.isTruncated, "embedding": row.map(Double.init),
                        ] as [String: Any]
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print(
                "\(clip.name): CLIP \(clip.configuration.variantName), \(clip.configuration.activation.rawValue) (\(clip.activationSource))"
            )
            if !images.isEmpty, !texts.isEmpty {
                print("cosine similarity (rows: images, columns: texts)")
                for (path, row) in zip(image, images) {
                    let cosines = texts.map { t in zip(row, t).reduce(0) { $0 + $1.0 * $1.1 } }
                    print("  \(path): " + cosines.map { String(format: "%.4f", $0) }.joined(separator: "  "))
                }
            } else {
                print("\(images.count + texts.count) embedding(s) of \(clip.configuration.embedDimension); use --json to print them")
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    static func rows(_ x: Tensor) throws -> [[Float]] {
        let (count, width) = (x.shape[0], x.shape[1])
        let values = try x.scalars
        return (0..<count).map { Array(values[($0 * width)..<(($0 + 1) * width)]) }
    }

    /// The model's shape for JSON output.
    static func describe(_ clip: CLIPModel) -> [String: Any] {
        let c = clip.configuration
        var object: [String: Any] = [
            "name": clip.name, "variant": c.variantName, "embed_dim": c.embedDimension, "image_size": c.imageSize,
            "context_length": c.contextLength, "vocab_size": c.vocabularySize, "text_width": c.textWidth, "text_layers": c.textLayers,
            "activation": c.activation.rawValue, "activation_source": clip.activationSource, "sha256": clip.sha256,
        ]
        switch c.vision {
        case let .transformer(width, layers, patch, _):
            object["kind"] = "vit"
            object["vision"] = ["width": width, "layers": layers, "patch_size": patch]
        case let .resnet(layers, width, _):
            object["kind"] = "resnet"
            object["vision"] = ["layers": layers, "width": width]
        }
        return object
    }
}

struct CLIPClassify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "classify",
        abstract: "Zero-shot classification: the probability of each label for each image.")

    @OptionGroup var model: CLIPWeightsOptions

    @Option(help: ArgumentHelp("An image (JPEG or PNG); repeat for more.", valueName: "path"))
    var image: [String] = []

    @Option(help: ArgumentHelp("The labels, comma-separated.", valueName: "a,b,c"))
    var labels: String

    @Option(
        help: ArgumentHelp(
            "A prompt frame with {} for the label; repeat to average several; openai-80 or openai-7 for OpenAI's ImageNet templates.",
            valueName: "text"))
    var template: [String] = []

    @Option(help: "Labels to show per image.")
    var top = 5

    @Flag(help: "Print one JSON object: per image, every label's probability.")
    var json = false

    func validate() throws {
        guard !image.isEmpty else { throw ValidationError("give at least one --image") }
        guard top >= 1 else { throw ValidationError("--top must be at least 1") }
    }

    func run() throws {
        do {
            let names = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            let templates = try ZeroShotPrompts.templates(template.isEmpty ? ["a photo of a {}."] : template) {
                FileHandle.standardError.write(Data("loupe: \($0)\n".utf8))
            }
            let clip = try model.load()
            let classifier = try ZeroShotClassifier(
                model: clip, tokenizer: try model.tokenizer(for: clip), labels: names, templates: templates)
            for prompt in classifier.truncatedPrompts {
                FileHandle.standardError.write(Data("loupe: the prompt \"\(prompt.prefix(60))…\" was cut to the model's context\n".utf8))
            }
            let zeroShot = try clip.zeroShotModel(classifier)
            let logits = try GradMode.withoutGrad { try zeroShot(try model.images(image, for: clip, asIs: false)) }
            let probabilities = try CLIPEmbed.rows(try logits.softmax(axis: 1))
            if json {
                let object: [String: Any] = [
                    "model": CLIPEmbed.describe(clip), "labels": names, "templates": templates.map(\.text),
                    "images": zip(image, probabilities).map { ["path": $0.0, "probabilities": $0.1.map(Double.init)] },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("\(clip.name): CLIP \(clip.configuration.variantName), \(names.count) labels × \(templates.count) template(s)")
            for (path, row) in zip(image, probabilities) {
                print(path)
                for index in row.indices.sorted(by: { row[$0] > row[$1] }).prefix(top) {
                    print(String(format: "  %6.2f%%  ", Double(row[index]) * 100) + names[index])
                }
            }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }
}
