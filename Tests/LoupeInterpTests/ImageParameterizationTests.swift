import LoupeTensor
import Testing

@testable import LoupeInterp

/// The matmul inverse FFT against `torch.fft.irfftn`, the Fourier image against Lucent's
/// pipeline, and the pixel parameterisation's identities.
@Suite struct ImageParameterizationTests {
    static let imagenet = (mean: [Float(0.485), 0.456, 0.406], std: [Float(0.229), 0.224, 0.225])

    @Test(arguments: VisualizationVectors.irfft.map(\.name))
    func inverseRealFFTMatchesPyTorch(name: String) throws {
        let v = try #require(VisualizationVectors.irfft.first { $0.name == name })
        let transform = try InverseRealFFT2D(height: v.height, width: v.width)
        let image = try transform(try Tensor(shape: v.spectrumShape, scalars: v.spectrum))
        #expect(image.shape == [v.spectrumShape[0], v.height, v.width])
        let error = zip(try image.scalars, v.image).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(error < 2e-6, "\(name): largest difference from torch.fft.irfftn \(error)")
    }

    @Test func inverseRealFFTGradientIsItsAdjoint() throws {
        // The transform is linear, so ⟨T(X), Y⟩'s gradient in X must agree with finite differences exactly.
        let transform = try InverseRealFFT2D(height: 5, width: 6)
        var rng = SplitMix64(seed: 3)
        let x = try Tensor.randomNormal([1, 5, 4, 2], using: &rng)
        let y = try Tensor.randomNormal([1, 5, 6], using: &rng)
        let tracked = x.requiringGrad()
        let analytic = try grad(of: transform(tracked), wrt: [tracked], seed: y)[0].scalars
        let base = try x.scalars, weights = try y.scalars
        func loss(_ values: [Float]) throws -> Double {
            zip(try transform(Tensor(shape: [1, 5, 4, 2], scalars: values)).scalars, weights).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        for position in stride(from: 0, to: base.count, by: 3) {
            var plus = base, minus = base
            plus[position] += 0.01
            minus[position] -= 0.01
            let numeric = Float((try loss(plus) - loss(minus)) / 0.02)
            #expect(Swift.abs(numeric - analytic[position]) < 1e-3, "position \(position): \(numeric) vs \(analytic[position])")
        }
    }

    @Test func fourierImageMatchesLucent() throws {
        let v = VisualizationVectors.fourierImage
        let picture = try ParameterizedImage(.fourier, height: v.height, width: v.width, mean: Self.imagenet.mean, std: Self.imagenet.std)
        #expect(picture.parameterShape == [1, 3, v.height, v.width / 2 + 1, 2])
        let rgb = try picture.rgb(try Tensor(shape: picture.parameterShape, scalars: v.spectrum))
        #expect(rgb.shape == [1, 3, v.height, v.width])
        let error = zip(try rgb.scalars, v.image).map { Swift.abs($0 - $1) }.max() ?? 1
        #expect(error < 1e-6, "largest difference from Lucent's fft_image + to_valid_rgb: \(error)")
    }

    @Test func pixelParametersAreTheNormalisedInput() throws {
        let picture = try ParameterizedImage(.pixel, height: 4, width: 3, mean: Self.imagenet.mean, std: Self.imagenet.std)
        var rng = SplitMix64(seed: 1)
        let p = try picture.initialParameters(using: &rng)
        #expect(p.shape == [1, 3, 4, 3])
        let values = try p.scalars
        let spread = (values.map { $0 * $0 }.reduce(0, +) / Float(values.count)).squareRoot()
        #expect(spread > 0.05 && spread < 0.2, "started at 0.1·N(0, 1); RMS \(spread)")
        #expect(try picture.input(p).scalars == values)
        let rgb = try picture.rgb(p).scalars
        #expect(Swift.abs(rgb[0] - (values[0] * 0.229 + 0.485)) < 1e-6)
        #expect(Swift.abs(rgb[12] - (values[12] * 0.224 + 0.456)) < 1e-6)
        let back = try picture.normalized(try picture.rgb(p)).scalars
        #expect(zip(back, values).allSatisfy { Swift.abs($0 - $1) < 1e-5 })
        #expect(throws: InterpError.self) { try picture.rgb(try Tensor.zeros([1, 3, 3, 3])) }
    }

    @Test func fourierPicturesStayInRangeAndStartNearGrey() throws {
        let picture = try ParameterizedImage(.fourier, height: 16, width: 15, mean: Self.imagenet.mean, std: Self.imagenet.std)
        var rng = SplitMix64(seed: 2)
        let rgb = try picture.rgb(try picture.initialParameters(using: &rng)).scalars
        #expect(rgb.count == 3 * 16 * 15)
        #expect(rgb.allSatisfy { $0 > 0.3 && $0 < 0.7 }, "a 0.01 spectrum is a faint image around sigmoid(0) = 0.5")
    }
}
