import ArgumentParser
import Foundation
import LoupeImage
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

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(help: "The method.")
    var method: AttributionMethod

    @Option(help: "A class index, a class label (\"tusker\"), or layer:channel. Default: the top class.")
    var target: String?

    @Option(help: "The layer for gradcam and guided-gradcam. Default: the architecture's last feature map.")
    var layer: String?

    @Flag(help: "Keep the sign: saliency without |·|, Grad-CAM without its ReLU.")
    var signed = false

    @Option(help: "Integrated Gradients: points on the path.")
    var steps = 50

    @Option(help: "Integrated Gradients: the quadrature rule (Captum's names).")
    var integration = IntegrationRule.gaussLegendre

    @Option(help: "Integrated Gradients: the baseline image.")
    var baseline = Baseline.black

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

    @Option(help: "--out's colour map (viridis, inferno, gray, coolwarm). Default: viridis, or coolwarm for signed maps.")
    var colormap: ColorMap?

    @Option(help: "--out's gamma, applied to the normalised map (the lecture shows the saliency map with 0.6).")
    var gamma: Float?

    @Option(help: "The raw attribution as a float32 .npy, shaped as Captum returns it.")
    var raw: String?

    @Option(help: "Grad-CAM: the map upsampled bilinearly to the input size, as a float32 .npy [1, 1, H, W].")
    var rawUpsampled: String?

    @Flag(help: "Print a JSON summary (method, target, layer, raw shape, seconds of computation).")
    var json = false

    @Option(
        name: .customLong("repeat"),
        help: ArgumentHelp(
            "Compute the attribution this many more times in the same process and report the median of those warm calls as `seconds` (the first call is `first_call_seconds`): for benchmarks.",
            valueName: "n"))
    var repeatCount: Int = 0

    func validate() throws {
        if out == nil, raw == nil, !json { throw ValidationError("give --out, --raw or --json: otherwise nothing is written") }
        if repeatCount < 0 { throw ValidationError("--repeat must be 0 or more, not \(repeatCount)") }
    }

    func run() throws {
        do {
            let image = try imageOptions.decode()
            let model = try modelOptions.load()
            let input = try imageOptions.input(from: image, for: model)
            var settings = AttributionSettings()
            settings.signed = signed
            settings.layer = layer
            settings.steps = steps
            settings.rule = integration
            settings.baseline = baseline
            settings.samples = samples
            settings.noiseLevel = noiseLevel
            settings.seed = seed
            settings.window = window
            settings.stride = stride
            settings.occlusionValue = occlusionValue
            settings.noise = try noise.map { path -> [Float] in
                do {
                    return try NPY.decode(try Data(contentsOf: URL(fileURLWithPath: (path as NSString).expandingTildeInPath))).values
                } catch {
                    throw FileError(path: path, underlying: error)
                }
            }
            let attributor = Attributor(model: model)
            let target = AttributionTarget(parsing: self.target, model: model)
            var start = ProcessInfo.processInfo.systemUptime
            let run = try attributor.attribute(method, input: input, target: target, settings: settings)
            let firstCall = ProcessInfo.processInfo.systemUptime - start
            var warmCalls: [Double] = []
            for _ in 0..<repeatCount {
                start = ProcessInfo.processInfo.systemUptime
                _ = try attributor.attribute(method, input: input.tensor, seen: input.seen, target: run.target, settings: settings)
                warmCalls.append(ProcessInfo.processInfo.systemUptime - start)
            }
            let seconds = warmCalls.isEmpty ? firstCall : warmCalls.sorted()[warmCalls.count / 2]
            let attribution = run.attribution
            let resolved = run.target
            let size = (height: input.tensor.shape[2], width: input.tensor.shape[3])
            if let raw {
                try AtomicFile.write(
                    NPY.encode(attribution.values, shape: attribution.shape),
                    to: URL(fileURLWithPath: (raw as NSString).expandingTildeInPath))
            }
            if let rawUpsampled {
                let (h, w) = (attribution.shape[attribution.shape.count - 2], attribution.shape[attribution.shape.count - 1])
                let up = Resampling.bilinear(Array(attribution.values.prefix(h * w)), from: (h, w), to: size)
                try AtomicFile.write(
                    NPY.encode(up, shape: [1, 1, size.height, size.width]),
                    to: URL(fileURLWithPath: (rawUpsampled as NSString).expandingTildeInPath))
            }
            if let out {
                let map = try run.heatmap(colorMap: colormap, gamma: gamma).colored()
                try writeAtomically(try map.pngData(), to: URL(fileURLWithPath: (out as NSString).expandingTildeInPath))
            }
            if json {
                let object: [String: Any] = [
                    "method": method.rawValue, "description": attribution.method,
                    "target_index": resolved.classIndex.map { $0 as Any } ?? NSNull(),
                    "target_label": resolved.description,
                    "layer": attribution.layer.map { $0 as Any } ?? NSNull(),
                    "raw_shape": attribution.shape, "seconds": seconds,
                    "first_call_seconds": firstCall, "warm_calls": warmCalls.count,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            }
        } catch {
            throw fail(error)
        }
    }
}

extension AttributionMethod: ExpressibleByArgument {}
extension ColorMap: ExpressibleByArgument {}
extension IntegrationRule: ExpressibleByArgument {}
extension Baseline: ExpressibleByArgument {}
