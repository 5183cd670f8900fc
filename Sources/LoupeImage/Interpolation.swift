/// The filter a resize uses: PIL's (and so torchvision's, on PIL images) `BILINEAR` or `BICUBIC`.
///
/// Both are antialiased when shrinking: the filter is stretched by the downscale factor, so every
/// input pixel contributes (see ``RGBImage/resized(width:height:filter:)``). The raw values are the
/// names torchvision's `InterpolationMode` uses.
public enum Interpolation: String, Sendable, Hashable, CaseIterable, Codable {
    /// A triangle of support 1: `max(0, 1 − |x|)` (`Image.BILINEAR`).
    case bilinear
    /// Keys' cubic convolution with `a = −0.5`, support 2 (`Image.BICUBIC`).
    ///
    /// Its negative lobes sharpen edges and can overshoot 0…255; results are clipped, as PIL does.
    case bicubic
}

extension Interpolation {
    /// How far the filter reaches either side of its centre, in input pixels at scale 1.
    var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        }
    }

    /// The filter's value at distance `x`, with PIL's arithmetic (`bilinear_filter` and
    /// `bicubic_filter` in `Resample.c`), so that the normalised weights round as PIL's do.
    @inline(__always)
    func weight(_ x: Double) -> Double {
        let x = x < 0 ? -x : x
        switch self {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            // a = −0.5: (a + 2)·x³ − (a + 3)·x² + 1 inside, a·(x³ − 5x² + 8x − 4) outside.
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}
