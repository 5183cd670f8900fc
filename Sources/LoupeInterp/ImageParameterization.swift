import Foundation
import LoupeImage
import LoupeTensor

/// How an optimised image is represented: what the optimiser changes.
public enum ImageParameterization: String, CaseIterable, Sendable {
    /// The model's normalised input itself, `[1, 3, H, W]`, started at `0.1·N(0, 1)`: the
    /// lecture's (and the classic blog posts') class visualisation.
    case pixel
    /// Lucid/Lucent's decorrelated parameterisation (Olah et al. 2017,
    /// <https://distill.pub/2017/feature-visualization/>): a Fourier spectrum scaled by
    /// `1 / frequency`, turned into an image by an inverse real 2-D FFT, mixed through a colour
    /// decorrelation matrix and squashed by a sigmoid into 0…1; started at `0.01·N(0, 1)`.
    case fourier
}

/// An image described by parameters and a differentiable function from them to pixels, for
/// one model's input normalisation (Lucent's `(params, image_f)` pair).
///
/// ``rgb(_:)`` gives the picture in 0…1 (`[1, 3, H, W]`; the pixel parameterisation may
/// leave that range, the Fourier one cannot), ``normalized(_:)`` turns such a picture into the
/// model's input, and ``input(_:)`` does both without transforms in between.
public struct ParameterizedImage: Sendable {
    /// The representation.
    public let parameterization: ImageParameterization
    /// Image height and width in pixels.
    public let height: Int, width: Int
    /// The shape of the optimised parameters: `[1, 3, H, W]` for pixels, `[1, 3, H, W/2 + 1, 2]`
    /// (real and imaginary parts last, as `torch.view_as_complex` wants) for the spectrum.
    public let parameterShape: [Int]
    private let mean: Tensor, std: Tensor
    private let fourier: FourierImage?

    /// An image of `height`×`width` for a model that normalises with `mean` and `std`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a size below 2 or normalisation
    ///   constants that are not three values with nonzero standard deviations.
    public init(_ parameterization: ImageParameterization, height: Int, width: Int, mean: [Float], std: [Float]) throws {
        guard height >= 2, width >= 2 else {
            throw InterpError.invalidParameter("the image size must be at least 2×2 pixels, got \(width)×\(height)")
        }
        guard mean.count == 3, std.count == 3, !std.contains(0) else {
            throw InterpError.invalidParameter(
                "the model's normalisation needs three means and three nonzero standard deviations, got \(mean) and \(std)")
        }
        self.parameterization = parameterization
        self.height = height
        self.width = width
        self.mean = try Tensor(shape: [1, 3, 1, 1], scalars: mean)
        self.std = try Tensor(shape: [1, 3, 1, 1], scalars: std)
        switch parameterization {
        case .pixel:
            parameterShape = [1, 3, height, width]
            fourier = nil
        case .fourier:
            let image = try FourierImage(height: height, width: width)
            parameterShape = [1, 3, height, image.bins, 2]
            fourier = image
        }
    }

    /// Seeded starting parameters: `0.1·N(0, 1)` pixels (the lecture's) or a `0.01·N(0, 1)`
    /// spectrum (Lucent's).
    public func initialParameters(using generator: inout some RandomNumberGenerator) throws -> Tensor {
        try Tensor.randomNormal(parameterShape, standardDeviation: parameterization == .pixel ? 0.1 : 0.01, using: &generator)
    }

    /// The picture in 0…1, `[1, 3, H, W]`, differentiable in `parameters`.
    public func rgb(_ parameters: Tensor) throws -> Tensor {
        try checkShape(parameters)
        guard let fourier else { return try parameters * std + mean }
        return try fourier.image(parameters).sigmoid()
    }

    /// The model's input for a picture in 0…1: `(rgb − mean) / std`.
    public func normalized(_ rgb: Tensor) throws -> Tensor {
        try (rgb - mean) / std
    }

    /// The model's input for `parameters` without transforms; for pixels, `parameters` itself.
    public func input(_ parameters: Tensor) throws -> Tensor {
        try checkShape(parameters)
        return parameterization == .pixel ? parameters : try normalized(rgb(parameters))
    }

    /// The smallest and largest normalised values of each channel: where the 0…1 range of a
    /// picture lies in the model's input.
    public var inputRange: [ClosedRange<Float>] {
        get throws {
            let m = try mean.scalars, s = try std.scalars
            return (0..<3).map { c in
                let (low, high) = ((0 - m[c]) / s[c], (1 - m[c]) / s[c])
                return Swift.min(low, high)...Swift.max(low, high)
            }
        }
    }

    private func checkShape(_ parameters: Tensor) throws {
        guard parameters.shape == parameterShape else {
            throw InterpError.invalidParameter(
                "\(parameterization) image parameters must have shape \(parameterShape), got \(parameters.shape)")
        }
    }
}

/// Lucent's `fft_image` followed by `_linear_decorrelate_color`, before the sigmoid.
struct FourierImage: Sendable {
    let height: Int, width: Int
    /// Frequency bins kept along the width: `W/2 + 1`.
    var bins: Int { width / 2 + 1 }
    /// `1 / max(frequency, 1 / max(H, W))` per bin, repeated for the real and imaginary parts:
    /// `[1, 1, H, 2·bins]`.
    let spectrumScale: Tensor
    /// Lucid's square root of the ImageNet colour correlation, columns normalised by the
    /// largest column norm, `[3, 3]`.
    let colorMatrix: Tensor
    let transform: InverseRealFFT2D

    /// Lucid's divisor: "increasing this seems to reduce saturation".
    static let magic: Float = 4

    /// The square root of the colour correlation (from Lucid's `color.py`).
    static let colorCorrelationSquareRoot: [[Float]] = [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]]

    init(height: Int, width: Int) throws {
        self.height = height
        self.width = width
        let bins = width / 2 + 1
        var scale = [Float](repeating: 0, count: height * bins * 2)
        let floor = 1 / Double(Swift.max(height, width))
        for k in 0..<height {
            let fy = Double(k <= (height - 1) / 2 ? k : k - height) / Double(height)
            for l in 0..<bins {
                let fx = Double(l) / Double(width)
                let value = Float(1 / Swift.max((fx * fx + fy * fy).squareRoot(), floor))
                scale[(k * bins + l) * 2] = value
                scale[(k * bins + l) * 2 + 1] = value
            }
        }
        spectrumScale = try Tensor(shape: [1, 1, height, 2 * bins], scalars: scale)
        let m = Self.colorCorrelationSquareRoot
        let largestColumnNorm = (0..<3).map { c in (0..<3).map { m[$0][c] * m[$0][c] }.reduce(0, +).squareRoot() }.max() ?? 1
        colorMatrix = try Tensor(shape: [3, 3], scalars: m.flatMap { $0.map { $0 / largestColumnNorm } })
        transform = try InverseRealFFT2D(height: height, width: width, scale: 1 / (Self.magic * Float(height * width).squareRoot()))
    }

    /// The decorrelated image before the sigmoid, `[1, 3, H, W]`, for a spectrum
    /// `[1, 3, H, bins, 2]`.
    func image(_ spectrum: Tensor) throws -> Tensor {
        let scaled = try spectrum.reshaped(to: [1, 3, height, 2 * bins]) * spectrumScale
        // Colour mixing is linear, so it may act on the spectrum: one small matmul, no permutes.
        let mixed = try colorMatrix.matmul(scaled.reshaped(to: [3, height * bins * 2]))
        return try transform(mixed.reshaped(to: [3, height, bins, 2])).reshaped(to: [1, 3, height, width])
    }
}

/// `torch.fft.irfft2(X, s=(H, W), norm="ortho")` (times an optional factor) as two matmuls with
/// fixed cosine and sine matrices, so that the existing autograd differentiates it.
///
/// The inverse real FFT is linear in the real and imaginary parts of the half spectrum
/// `X[k, l]` (`l < W/2 + 1`):
/// `x[m, n] = s · Σₖ Σₗ cₗ (Re X[k,l] cos θ − Im X[k,l] sin θ)`, with
/// `θ = 2π(km/H + ln/W)`, `cₗ = 1` for the zero and (even `W`) Nyquist columns and 2
/// otherwise, and `s = 1/√(HW)`; the imaginary parts of those two columns after the transform
/// along the height are dropped, as C2R transforms do. Splitting `cos θ` and `sin θ` into
/// their height and width factors gives one matmul along the width and one along the height,
/// with the intermediate laid out so that only reshapes (no copies) sit between them.
struct InverseRealFFT2D: Sendable {
    let height: Int, width: Int
    /// `[2·bins, 2W]`: rows `2l` and `2l + 1` take `Re X[·, l]` and `Im X[·, l]`; the first `W`
    /// columns give `P₁ = Σₗ cₗ (Re X cos b − Im X sin b)`, the last `W` give
    /// `P₂ = Σₗ cₗ (Re X sin b + Im X cos b)`, `b = 2πln/W`.
    let widthMatrix: Tensor
    /// `[H, 2H]`: `x = s · (cos a · P₁ − sin a · P₂)`, `a = 2πkm/H`, columns interleaved `(k, P₁/P₂)`.
    let heightMatrix: Tensor

    var bins: Int { width / 2 + 1 }

    init(height: Int, width: Int, scale: Float? = nil) throws {
        self.height = height
        self.width = width
        let bins = width / 2 + 1
        var w = [Float](repeating: 0, count: 2 * bins * 2 * width)
        for l in 0..<bins {
            let weight: Double = l == 0 || (width % 2 == 0 && l == width / 2) ? 1 : 2
            for n in 0..<width {
                let angle = 2 * Double.pi * Double((l * n) % width) / Double(width)
                let (c, s) = (Float(weight * Foundation.cos(angle)), Float(weight * Foundation.sin(angle)))
                w[(2 * l) * 2 * width + n] = c
                w[(2 * l + 1) * 2 * width + n] = -s
                w[(2 * l) * 2 * width + width + n] = s
                w[(2 * l + 1) * 2 * width + width + n] = c
            }
        }
        widthMatrix = try Tensor(shape: [2 * bins, 2 * width], scalars: w)
        let factor = Double(scale ?? 1 / Float(height * width).squareRoot())
        var h = [Float](repeating: 0, count: height * 2 * height)
        for m in 0..<height {
            for k in 0..<height {
                let angle = 2 * Double.pi * Double((k * m) % height) / Double(height)
                h[m * 2 * height + 2 * k] = Float(factor * Foundation.cos(angle))
                h[m * 2 * height + 2 * k + 1] = Float(-factor * Foundation.sin(angle))
            }
        }
        heightMatrix = try Tensor(shape: [height, 2 * height], scalars: h)
    }

    /// The real images `[B, H, W]` of half spectra `[B, H, W/2 + 1, 2]` (real and imaginary
    /// parts last).
    func callAsFunction(_ spectrum: Tensor) throws -> Tensor {
        let batch = spectrum.shape.first ?? 1
        guard spectrum.shape == [batch, height, bins, 2] else {
            throw InterpError.invalidParameter("the inverse FFT expects a spectrum [B, \(height), \(bins), 2], got \(spectrum.shape)")
        }
        let alongWidth = try spectrum.reshaped(to: [batch, height, 2 * bins]).matmul(widthMatrix)
        return try heightMatrix.matmul(alongWidth.reshaped(to: [batch, 2 * height, width]))
    }
}
