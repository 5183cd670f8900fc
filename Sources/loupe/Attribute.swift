import ArgumentParser
import Foundation
import LoupeInterp
import LoupeModels
import LoupeNotebook
import LoupeTensor

struct Attribute: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Which pixels made the model say that: an attribution map for one image, computed like Captum's.",
        discussion: """
            --raw writes the attribution before any display processing, as a float32 NumPy file shaped as \
            Captum returns it: [1, 3, H, W], or [1, 1, h, w] for Grad-CAM. --out writes the map as a PNG \
            heatmap (channels reduced by largest magnitude, or summed for signed methods).

            Examples:
              loupe attribute --image dog.jpg --method saliency --out saliency.png
              loupe attribute --image elephant.jpg --method gradcam --target "German shepherd" --out cam.png
              loupe attribute --arch resnet18 --weights r18.pth --image cat.png --method integrated-gradients --raw ig.npy --out ig.png
            """)

    enum Method: String, ExpressibleByArgument, CaseIterable {
        case saliency, smoothgrad
        case integratedGradients = "integrated-gradients"
        case gradcam
        case guidedBackprop = "guided-backprop"
        case guidedGradcam = "guided-gradcam"
        case occlusion
    }

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(help: "The method.")
    var method: Method

    @Option(help: "A class index, a class label (\"tusker\"), or layer:channel. Default: the top class.")
    var target: String?

    @Option(help: "The layer for gradcam and guided-gradcam. Default: the architecture's last feature map.")
    var layer: String?

    @Flag(help: "Keep the sign: saliency without |·|, Grad-CAM without its ReLU.")
    var signed = false

    @Option(help: "Integrated Gradients: points on the path.")
    var steps = 50

    @Option(help: "Integrated Gradients: gausslegendre, riemann_right, riemann_left, riemann_middle, riemann_trapezoid.")
    var integration = "gausslegendre"

    @Option(help: "Integrated Gradients: the baseline image, black, blur or noise.")
    var baseline = "black"

    @Option(help: "SmoothGrad: noisy samples.")
    var samples = 5

    @Option(help: "SmoothGrad: noise standard deviation in normalised input units (Captum's stdevs).")
    var noiseLevel: Float = 1

    @Option(help: "Seed for SmoothGrad's noise and the noise baseline.")
    var seed: UInt64 = 0

    @Option(help: "SmoothGrad: a float32 .npy of [samples, 1, 3, H, W] noise to use instead of Loupe's own.")
    var noise: String?

    @Option(help: "Occlusion: the square window's side in pixels.")
    var window = 16

    @Option(help: "Occlusion: the window's stride in pixels.")
    var stride = 8

    @Option(help: "Occlusion: the value occluded pixels get, in normalised units.")
    var occlusionValue: Float = 0

    @Option(help: "The map as a PNG heatmap.")
    var out: String?

    @Option(help: "The raw attribution as a float32 .npy, shaped as Captum returns it.")
    var raw: String?

    @Option(help: "Grad-CAM: the map upsampled bilinearly to the input size, as a float32 .npy [1, 1, H, W].")
    var rawUpsampled: String?

    @Flag(help: "Print a JSON summary (method, target, layer, raw shape, seconds of computation).")
    var json = false

    func validate() throws {
        if out == nil, raw == nil, !json { throw ValidationError("give --out, --raw or --json: otherwise nothing is written") }
        if IntegrationRule(rawValue: integration) == nil {
            throw ValidationError("--integration must be one of \(IntegrationRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if Baseline(rawValue: baseline) == nil {
            throw ValidationError("--baseline must be one of \(Baseline.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        do {
            let image = try imageOptions.decode()
            let model = try modelOptions.load()
            let input = try imageOptions.input(from: image, for: model)
            let attributor = Attributor(model: model)
            let resolved = try model.resolve(AttributionTarget(parsing: target, model: model), for: input)
            let layerName = layer ?? model.architecture.defaultCAMLayer
            let noiseValues = try noise.map { path -> [Float] in
                do {
                    return try NPY.decode(try Data(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))).values
                } catch {
                    throw FileError(path: path, underlying: error)
                }
            }
            let start = ProcessInfo.processInfo.systemUptime
            let attribution: Attribution
            switch method {
            case .saliency:
                attribution = try attributor.saliency(input, target: resolved, signed: signed)
            case .smoothgrad:
                attribution = try attributor.smoothGrad(
                    input, target: resolved, samples: samples, noiseLevel: noiseLevel, seed: seed, signed: signed, noise: noiseValues)
            case .integratedGradients:
                let kind = Baseline(rawValue: baseline) ?? .black
                let seen = try imageOptions.noResize ? image : imageOptions.preprocessing(for: model).preparedImage(from: image)
                let reference = try attributor.baselineTensor(kind, for: seen, seed: seed)
                attribution = try attributor.integratedGradients(
                    input, baseline: reference, baselineName: kind.rawValue, target: resolved, steps: steps,
                    rule: IntegrationRule(rawValue: integration) ?? .gaussLegendre)
            case .gradcam:
                attribution = try attributor.gradCAM(input, target: resolved, layer: layerName, signed: signed)
            case .guidedBackprop:
                attribution = try attributor.guidedBackprop(input, target: resolved)
            case .guidedGradcam:
                attribution = try attributor.guidedGradCAM(input, target: resolved, layer: layerName)
            case .occlusion:
                attribution = try attributor.occlusion(input, target: resolved, window: window, stride: stride, value: occlusionValue)
            }
            let seconds = ProcessInfo.processInfo.systemUptime - start
            let size = (height: input.shape[2], width: input.shape[3])
            if let raw {
                try NPY.encode(attribution.values, shape: attribution.shape).write(to: URL(fileURLWithPath: (raw as NSString).expandingTildeInPath))
            }
            if let rawUpsampled {
                let (h, w) = (attribution.shape[attribution.shape.count - 2], attribution.shape[attribution.shape.count - 1])
                let up = Resampling.bilinear(Array(attribution.values.prefix(h * w)), from: (h, w), to: size)
                try NPY.encode(up, shape: [1, 1, size.height, size.width]).write(to: URL(fileURLWithPath: (rawUpsampled as NSString).expandingTildeInPath))
            }
            if let out {
                let map = attribution.map(size: size)
                let extent = map.map(Swift.abs).max() ?? 1
                let heatmap = Heatmap(
                    values: map, width: size.width, height: size.height, colorMap: attribution.isSigned ? .coolwarm : .viridis,
                    range: attribution.isSigned && extent > 0 ? -extent...extent : nil,
                    caption: "\(attribution.method), \(model.name), target \(resolved)")
                try writeAtomically(try heatmap.rendered().map.png, to: URL(fileURLWithPath: (out as NSString).expandingTildeInPath))
            }
            if json {
                let object: [String: Any] = [
                    "method": method.rawValue, "description": attribution.method,
                    "target_index": resolved.classIndex.map { $0 as Any } ?? NSNull(),
                    "target_label": resolved.description,
                    "layer": attribution.layer.map { $0 as Any } ?? NSNull(),
                    "raw_shape": attribution.shape, "seconds": seconds,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        } catch {
            throw fail(error)
        }
    }
}
