import Foundation
import LoupeTensor
import Testing

@testable import LoupeModels

/// Tiny random CLIPs (a 2-block ViT and a one-block-per-stage modified ResNet, each with a
/// 2-block text tower) against open_clip 3.3.0 on the same weights: `Scripts/parity/clip.py
/// fixtures` wrote the files in `Fixtures/clip`, in three formats (safetensors, a float16
/// `torch.save` zip, a TorchScript archive).
@Suite struct CLIPTests {
    static func fixture(_ name: String) throws -> URL {
        let base = (name as NSString).deletingPathExtension
        let ext = (name as NSString).pathExtension
        return try #require(Bundle.module.url(forResource: base, withExtension: ext, subdirectory: "Fixtures/clip"))
    }

    static func array(_ name: String) throws -> (values: [Float], shape: [Int]) {
        try NPY.decode(Data(contentsOf: try fixture(name)))
    }

    /// The token-id rows of `ids.npy`, each cut after its end token (511): what a tokenizer gives.
    static func idRows() throws -> [[Int]] {
        let (values, shape) = try array("ids.npy")
        return (0..<shape[0]).map { row in
            let ids = values[(row * shape[1])..<((row + 1) * shape[1])].map { Int($0) }
            return Array(ids.prefix(through: ids.firstIndex(of: 511) ?? ids.count - 1))
        }
    }

    /// `max |ours − theirs|` over `max |theirs|`.
    static func relativeError(_ ours: [Float], _ theirs: [Float]) -> Float {
        let scale = theirs.map(abs).max() ?? 1
        return (zip(ours, theirs).map { abs($0 - $1) }.max() ?? .infinity) / Swift.max(scale, 1e-30)
    }

    struct Case: Sendable, CustomStringConvertible {
        let file: String
        let expected: String
        let activation: LinearActivation
        var description: String { file }
    }

    static let cases = [
        Case(file: "tiny-vit.safetensors", expected: "tiny-vit", activation: .quickGELU),
        Case(file: "tiny-vit.fp16.pt", expected: "tiny-vit.fp16", activation: .quickGELU),
        Case(file: "tiny-rn.safetensors", expected: "tiny-rn", activation: .gelu),
        Case(file: "tiny-rn.torchscript.pt", expected: "tiny-rn", activation: .gelu),
    ]

    @Test(arguments: cases)
    func embeddingsAndLogitsEqualOpenCLIPs(_ c: Case) throws {
        let model = try CLIPModel(weights: try Self.fixture(c.file), activation: c.activation)
        let imagesName = c.expected.hasPrefix("tiny-vit") ? "tiny-vit.images.npy" : "tiny-rn.images.npy"
        let (pixels, shape) = try Self.array(imagesName)
        let images = try model.imageEmbeddings(try Tensor(shape: shape, scalars: pixels))
        let imageError = Self.relativeError(try images.scalars, try Self.array("\(c.expected).image_features.npy").values)
        #expect(imageError < 1e-5, "image embeddings: \(imageError)")

        let texts = try model.textEmbeddings(try Self.idRows())
        let textError = Self.relativeError(try texts.scalars, try Self.array("\(c.expected).text_features.npy").values)
        #expect(textError < 1e-5, "text embeddings: \(textError)")

        let logits = try (try CLIPModel.unitRows(images).matmul(try CLIPModel.unitRows(texts).transposed())) * (try model.logitScale)
        let expected = try Self.array("\(c.expected).logits.npy").values
        let worst = zip(try logits.scalars, expected).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-4, "logits: \(worst)")
    }

    /// Layers carry open_clip's dotted names: a hook on each sees what a PyTorch forward hook
    /// sees (transformer blocks batch-first, `[B, T, W]`).
    @Test(arguments: ["tiny-vit", "tiny-rn"])
    func hooksSeeOpenCLIPsLayersByName(_ name: String) throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: try Self.fixture("manifest.json"))) as? [String: Any]
        let models = try #require(manifest?["models"] as? [String: Any])
        let entry = try #require(models[name] as? [String: Any])
        let activations = try #require(entry["activations"] as? [String: [String: Any]])
        let model = try CLIPModel(weights: try Self.fixture("\(name).safetensors"), activation: name == "tiny-vit" ? .quickGELU : .gelu)
        let (pixels, shape) = try Self.array("\(name).images.npy")
        var seen: [String: Tensor] = [:]
        let hook: ForwardContext.Hook = { layer, output in
            seen[layer] = output
            return output
        }
        var imageContext = ForwardContext(hook: hook, observing: Set(activations.keys.filter { $0.hasPrefix("visual.") }))
        _ = try model.network.forward(try Tensor(shape: shape, scalars: pixels), context: &imageContext)
        let rows = try Self.idRows()
        let length = rows.map(\.count).max() ?? 1
        let ids = try Tensor(
            shape: [rows.count, length], scalars: rows.flatMap { $0.map(Float.init) + Array(repeating: 0, count: length - $0.count) })
        var textContext = ForwardContext(hook: hook, observing: Set(activations.keys.filter { !$0.hasPrefix("visual.") }))
        _ = try model.network.encodeText(ids, context: &textContext)
        for (layer, info) in activations {
            let file = try #require(info["file"] as? String)
            let (expected, expectedShape) = try Self.array(file)
            let ours = try #require(seen[layer], "no output seen for \(layer)")
            if layer.hasPrefix("visual.") {
                #expect(ours.shape == expectedShape, "\(layer)")
                #expect(Self.relativeError(try ours.contiguous().scalars, expected) < 1e-5, "\(layer)")
            } else {
                // The text tower runs only to each batch's longest row; causal attention makes
                // the positions after it irrelevant to the rows' outputs up to their end tokens.
                let (batch, context, width) = (expectedShape[0], expectedShape[1], expectedShape[2])
                let values = try ours.contiguous().scalars
                for row in 0..<batch {
                    let count = rows[row].count
                    let mine = Array(values[(row * length * width)..<((row * length + count) * width)])
                    let theirs = Array(expected[(row * context * width)..<((row * context + count) * width)])
                    #expect(Self.relativeError(mine, theirs) < 1e-5, "\(layer) row \(row)")
                }
            }
        }
    }

    @Test func theVariantIsReadFromTheKeysAndShapes() throws {
        let vit = try CLIPModel(weights: try Self.fixture("tiny-vit.safetensors"), activation: .quickGELU).configuration
        #expect(vit.vision == .transformer(width: 128, layers: 2, patchSize: 8, imageSize: 32))
        let sizes: [Int] = [vit.embedDimension, vit.contextLength, vit.vocabularySize, vit.textWidth, vit.textLayers]
        #expect(sizes == [32, 16, 512, 64, 2])
        let rn = try CLIPModel(weights: try Self.fixture("tiny-rn.safetensors")).configuration
        #expect(rn.vision == .resnet(layers: [1, 1, 1, 1], width: 8, imageSize: 64))
        #expect(rn.activation == .gelu)
        // A TorchScript archive is taken to be OpenAI's, which use QuickGELU.
        let archive = try CLIPModel(weights: try Self.fixture("tiny-rn.torchscript.pt"))
        #expect(archive.configuration.activation == .quickGELU)
        #expect(archive.activationSource.contains("TorchScript"))
    }

    /// The zero-shot classifier as a ``Model`` gives the scaled cosines with the labels, and the
    /// gradient of one logit with respect to the pixels (saliency of an image–text similarity)
    /// equals PyTorch autograd's through open_clip.
    @Test(arguments: [("tiny-vit", LinearActivation.quickGELU), ("tiny-rn", LinearActivation.gelu)])
    func zeroShotSaliencyEqualsPyTorchsGradient(name: String, activation: LinearActivation) throws {
        let clip = try CLIPModel(weights: try Self.fixture("\(name).safetensors"), activation: activation)
        let labels = try clip.textEmbeddings(try Self.idRows(), normalized: true)
        let classifier = ZeroShotClassifier(labels: ["a", "b", "c"], classEmbeddings: labels, logitScale: try clip.logitScale)
        let model = try clip.zeroShotModel(classifier)
        #expect(model.labels == ["a", "b", "c"] && model.camLayer == (name == "tiny-rn" ? "visual.layer4" : nil))
        let (pixels, shape) = try Self.array("\(name).images.npy")
        let first = try Tensor(shape: [1] + shape.dropFirst(), scalars: Array(pixels.prefix(pixels.count / shape[0])))
        let expectedLogits = try Self.array("\(name).logits.npy").values
        let input = first.requiringGrad()
        let logits = try model(input)
        #expect(Self.relativeError(try logits.scalars, Array(expectedLogits.prefix(3))) < 1e-5)
        let gradient = try grad(of: try logits.slice(axis: 1, 1..<2).sum(), wrt: [input])[0]
        let error = Self.relativeError(try gradient.scalars, try Self.array("\(name).zero_shot_gradient.npy").values)
        #expect(error < 1e-4, "saliency: \(error)")
    }

    /// Padding after a row's end token, or a batch of other lengths, does not change its embedding.
    @Test func paddingAfterTheEndTokenChangesNothing() throws {
        let model = try CLIPModel(weights: try Self.fixture("tiny-vit.safetensors"), activation: .quickGELU)
        let rows = try Self.idRows()
        let together = try model.textEmbeddings(rows).scalars
        let width = model.configuration.embedDimension
        for (index, row) in rows.enumerated() {
            let alone = try model.textEmbeddings([row]).scalars
            let padded = try model.textEmbeddings([row + Array(repeating: 0, count: Swift.min(3, 16 - row.count))]).scalars
            let batched = Array(together[(index * width)..<((index + 1) * width)])
            #expect(Self.relativeError(alone, batched) < 1e-5)
            #expect(Self.relativeError(padded, alone) < 1e-5)
        }
    }

    @Test func checkpointsThatAreNotCLIPAreNamed() throws {
        let url = try Self.fixture("tiny-vit.safetensors")
        var stateDict = try Checkpoint.load(contentsOf: url)
        // Not CLIP at all: names what it looked for and a few keys it found.
        let other = StateDict(["conv1.weight": try Tensor.zeros([4, 3, 3, 3]), "fc.weight": try Tensor.zeros([2, 4])])
        let error = #expect(throws: ModelError.self) { try CLIPConfiguration(inferringFrom: other, activation: .gelu, file: "x.pt") }
        let message = error.map { "\($0)" } ?? ""
        #expect(message.hasPrefix("x.pt: not a CLIP") && message.contains("visual.proj") && message.contains("conv1.weight"), "\(message)")
        // An archive whose settings disagree with its shapes.
        stateDict["context_length"] = try Tensor(shape: [], scalars: [77])
        #expect(throws: ModelError.self) { try CLIPConfiguration(inferringFrom: stateDict, activation: .gelu, file: "y.pt") }
        stateDict["context_length"] = nil
        // A CLIP with one tensor missing loads nothing and names the key.
        let model = CLIP(try CLIPConfiguration(inferringFrom: stateDict, activation: .gelu, file: "z.pt"))
        stateDict["visual.ln_post.bias"] = nil
        #expect(throws: ModelError.missingKeys(model: "z", keys: ["visual.ln_post.bias"])) { try model.load(stateDict, modelName: "z") }
        #expect(model.finalNorm.weight.value == nil)
    }

    /// OpenAI's prompt file parses into 80 and 7 templates and 1,000 names; a damaged copy is refused by name.
    @Test func zeroShotPromptsParseOrAreRefused() throws {
        var lines = ["OPENAI_IMAGENET_TEMPLATES = ("] + (0..<80).map { "    lambda c: f'a photo number \($0) of a {c}.'," } + [")"]
        lines += ["SIMPLE_IMAGENET_TEMPLATES = ("] + (0..<7).map { "    lambda c: f'itap \($0) of a {c}.'," } + [")"]
        lines +=
            ["IMAGENET_CLASSNAMES = ("] + (0..<100).map { _ in (0..<10).map { "\"class \($0)'s\"" }.joined(separator: ", ") + "," } + [")"]
        let prompts = try ZeroShotPrompts(source: lines.joined(separator: "\n"), file: "meta.py")
        #expect(prompts.templates.count == 80 && prompts.simpleTemplates.count == 7 && prompts.classNames.count == 1000)
        #expect(prompts.templates[3].sentences(["dog"]) == ["a photo number 3 of a dog."])
        #expect(prompts.classNames[1] == "class 1's")
        #expect(throws: ModelError.invalidVocabulary(file: "meta.py", reason: "SIMPLE_IMAGENET_TEMPLATES has 6 templates, expected 7")) {
            try ZeroShotPrompts(source: lines.filter { !$0.contains("itap 6") }.joined(separator: "\n"), file: "meta.py")
        }
    }

    /// `loupe models install NAME --file PATH`: the file is checked, copied with its digest, loaded
    /// by name, and refused by name once it changes.
    @Test func anInstalledCLIPLoadsByNameAndIsCheckedAgainstItsDigest() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-clip-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let registry = CLIPRegistry(home: home)
        let record = try registry.register(name: "tiny-vit", file: try Self.fixture("tiny-vit.safetensors"), activation: .quickGELU)
        #expect(record.variant == "ViT (width 128, 2 layers, patch 8, 32 px)" && record.activation == "quickgelu")
        #expect(record.sha256 == (try SHA256Digest.hex(ofFileAt: try Self.fixture("tiny-vit.safetensors"))))
        #expect(registry.records().map(\.name) == ["tiny-vit"])
        let model = try registry.load(named: "tiny-vit")
        #expect(model.configuration.activation == .quickGELU && model.name == "tiny-vit")

        #expect(throws: ModelError.self) { try registry.register(name: "Tiny ViT", file: try Self.fixture("tiny-vit.safetensors")) }
        #expect(throws: ModelError.self) {
            try registry.register(name: "efficientnet-lite0", file: try Self.fixture("tiny-vit.safetensors"))
        }
        #expect(throws: ModelError.self) { try registry.register(name: "not-clip", file: try Self.fixture("ids.npy")) }
        #expect(registry.records().map(\.name) == ["tiny-vit"], "a refused file registers nothing")
        #expect(throws: ModelError.unknownModel(name: "tiny-vi", suggestions: ["tiny-vit"])) { try registry.load(named: "tiny-vi") }

        // One byte changed after installing: refused by name, with both digests.
        let copy = home.appendingPathComponent("models/tiny-vit/tiny-vit.safetensors")
        var bytes = try Data(contentsOf: copy)
        bytes[bytes.count - 1] ^= 0x01
        try bytes.write(to: copy)
        #expect {
            try registry.load(named: "tiny-vit")
        } throws: { error in
            guard case let ModelError.store(model, reason) = error else { return false }
            return model == "tiny-vit" && reason.contains(record.sha256)
        }
    }
}
