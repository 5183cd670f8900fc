/// PIL's antialiased resampling (`Image.resize(size, Image.BILINEAR)` or `Image.BICUBIC`),
/// reimplemented so that every output byte is the byte PIL 9.4 produces.
///
/// The filter (see ``Interpolation``) has support 1 (the bilinear triangle) or 2 (the bicubic
/// kernel). When shrinking by a factor `s > 1` it is stretched by `s` (support `s` or `2s` input
/// pixels each side), so every input pixel contributes: this is the antialiasing that
/// torchvision's `Resize` gets from PIL. For each output index the weights are computed in
/// `Double`, normalised to sum to 1, then turned into 22-bit fixed point (rounded half away from
/// zero). Rows are resampled first (horizontal pass), each result rounded and clipped to 0…255,
/// then columns (vertical pass) from those bytes. Bicubic weights can be negative, so a sum can
/// fall outside 0…255 near an edge; the clip is what PIL returns there. A pass whose size does not
/// change is skipped.
struct Resampler {
    /// Fixed-point bits of the weights, PIL's `PRECISION_BITS` (`32 − 8 − 2`).
    static let precisionBits = 22

    /// The weights for one axis: input size to output size.
    struct Axis {
        /// First input index each output index reads.
        let starts: [Int]
        /// Number of input indices each output index reads.
        let counts: [Int]
        /// `counts[i]` fixed-point weights for output `i`, at `i * stride`.
        let weights: [Int]
        /// Distance between consecutive outputs' weights.
        let stride: Int

        /// PIL's `precompute_coeffs` followed by `normalize_coeffs_8bpc`.
        init(inputSize: Int, outputSize: Int, filter: Interpolation) {
            let scale = Double(inputSize) / Double(outputSize)
            let filterScale = max(scale, 1.0)
            let support = filter.support * filterScale
            let stride = Int(support.rounded(.up)) * 2 + 1
            var starts = [Int](repeating: 0, count: outputSize)
            var counts = [Int](repeating: 0, count: outputSize)
            var weights = [Int](repeating: 0, count: outputSize * stride)
            var raw = [Double](repeating: 0, count: stride)
            let unit = Double(1 << Resampler.precisionBits)
            for out in 0..<outputSize {
                let center = (Double(out) + 0.5) * scale
                let inverseScale = 1.0 / filterScale
                // C's (int) cast truncates toward zero, as Int(_: Double) does.
                let first = max(Int(center - support + 0.5), 0)
                let last = min(Int(center + support + 0.5), inputSize)
                let count = max(last - first, 0)
                var total = 0.0
                for k in 0..<count {
                    let w = filter.weight((Double(k + first) - center + 0.5) * inverseScale)
                    raw[k] = w
                    total += w
                }
                for k in 0..<count {
                    let w = total != 0 ? raw[k] / total : raw[k]
                    weights[out * stride + k] = w < 0 ? Int(-0.5 + w * unit) : Int(0.5 + w * unit)
                }
                starts[out] = first
                counts[out] = count
            }
            self.starts = starts
            self.counts = counts
            self.weights = weights
            self.stride = stride
        }
    }

    /// PIL's `clip8`: drop the fraction bits and clamp.
    @inline(__always)
    static func clip8(_ sum: Int) -> UInt8 {
        let value = sum >> precisionBits
        return value < 0 ? 0 : value > 255 ? 255 : UInt8(value)
    }

    /// Resamples interleaved RGB `pixels` from `width`×`height` to `outWidth`×`outHeight` with `filter`.
    static func resample(
        _ pixels: [UInt8], width: Int, height: Int, outWidth: Int, outHeight: Int, filter: Interpolation
    ) -> [UInt8] {
        let horizontal = Axis(inputSize: width, outputSize: outWidth, filter: filter)
        let vertical = Axis(inputSize: height, outputSize: outHeight, filter: filter)
        var source = pixels
        var sourceWidth = width
        var rowOffset = 0  // the first input row the source holds

        if outWidth != width {
            // Only the rows the vertical pass reads need a horizontal pass (PIL's ybox_first/last).
            let firstRow = vertical.starts[0]
            let lastRow = vertical.starts[outHeight - 1] + vertical.counts[outHeight - 1]
            source = horizontalPass(pixels, width: width, rows: firstRow..<lastRow, axis: horizontal, outWidth: outWidth)
            sourceWidth = outWidth
            rowOffset = firstRow
        }
        if outHeight != height {
            source = verticalPass(source, width: sourceWidth, rowOffset: rowOffset, axis: vertical, outHeight: outHeight)
        }
        return source
    }

    /// Resamples each row in `rows` to `outWidth` pixels.
    static func horizontalPass(_ pixels: [UInt8], width: Int, rows: Range<Int>, axis: Axis, outWidth: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: rows.count * outWidth * 3)
        let half = 1 << (precisionBits - 1)
        pixels.withUnsafeBufferPointer { input in
            axis.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { output in
                    for (row, y) in rows.enumerated() {
                        let inRow = y * width * 3, outRow = row * outWidth * 3
                        for x in 0..<outWidth {
                            let start = axis.starts[x], k = x * axis.stride
                            var r = half, g = half, b = half
                            for i in 0..<axis.counts[x] {
                                let w = weights[k + i], p = inRow + (start + i) * 3
                                r &+= Int(input[p]) &* w
                                g &+= Int(input[p + 1]) &* w
                                b &+= Int(input[p + 2]) &* w
                            }
                            output[outRow + x * 3] = clip8(r)
                            output[outRow + x * 3 + 1] = clip8(g)
                            output[outRow + x * 3 + 2] = clip8(b)
                        }
                    }
                }
            }
        }
        return out
    }

    /// Resamples each column to `outHeight` pixels; input row `y` is stored at `y - rowOffset`.
    static func verticalPass(_ pixels: [UInt8], width: Int, rowOffset: Int, axis: Axis, outHeight: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: outHeight * width * 3)
        let half = 1 << (precisionBits - 1)
        let rowLength = width * 3
        pixels.withUnsafeBufferPointer { input in
            axis.weights.withUnsafeBufferPointer { weights in
                out.withUnsafeMutableBufferPointer { output in
                    for y in 0..<outHeight {
                        let start = axis.starts[y] - rowOffset, k = y * axis.stride, count = axis.counts[y]
                        let outRow = y * rowLength
                        for c in 0..<rowLength {
                            var sum = half
                            for i in 0..<count {
                                sum &+= Int(input[(start + i) * rowLength + c]) &* weights[k + i]
                            }
                            output[outRow + c] = clip8(sum)
                        }
                    }
                }
            }
        }
        return out
    }
}
