import LoupeImage
import LoupeTensor

/// The attribution methods, by the names the command line and notebooks use.
public enum AttributionMethod: String, Sendable, CaseIterable {
    case saliency, smoothgrad
    case integratedGradients = "integrated-gradients"
    case gradcam
    case guidedBackprop = "guided-backprop"
    case guidedGradcam = "guided-gradcam"
    case occlusion
}

/// Every method's parameters, with Captum's defaults where Captum has one; each method reads
/// the ones it needs.
public struct AttributionSettings: Sendable {
    /// Keep the sign (saliency without |·|, Grad-CAM without its ReLU).
    public var signed = false
    /// Grad-CAM's layer; `nil` means the architecture's ``Architecture/defaultCAMLayer``.
    public var layer: String?
    /// Integrated Gradients: points on the path (Captum's `n_steps`).
    public var steps = 50
    /// Integrated Gradients: the quadrature rule that places and weighs the points.
    public var rule = IntegrationRule.gaussLegendre
    /// Integrated Gradients: the reference input the path starts from.
    public var baseline = Baseline.black
    /// SmoothGrad: noisy copies of the input averaged.
    public var samples = 5
    /// SmoothGrad: the noise's standard deviation σ, in normalised input units (Captum's `stdevs`).
    public var noiseLevel: Float = 1
    /// SmoothGrad's noise seed, also the seed of Integrated Gradients' noise baseline.
    public var seed: UInt64 = 0
    /// SmoothGrad: noise to add instead of drawing it, `samples × 3 × H × W` values (for parity with Captum).
    public var noise: [Float]?
    /// Occlusion: the side of the square window, in pixels.
    public var window = 16
    /// Occlusion: pixels between neighbouring window positions.
    public var stride = 8
    /// Occlusion: the value occluded pixels take, in normalised units (0 is the mean colour).
    public var occlusionValue: Float = 0

    /// Every setting at its default.
    public init() {}
}

extension Attributor {
    /// Runs `method` on `input` (`[1, 3, H, W]`, normalised); `seen` is the image as the model
    /// sees it (resized, not normalised), from which Integrated Gradients builds its baseline.
    public func attribute(
        _ method: AttributionMethod, input: Tensor, seen: RGBImage, target: ResolvedTarget,
        settings s: AttributionSettings = AttributionSettings()
    ) throws -> Attribution {
        // Grad-CAM's layer: the one asked for, or the network's default.
        func camLayer() throws -> String {
            guard let layer = s.layer ?? model.camLayer ?? model.architecture?.defaultCAMLayer else {
                throw InterpError.invalidParameter(
                    "\(model.name) has no default layer for Grad-CAM: name a convolutional one (`loupe features --list` lists the layers)")
            }
            return layer
        }
        switch method {
        case .saliency:
            return try saliency(input, target: target, signed: s.signed)
        case .smoothgrad:
            return try smoothGrad(
                input, target: target, samples: s.samples, noiseLevel: s.noiseLevel, seed: s.seed, signed: s.signed, noise: s.noise)
        case .integratedGradients:
            return try integratedGradients(
                input, baseline: try baselineTensor(s.baseline, for: seen, seed: s.seed), baselineName: s.baseline.rawValue,
                target: target, steps: s.steps, rule: s.rule)
        case .gradcam:
            return try gradCAM(input, target: target, layer: try camLayer(), signed: s.signed)
        case .guidedBackprop:
            return try guidedBackprop(input, target: target)
        case .guidedGradcam:
            return try guidedGradCAM(input, target: target, layer: try camLayer())
        case .occlusion:
            return try occlusion(input, target: target, window: s.window, stride: s.stride, value: s.occlusionValue)
        }
    }
}

/// An attribution together with what it explains: the one result `loupe attribute` and the
/// `{attribute}` cell both draw.
public struct AttributionRun: Sendable {
    /// The raw values, with the method, layer and target they belong to.
    public let attribution: Attribution
    /// The target, resolved for the model and image (the top class made concrete).
    public let target: ResolvedTarget
    /// The input the model saw, and the picture maps are drawn over.
    public let input: ModelInput

    /// The map as a heatmap at the input's size (see ``LoupeImage/Heatmap/init(attribution:size:colorMap:gamma:)``).
    public func heatmap(colorMap: ColorMap? = nil, gamma: Float? = nil) -> Heatmap {
        Heatmap(attribution: attribution, size: (input.tensor.shape[2], input.tensor.shape[3]), colorMap: colorMap, gamma: gamma)
    }
}

extension Attributor {
    /// Resolves `target` for `input` and runs `method`: what every caller of an attribution
    /// method does, in one place.
    ///
    /// - Throws: the errors of ``Model/resolve(_:for:)`` (unknown labels with the closest,
    ///   classes out of range, unknown layers) and of the method.
    public func attribute(
        _ method: AttributionMethod, input: ModelInput, target: AttributionTarget,
        settings: AttributionSettings = AttributionSettings()
    ) throws -> AttributionRun {
        let resolved = try model.resolve(target, for: input.tensor)
        let attribution = try attribute(method, input: input.tensor, seen: input.seen, target: resolved, settings: settings)
        return AttributionRun(attribution: attribution, target: resolved, input: input)
    }
}
