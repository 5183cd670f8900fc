import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{attribute}`: which pixels made the model say that — saliency, SmoothGrad, Integrated
/// Gradients, Grad-CAM, guided backpropagation, Guided Grad-CAM or occlusion, computed like
/// Captum (`LoupeInterp`), shown as a heatmap with a colour bar.
struct AttributeDirective: Directive {
    static let name = "attribute"
    static let summary = "Attribution map for an image: saliency (the lecture's), SmoothGrad, Integrated Gradients, Grad-CAM, guided backprop, Guided Grad-CAM or occlusion, computed like Captum."
    static let options = [
        OptionSpec("model", .reference(.model), help: "The `{model}` cell; `defaults: model:` can supply it."),
        OptionSpec("image", .reference(.image), help: "The image cell; `defaults: image:` can supply it."),
        OptionSpec("method", .choice(AttributionMethod.allCases.map(\.rawValue)), default: "saliency",
                   help: "`saliency` is the lecture's: |gradient| of the logit, largest over colour channels."),
        OptionSpec("target", .text, optional: true,
                   help: "A class index, a class label (\"tusker\"; unknown labels suggest the closest), or `layer:channel`. Default: the top class."),
        OptionSpec("layer", .text, optional: true, help: "Grad-CAM's layer (dotted name). Default: the last feature map (`layer4`, `_relu`, `features`)."),
        OptionSpec("signed", .flag, default: "false", help: "Keep the sign (saliency without |·|, Grad-CAM without ReLU); shown with a diverging colour map."),
        OptionSpec("steps", .integer(1...1024), default: "50", help: "Integrated Gradients: points on the path."),
        OptionSpec("integration", .choice(IntegrationRule.allCases.map(\.rawValue)), default: "gausslegendre", help: "Integrated Gradients: the quadrature rule (Captum's names)."),
        OptionSpec("baseline", .choice(Baseline.allCases.map(\.rawValue)), default: "black", help: "Integrated Gradients: the image the path starts from."),
        OptionSpec("samples", .integer(1...1024), default: "5", help: "SmoothGrad: noisy copies."),
        OptionSpec("noise", .number(0...100), default: "1", help: "SmoothGrad: noise standard deviation in normalised input units (Captum's `stdevs`)."),
        OptionSpec("seed", .integer(0...Int(Int32.max)), default: "0", help: "Seed for SmoothGrad's noise and the noise baseline."),
        OptionSpec("window", .integer(1...1024), default: "16", help: "Occlusion: the square window's side in pixels."),
        OptionSpec("stride", .integer(1...1024), default: "8", help: "Occlusion: the window's step in pixels."),
        OptionSpec("show", .choice(["map", "overlay", "side-by-side"]), default: "side-by-side",
                   help: "`map` alone, `overlay` on the photo, or the photo and the map `side-by-side`."),
        OptionSpec("colormap", .choice(ColorMap.allCases.map(\.rawValue)), optional: true, help: "Default: viridis, or coolwarm for signed maps; `gray` is the grey-scale variant."),
        OptionSpec("gamma", .number(0.01...100), optional: true, help: "Applied to the normalised map (the lecture shows `sal ** 0.6`)."),
        OptionSpec("alpha", .number(0...1), default: "0.6", help: "The map's opacity in an overlay."),
        OptionSpec("caption", .text, optional: true, help: "The caption; by default method, model, layer and target."),
    ]
    static let example = """
        ```{attribute}
        :model: net
        :image: photo
        :method: gradcam
        :target: German shepherd
        :show: overlay
        ```
        """

    private let modelName: String
    private let imageName: String
    private let method: AttributionMethod
    private let target: String?
    private let settings: AttributionSettings
    private let show: String
    private let colorMap: ColorMap?
    private let gamma: Float?
    private let alpha: Float
    private let caption: String?

    init(_ options: CellOptions) throws {
        modelName = try options.reference("model")
        imageName = try options.reference("image")
        method = try options.choice("method")
        target = try options.optionalText("target")
        settings = try AttributionOptions.settings(options, stepsKey: "steps", seed: UInt64(try options.integer("seed")))
        show = try options.text("show")
        colorMap = try options.optionalText("colormap").flatMap(ColorMap.init(rawValue:))
        gamma = try options.optionalText("gamma") == nil ? nil : Float(try options.number("gamma"))
        alpha = Float(try options.number("alpha"))
        caption = try options.optionalText("caption")
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(LoadedModel.self, named: modelName)
        let picture = try context.value(LoadedImage.self, named: imageName)
        let model = loaded.model
        let input = try picture.input(for: model)
        let seen = try picture.modelView(for: model)
        let resolved = try model.resolve(AttributionTarget(parsing: target, model: model), for: input)
        let attribution = try Attributor(model: model).attribute(method, input: input, seen: seen, target: resolved, settings: settings)
        var text = caption ?? "\(attribution.method) of \(loaded.caption) for \(picture.source), target \(resolved)"
        if caption == nil, let layer = attribution.layer { text += ", layer \(layer)" }
        var heatmap = Heatmap.attribution(
            attribution, size: (input.shape[2], input.shape[3]), colorMap: colorMap, gamma: gamma, caption: text)
        var outputs: [CellOutput] = []
        switch show {
        case "overlay":
            heatmap.underlay = try seen.pngData()
            heatmap.opacity = alpha
        case "side-by-side":
            outputs.append(.image(try ImageOutput(seen, caption: "\(picture.source) as \(loaded.caption) sees it", alt: picture.source)))
        default:
            break
        }
        outputs.append(.heatmap(heatmap))
        return CellRun(outputs: outputs)
    }
}
