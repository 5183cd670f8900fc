import LoupeTensor

/// An attribution: the raw values, shaped as Captum returns them, and what they explain.
public struct Attribution: Sendable {
    /// The raw values in row-major order.
    public let values: [Float]
    /// Their shape: `[1, 3, H, W]` for input attributions, `[1, 1, h, w]` for Grad-CAM.
    public let shape: [Int]
    /// The method's name as captions show it ("Integrated Gradients, 50 Gauss–Legendre steps").
    public let method: String
    /// What was explained.
    public let target: ResolvedTarget
    /// The layer, for layer methods.
    public let layer: String?
    /// Whether the values keep their sign (a diverging colour map shows them).
    public let isSigned: Bool

    /// An attribution from its parts; `values` must hold as many elements as `shape` describes (not checked).
    public init(values: [Float], shape: [Int], method: String, target: ResolvedTarget, layer: String? = nil, isSigned: Bool) {
        self.values = values
        self.shape = shape
        self.method = method
        self.target = target
        self.layer = layer
        self.isSigned = isSigned
    }

    /// The attribution as one `H × W` map for display, at `size` (the input's size):
    /// channels are reduced (the largest magnitude, as the lecture's saliency map, or for signed
    /// maps the sum) and a smaller map (Grad-CAM) is upsampled bilinearly.
    public func map(size: (height: Int, width: Int)) -> [Float] {
        let channels = shape.count == 4 ? shape[1] : 1
        let height = shape[shape.count - 2], width = shape[shape.count - 1]
        let plane = height * width
        var reduced = [Float](repeating: isSigned ? 0 : -.infinity, count: plane)
        for c in 0..<channels {
            for i in 0..<plane {
                let v = values[c * plane + i]
                if isSigned { reduced[i] += v } else { reduced[i] = Swift.max(reduced[i], Swift.abs(v)) }
            }
        }
        if (height, width) == (size.height, size.width) { return reduced }
        return Resampling.bilinear(reduced, from: (height, width), to: size)
    }
}

/// PyTorch's `F.interpolate` for one 2-D plane.
public enum Resampling {
    /// `mode="bilinear", align_corners=False`.
    public static func bilinear(_ values: [Float], from source: (height: Int, width: Int), to target: (height: Int, width: Int)) -> [Float]
    {
        func taps(_ input: Int, _ output: Int) -> [(Int, Int, Float)] {
            let scale = Float(input) / Float(output)
            return (0..<output).map { dst in
                let src = Swift.max(scale * (Float(dst) + 0.5) - 0.5, 0)
                let i0 = Int(src)
                let i1 = i0 + (i0 < input - 1 ? 1 : 0)
                return (i0, i1, src - Float(i0))
            }
        }
        let rows = taps(source.height, target.height), columns = taps(source.width, target.width)
        var out = [Float](repeating: 0, count: target.height * target.width)
        for (y, (y0, y1, ly)) in rows.enumerated() {
            for (x, (x0, x1, lx)) in columns.enumerated() {
                let top = (1 - lx) * values[y0 * source.width + x0] + lx * values[y0 * source.width + x1]
                let bottom = (1 - lx) * values[y1 * source.width + x0] + lx * values[y1 * source.width + x1]
                out[y * target.width + x] = (1 - ly) * top + ly * bottom
            }
        }
        return out
    }

    /// `mode="nearest"`.
    public static func nearest(_ values: [Float], from source: (height: Int, width: Int), to target: (height: Int, width: Int)) -> [Float] {
        let sy = Float(source.height) / Float(target.height), sx = Float(source.width) / Float(target.width)
        var out = [Float](repeating: 0, count: target.height * target.width)
        for y in 0..<target.height {
            let iy = Swift.min(Int((Float(y) * sy).rounded(.down)), source.height - 1)
            for x in 0..<target.width {
                let ix = Swift.min(Int((Float(x) * sx).rounded(.down)), source.width - 1)
                out[y * target.width + x] = values[iy * source.width + ix]
            }
        }
        return out
    }
}
