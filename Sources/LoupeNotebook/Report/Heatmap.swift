import Foundation
import LoupeImage

/// A 2-D map of values (a saliency map, an activation channel…) to show with a colour map.
///
/// `values` is row-major `[height, width]`. The shown range is ``range`` when given; otherwise
/// the data's minimum and maximum, or `±max|v|` for a diverging map so that zero is the middle
/// colour. Values outside the range are clamped; non-finite values take the lowest colour.
public struct Heatmap: Sendable, Equatable {
    /// Row-major values, `width × height` of them.
    public var values: [Float]
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// The colour map.
    public var colorMap: ColorMap
    /// The value range mapped onto the colour map, or `nil` to derive it from the data.
    public var range: ClosedRange<Float>?
    /// An optional gamma applied to the normalised value (`t^gamma`; for a diverging map, to the
    /// distance from the middle), or `nil` for none.
    public var gamma: Float?
    /// What the map shows (model, layer, method, target class…).
    public var caption: String
    /// A PNG of the same size drawn under the map (the photo), or `nil`.
    public var underlay: Data?
    /// The map's opacity over ``underlay`` (0…1).
    public var opacity: Float = 1

    /// A heatmap.
    public init(
        values: [Float],
        width: Int,
        height: Int,
        colorMap: ColorMap = .viridis,
        range: ClosedRange<Float>? = nil,
        gamma: Float? = nil,
        caption: String
    ) {
        self.values = values
        self.width = width
        self.height = height
        self.colorMap = colorMap
        self.range = range
        self.gamma = gamma
        self.caption = caption
    }
}

/// A heatmap turned into pictures: the map, its colour bar and the labels at the bar's ends.
public struct RenderedHeatmap: Sendable, Equatable {
    /// The map as an RGB PNG, one pixel per value.
    public var map: ImageOutput
    /// A horizontal colour bar (256 × 12 pixels), values rising linearly from the range's lower
    /// end on the left to its upper end on the right.
    public var colorBar: Data
    /// The range that the colour map spans.
    public var range: ClosedRange<Float>
    /// The smallest and largest finite values in the data (`nil` when there are none).
    public var dataExtent: ClosedRange<Float>?
    /// The label at the colour bar's left end (the range's lower end).
    public var lowerLabel: String { formatValue(range.lowerBound) }
    /// The label at the colour bar's right end (the range's upper end).
    public var upperLabel: String { formatValue(range.upperBound) }
}

/// A value as the report prints it: four significant digits (`%.4g`), independent of locale.
public func formatValue(_ value: Float) -> String {
    let text = String(format: "%.4g", Double(value))
    return text == "-0" ? "0" : text
}

extension Heatmap {
    /// The smallest and largest finite values, or `nil` when there are none.
    public var dataExtent: ClosedRange<Float>? {
        var lower = Float.infinity, upper = -Float.infinity
        for value in values where value.isFinite {
            lower = min(lower, value)
            upper = max(upper, value)
        }
        return lower <= upper ? lower...upper : nil
    }

    /// The range mapped onto the colour map (see the type's discussion).
    ///
    /// A degenerate derived range (constant data) is widened by 1 on each side (0.5 for the
    /// diverging case around zero) so the map stays drawable.
    public func shownRange() throws -> ClosedRange<Float> {
        if let range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
                throw NotebookError.heatmapInvalidRange(lower: range.lowerBound, upper: range.upperBound)
            }
            return range
        }
        let extent = dataExtent ?? 0...0
        if colorMap.isDiverging {
            let bound = max(abs(extent.lowerBound), abs(extent.upperBound))
            return bound > 0 ? -bound...bound : -1...1
        }
        return extent.lowerBound < extent.upperBound ? extent : (extent.lowerBound - 1)...(extent.upperBound + 1)
    }

    /// The position of `value` on the colour map, in `[0, 1]`, after clamping and gamma.
    func position(_ value: Float, in range: ClosedRange<Float>) -> Float {
        guard value.isFinite else { return 0 }
        var t = (value - range.lowerBound) / (range.upperBound - range.lowerBound)
        t = min(max(t, 0), 1)
        guard let gamma else { return t }
        if colorMap.isDiverging {
            let s = 2 * t - 1
            return (1 + (s < 0 ? -1 : 1) * pow(abs(s), gamma)) / 2
        }
        return pow(t, gamma)
    }

    /// The map and its colour bar as PNG files.
    ///
    /// - Throws: ``NotebookError`` for a wrong value count, size, range or gamma;
    ///   ``ImageError`` when PNG encoding fails.
    public func rendered() throws -> RenderedHeatmap {
        guard width > 0, height > 0 else { throw NotebookError.heatmapInvalidSize(width: width, height: height) }
        let (expectedCount, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, values.count == expectedCount else {
            throw NotebookError.heatmapSizeMismatch(width: width, height: height, count: values.count)
        }
        if let gamma, !(gamma.isFinite && gamma > 0) { throw NotebookError.heatmapInvalidGamma(gamma) }
        let range = try shownRange()

        var pixels = [UInt8](repeating: 0, count: values.count * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            for (i, value) in values.enumerated() {
                let colour = colorMap.rgb(position(value, in: range))
                (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (colour.x, colour.y, colour.z)
            }
        }
        if let underlay {
            let photo = try RGBImage(data: underlay, name: "heatmap underlay")
            guard photo.width == width, photo.height == height else {
                throw NotebookError.heatmapSizeMismatch(width: width, height: height, count: photo.width * photo.height)
            }
            let alpha = min(max(opacity.isFinite ? opacity : 1, 0), 1)
            let under = photo.pixels
            pixels.withUnsafeMutableBufferPointer { out in
                for i in out.indices {
                    out[i] = UInt8((alpha * Float(out[i]) + (1 - alpha) * Float(under[i])).rounded())
                }
            }
        }
        let mapPNG = try PNGEncoder().encode(width: width, height: height, format: .rgb, pixels: pixels)

        let barWidth = 256, barHeight = 12
        var row = [UInt8]()
        row.reserveCapacity(barWidth * 3)
        for x in 0..<barWidth {
            // Values run linearly along the bar, so the bar shows the gamma the map used.
            let value = range.lowerBound + (range.upperBound - range.lowerBound) * Float(x) / Float(barWidth - 1)
            let colour = colorMap.rgb(position(value, in: range))
            row += [colour.x, colour.y, colour.z]
        }
        let barPixels = Array([[UInt8]](repeating: row, count: barHeight).joined())
        let barPNG = try PNGEncoder().encode(width: barWidth, height: barHeight, format: .rgb, pixels: barPixels)

        let map = ImageOutput(png: mapPNG, width: width, height: height, caption: caption, alt: caption)
        return RenderedHeatmap(map: map, colorBar: barPNG, range: range, dataExtent: dataExtent)
    }
}
