import Foundation
import LoupeInterp

/// The attribution options that `{attribute}`, `{sanity-check}` and `{deletion}` share, with the names and
/// defaults `{attribute}` uses, so that a map can be checked with the settings it was drawn with.
enum AttributionOptions {
    /// `method`, `target`, `layer`, `signed` and the per-method settings; Integrated Gradients'
    /// points are `stepsKey` (`{deletion}` uses `steps` for its own chunks).
    static func specs(stepsKey: String) -> [OptionSpec] {
        [
            OptionSpec("method", .choice(AttributionMethod.allCases.map(\.rawValue)), default: "saliency",
                       help: "The attribution method, as in `{attribute}`; `saliency` is |gradient| of the logit, largest over colour channels."),
            OptionSpec("target", .text, optional: true,
                       help: "A class index or label (\"tusker\"; unknown labels suggest the closest); `{sanity-check}` also takes `layer:channel`. Default: the top class."),
            OptionSpec("layer", .text, optional: true, help: "Grad-CAM's layer (dotted name). Default: the last feature map (`layer4`, `_relu`, `features`)."),
            OptionSpec("signed", .flag, default: "false", help: "Keep the sign (saliency without |·|, Grad-CAM without ReLU)."),
            OptionSpec(stepsKey, .integer(1...1024), default: "50", help: "Integrated Gradients: points on the path."),
            OptionSpec("integration", .choice(IntegrationRule.allCases.map(\.rawValue)), default: "gausslegendre", help: "Integrated Gradients: the quadrature rule (Captum's names)."),
            OptionSpec("baseline", .choice(Baseline.allCases.map(\.rawValue)), default: "black", help: "Integrated Gradients: the image the path starts from."),
            OptionSpec("samples", .integer(1...1024), default: "5", help: "SmoothGrad: noisy copies."),
            OptionSpec("noise", .number(0...100), default: "1", help: "SmoothGrad: noise standard deviation in normalised input units (Captum's `stdevs`)."),
            OptionSpec("window", .integer(1...1024), default: "16", help: "Occlusion: the square window's side in pixels."),
            OptionSpec("stride", .integer(1...1024), default: "8", help: "Occlusion: the window's step in pixels."),
        ]
    }

    /// The settings the options describe; `seed` also seeds SmoothGrad's noise and the noise
    /// baseline.
    static func settings(_ options: CellOptions, stepsKey: String, seed: UInt64) throws -> AttributionSettings {
        var settings = AttributionSettings()
        settings.layer = try options.optionalText("layer")
        settings.signed = try options.flag("signed")
        settings.steps = try options.integer(stepsKey)
        settings.rule = try options.choice("integration")
        settings.baseline = try options.choice("baseline")
        settings.samples = try options.integer("samples")
        settings.noiseLevel = Float(try options.number("noise"))
        settings.seed = seed
        settings.window = try options.integer("window")
        settings.stride = try options.integer("stride")
        return settings
    }
}
