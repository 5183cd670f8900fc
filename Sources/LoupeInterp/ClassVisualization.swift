import LoupeImage
import LoupeModels
import LoupeTensor

/// How a feature visualisation runs: the optimiser, the image representation and the
/// regularisers.
///
/// The defaults are the lecture's class visualisation: 100 Adam steps at learning rate 0.05 on
/// the pixels of the normalised input, started at `0.1·N(0, 1)`, with the penalty `1e-3·Σx²`.
public struct VisualizationSettings: Sendable, Equatable {
    /// Adam steps.
    public var steps = 100
    /// Adam's learning rate.
    public var learningRate: Float = 0.05
    /// Seeds the starting image and the transforms' draws.
    public var seed: UInt64 = 0
    /// What the optimiser changes.
    public var parameterization: ImageParameterization = .pixel
    /// Weight of `Σx²` over the normalised input (before transforms).
    public var l2: Float = 1e-3
    /// Random transforms applied, in order, to the picture (0…1) before normalisation.
    public var transforms: [ImageTransform] = []
    /// Blur the pixel parameters every this many steps (0: never).
    public var blurEvery = 0
    /// The blur's standard deviation in pixels.
    public var blurSigma: Float = 0.5
    /// Weight of the picture's total variation (``ImageRegularizer/totalVariation(_:)``).
    public var totalVariation: Float = 0
    /// Side of the square image; `nil` for the model's input size.
    public var size: Int?

    /// The lecture's settings.
    public init() {}
}

/// The result of a feature visualisation.
public struct Visualization: Sendable {
    /// The optimised picture, clamped to 0…1 and rounded to 8 bits.
    public let image: RGBImage
    /// What was maximised.
    public let objective: VisualizationObjective
    /// The objective at each step, on the (transformed) picture that step optimised, before
    /// the update: what the lecture prints as `score`.
    public let values: [Float]
    /// The objective on the starting picture.
    public let startValue: Float
    /// The objective on the final parameters, without transforms.
    public let finalValue: Float
    /// The objective on ``image`` itself (after clamping and rounding to 8 bits).
    public let imageValue: Float
    /// How it ran.
    public let settings: VisualizationSettings
}

extension Model {
    /// Activation maximisation: an image that maximises `objective`, found by gradient ascent
    /// from a seeded random start.
    ///
    /// After Erhan et al. 2009; Simonyan et al. 2014, <https://arxiv.org/abs/1312.6034>;
    /// Olah et al. 2017 for the Fourier parameterisation and transforms.
    ///
    /// Each step computes the picture from the parameters, applies the transforms, normalises
    /// it as the model does, and takes an Adam step on
    /// `−objective + l2·Σx² + tv·TV(picture)`, `x` being the untransformed normalised input.
    /// Pixel parameters may be blurred every ``VisualizationSettings/blurEvery`` steps. The
    /// same settings and seed give the same image.
    ///
    /// - Returns: the picture (`size`×`size`), the objective per step and its value on the
    ///   start and final pictures.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for non-positive steps, rate or size, or blur
    ///   with the Fourier parameterisation; the errors of ``VisualizationObjective/value(logits:activations:)``.
    public func visualize(_ objective: VisualizationObjective, settings: VisualizationSettings = VisualizationSettings()) throws
        -> Visualization
    {
        let size = settings.size ?? preprocessing.size
        guard settings.steps >= 0, settings.learningRate > 0, settings.learningRate.isFinite else {
            throw InterpError.invalidParameter(
                "visualisation needs steps ≥ 0 and a positive learning rate, got \(settings.steps) and \(settings.learningRate)")
        }
        guard settings.l2 >= 0, settings.totalVariation >= 0, settings.blurEvery >= 0 else {
            throw InterpError.invalidParameter("l2, tv and blur must not be negative")
        }
        if settings.blurEvery > 0, settings.parameterization != .pixel {
            throw InterpError.invalidParameter(
                "blur applies to the pixel parameterisation only; the \(settings.parameterization) one is smooth by construction")
        }
        if fixedInputSize, size != preprocessing.size {
            throw InterpError.invalidParameter(
                "\(name) reads only \(preprocessing.size)×\(preprocessing.size) pictures, not \(size)×\(size)")
        }
        // A model of one input size sees the centre of a picture the transforms enlarged.
        var transforms = settings.transforms
        if fixedInputSize, !transforms.isEmpty { transforms.append(.centerCrop(side: size)) }
        let picture = try ParameterizedImage(
            settings.parameterization, height: size, width: size, mean: preprocessing.mean, std: preprocessing.std)
        var generator = SplitMix64(seed: settings.seed)
        let start = try picture.initialParameters(using: &generator)
        let probe = try ForwardProbe(
            model: self, layers: objective.layers, needsLogits: objective.needsLogits, sample: try picture.input(start))
        let evaluate = { (input: Tensor) throws -> Float in
            try GradMode.withoutGrad { () throws -> Float in
                let (logits, activations) = try probe.run(input)
                return try objective.value(logits: logits, activations: activations).item
            }
        }
        let startValue = try evaluate(try picture.input(start))

        var parameters = try start.scalars
        var adam = Adam(learningRate: settings.learningRate)
        var values: [Float] = []
        values.reserveCapacity(settings.steps)
        for step in 0..<settings.steps {
            let (value, gradient) = try Engine.run { () throws -> (Float, [Float]) in
                let x = try Tensor(shape: picture.parameterShape, scalars: parameters).requiringGrad()
                let needsPicture = !settings.transforms.isEmpty || settings.totalVariation > 0 || settings.parameterization == .fourier
                let rgb = needsPicture ? try picture.rgb(x) : nil
                let base = try rgb.map { settings.parameterization == .pixel ? x : try picture.normalized($0) } ?? x
                var input = base
                if var transformed = rgb, !transforms.isEmpty {
                    for transform in transforms { transformed = try transform.apply(transformed, using: &generator) }
                    input = try picture.normalized(transformed)
                }
                let (logits, activations) = try probe.run(input)
                let score = try objective.value(logits: logits, activations: activations)
                var loss = try score.negated()
                if settings.l2 > 0 { loss = try loss + base.square().sum() * settings.l2 }
                if settings.totalVariation > 0, let rgb { loss = try loss + ImageRegularizer.totalVariation(rgb) * settings.totalVariation }
                return (try score.item, try grad(of: loss, wrt: [x])[0].scalars)
            }
            values.append(value)
            try adam.step(&parameters, gradient: gradient)
            if settings.blurEvery > 0, (step + 1) % settings.blurEvery == 0 {
                let blurred = try ImageRegularizer.gaussianBlur(
                    Tensor(shape: picture.parameterShape, scalars: parameters), sigma: settings.blurSigma)
                parameters = try blurred.scalars
            }
        }

        let final = try Tensor(shape: picture.parameterShape, scalars: parameters)
        let finalValue = try evaluate(try picture.input(final))
        let image = try RGBImage(tensor: try GradMode.withoutGrad { try picture.rgb(final) })
        let imageValue = try evaluate(try image.tensor(mean: preprocessing.mean, std: preprocessing.std))
        return Visualization(
            image: image, objective: objective, values: values, startValue: startValue,
            finalValue: finalValue, imageValue: imageValue, settings: settings)
    }
}
