import Foundation

/// A 2-D map of values (a saliency map, an activation channel…) and how to colour it.
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

    /// A map of `values` (row-major, `width × height` of them), checked only by ``validate()``, which drawing calls.
    public init(
        values: [Float], width: Int, height: Int, colorMap: ColorMap = .viridis, range: ClosedRange<Float>? = nil, gamma: Float? = nil
    ) {
        self.values = values
        self.width = width
        self.height = height
        self.colorMap = colorMap
        self.range = range
        self.gamma = gamma
    }

    /// The smallest and largest finite values, or `nil` when there are none.
    public var dataExtent: ClosedRange<Float>? {
        var lower = Float.infinity, upper = -Float.infinity
        for value in values where value.isFinite {
            lower = min(lower, value)
            upper = max(upper, value)
        }
        return lower <= upper ? lower...upper : nil
    }

    /// Checks the size, value count, range and gamma, so that the map can be drawn.
    ///
    /// - Throws: ``ImageError/invalidHeatmap(_:)`` naming what is wrong.
    public func validate() throws {
        guard width > 0, height > 0 else { throw ImageError.invalidHeatmap("expected a positive size, found \(width)×\(height)") }
        let (expected, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, values.count == expected else {
            throw ImageError.invalidHeatmap(
                "expected \(width)×\(height) = \(overflow ? "too many" : String(expected)) values, found \(values.count)")
        }
        if let gamma, !(gamma.isFinite && gamma > 0) { throw ImageError.invalidHeatmap("expected a positive finite gamma, found \(gamma)") }
        _ = try shownRange()
    }

    /// The range mapped onto the colour map (see the type's discussion).
    ///
    /// A degenerate derived range (constant data) is widened by 1 on each side (0.5 for the
    /// diverging case around zero) so the map stays drawable.
    ///
    /// - Throws: ``ImageError/invalidHeatmap(_:)`` for a given range that is empty, reversed or
    ///   not finite.
    public func shownRange() throws -> ClosedRange<Float> {
        if let range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite, range.lowerBound < range.upperBound else {
                throw ImageError.invalidHeatmap(
                    "expected a finite range with lower < upper, found [\(range.lowerBound), \(range.upperBound)]")
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

    /// The map in colour, one pixel per value; over `underlay` (a picture of the same size) at
    /// `opacity` (0…1) when one is given.
    ///
    /// - Throws: ``ImageError/invalidHeatmap(_:)`` (see ``validate()``);
    ///   ``ImageError/sizeMismatch(expectedWidth:expectedHeight:width:height:)`` for an underlay
    ///   of another size.
    public func colored(over underlay: RGBImage? = nil, opacity: Float = 1) throws -> RGBImage {
        try validate()
        let range = try shownRange()
        var pixels = [UInt8](repeating: 0, count: values.count * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            for (i, value) in values.enumerated() {
                let colour = colorMap.rgb(position(value, in: range))
                (out[3 * i], out[3 * i + 1], out[3 * i + 2]) = (colour.x, colour.y, colour.z)
            }
        }
        if let underlay {
            guard underlay.width == width, underlay.height == height else {
                throw ImageError.sizeMismatch(expectedWidth: width, expectedHeight: height, width: underlay.width, height: underlay.height)
            }
            let alpha = min(max(opacity.isFinite ? opacity : 1, 0), 1)
            let under = underlay.pixels
            pixels.withUnsafeMutableBufferPointer { out in
                for i in out.indices {
                    out[i] = UInt8((alpha * Float(out[i]) + (1 - alpha) * Float(under[i])).rounded())
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    /// The values as an 8-bit grey PNG, one pixel per value, for a page to read back under the cursor.
    ///
    /// A finite value is its position in ``dataExtent`` in 255 equal steps (rounded), a
    /// non-finite one 0; nil when no value is finite. A page recovers `lower + byte × (upper − lower) / 255`, within half a step of the value.
    ///
    /// - Returns: the PNG and the extent its bytes span.
    /// - Throws: ``ImageError/invalidHeatmap(_:)`` (see ``validate()``) and PNG encoding errors.
    public func valueImage() throws -> (png: Data, range: ClosedRange<Float>)? {
        try validate()
        guard let extent = dataExtent else { return nil }
        let span = extent.upperBound - extent.lowerBound
        let bytes = values.map { value -> UInt8 in
            guard value.isFinite, span > 0 else { return 0 }
            return UInt8(min(max(((value - extent.lowerBound) / span * 255).rounded(), 0), 255))
        }
        return (try PNGEncoder().encode(width: width, height: height, format: .grey, pixels: bytes), extent)
    }

    /// A horizontal colour bar, values rising linearly from the range's lower end on the left
    /// to its upper end on the right, through the same gamma as the map.
    ///
    /// - Throws: ``ImageError/invalidHeatmap(_:)`` for an invalid range or gamma.
    public func colorBar(width barWidth: Int = 256, height barHeight: Int = 12) throws -> RGBImage {
        let range = try shownRange()
        var row = [UInt8]()
        row.reserveCapacity(barWidth * 3)
        for x in 0..<barWidth {
            let value = range.lowerBound + (range.upperBound - range.lowerBound) * Float(x) / Float(max(barWidth - 1, 1))
            let colour = colorMap.rgb(position(value, in: range))
            row += [colour.x, colour.y, colour.z]
        }
        return try RGBImage(width: barWidth, height: barHeight, pixels: Array([[UInt8]](repeating: row, count: barHeight).joined()))
    }
}

/// A value as reports print it: four significant digits (`%.4g`), independent of locale.
public func formatValue(_ value: Float) -> String {
    let text = String(format: "%.4g", Double(value))
    return text == "-0" ? "0" : text
}
