import Foundation
import LoupeInterp

/// The attribution options that `{attribute}`, `{sanity-check}` and `{deletion}` share, so that
/// a map can be checked with the settings it was drawn with: a group inside each directive's
/// options.
struct AttributionOptions: DirectiveOptions {
    @CellOption(help: "The attribution method; `saliency` is the lecture's: |gradient| of the logit, largest over colour channels.")
    var method = AttributionMethod.saliency
    @CellOption(
        help:
            "A class index, a class label (\"tusker\"; unknown labels suggest the closest), or `layer:channel` where the directive explains channels. Default: the top class."
    )
    var target: String?
    @CellOption(help: "Grad-CAM's layer (dotted name). Default: the last feature map (`layer4`, `_relu`, `features`).")
    var layer: String?
    @CellOption(help: "Keep the sign (saliency without |·|, Grad-CAM without ReLU); shown with a diverging colour map.")
    var signed = false
    @CellOption(range: 1...1024, help: "Integrated Gradients: points on the path.")
    var steps = 50
    @CellOption(help: "Integrated Gradients: the quadrature rule (Captum's names).")
    var integration = IntegrationRule.gaussLegendre
    @CellOption(help: "Integrated Gradients: the image the path starts from.")
    var baseline = Baseline.black
    @CellOption(range: 1...1024, help: "SmoothGrad: noisy copies.")
    var samples = 5
    @CellOption(range: 0...100, help: "SmoothGrad: noise standard deviation in normalised input units (Captum's `stdevs`).")
    var noise: Float = 1
    @CellOption(range: 1...1024, help: "Occlusion: the square window's side in pixels.")
    var window = 16
    @CellOption(range: 1...1024, help: "Occlusion: the window's step in pixels.")
    var stride = 8

    /// The library's settings; `seed` also seeds SmoothGrad's noise and the noise baseline.
    func settings(seed: Int) -> AttributionSettings {
        var settings = AttributionSettings()
        settings.layer = layer?.trimmingCharacters(in: .whitespaces)
        settings.signed = signed
        settings.steps = steps
        settings.rule = integration
        settings.baseline = baseline
        settings.samples = samples
        settings.noiseLevel = noise
        settings.seed = UInt64(seed)
        settings.window = window
        settings.stride = stride
        return settings
    }

    /// Runs ``method`` on `picture` for `model`: what `{attribute}`, `{sanity-check}` and
    /// `{deletion}` each start from.
    func attribute(_ model: LoadedModel, _ picture: LoadedImage, seed: Int) throws -> AttributionRun {
        try Attributor(model: model.model).attribute(
            method, input: try picture.modelInput(for: model.model), target: AttributionTarget(parsing: target, model: model.model),
            settings: settings(seed: seed))
    }

    /// How captions name a map: `Grad-CAM of efficientnet-lite0 for dog.jpg, target German
    /// shepherd (235), layer _relu`.
    static func describe(_ attribution: Attribution, target: ResolvedTarget, model: LoadedModel, image: LoadedImage) -> String {
        var text = "\(attribution.method) of \(model.caption) for \(image.source), target \(target)"
        if let layer = attribution.layer { text += ", layer \(layer)" }
        return text
    }
}
