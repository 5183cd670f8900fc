import Foundation
import LoupeImage

/// A line chart: one or more series of (x, y) points on shared axes, drawn as inline SVG with
/// ticks, axis labels and a legend (an objective per optimisation step, a deletion curve…).
///
/// Points whose x or y is not finite are dropped when the series is made, so a chart always
/// encodes to JSON and always draws.
public struct Chart: Sendable, Equatable, Codable {
    /// One line of the chart.
    public struct Series: Sendable, Equatable, Codable {
        /// The legend's text for this line.
        public var label: String
        /// The points' x coordinates.
        public var x: [Double]
        /// The points' y coordinates, as many as ``x``.
        public var y: [Double]
        /// Shade the area between the line and the x axis's lower end (an area under a curve).
        public var filled: Bool

        /// A series; pairs beyond the shorter of `x` and `y`, and non-finite pairs, are dropped.
        public init(label: String, x: [Double], y: [Double], filled: Bool = false) {
            let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
            self.label = label
            self.x = pairs.map(\.0)
            self.y = pairs.map(\.1)
            self.filled = filled
        }

        /// A series whose x coordinates are 0, 1, 2, … (a value per step).
        public init(label: String, values: [Double], filled: Bool = false) {
            self.init(label: label, x: values.indices.map(Double.init), y: values, filled: filled)
        }
    }

    /// What the chart shows.
    public var caption: String
    /// The horizontal axis's label.
    public var xLabel: String
    /// The vertical axis's label.
    public var yLabel: String
    /// The lines, drawn in order with the colours of ``Chart/palette``.
    public var series: [Series]

    /// A chart.
    public init(caption: String, xLabel: String, yLabel: String, series: [Series]) {
        self.caption = caption
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }

    /// Line colours, reused in order when there are more series (Tableau 10's first six, which
    /// stay distinct for common colour-vision deficiencies).
    static let palette = ["#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2", "#b07aa1"]

    /// The smallest and largest x and y over every series, or `nil` for a chart without points.
    var extent: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        let xs = series.flatMap(\.x), ys = series.flatMap(\.y)
        guard let xMin = xs.min(), let xMax = xs.max(), let yMin = ys.min(), let yMax = ys.max() else { return nil }
        return (xMin...xMax, yMin...yMax)
    }
}

/// Axis ticks at "nice" values (1, 2 or 5 times a power of ten) covering a range.
struct AxisTicks: Equatable {
    /// The axis's drawn range: the data's range widened to whole ticks.
    let range: ClosedRange<Double>
    /// Tick positions, ascending, from `range`'s lower to its upper end.
    let values: [Double]
    /// The tick step.
    let step: Double

    /// About `target` ticks over `data`; a range of one value is widened by one unit each way
    /// (or by 10 % of the value).
    init(covering data: ClosedRange<Double>, target: Int = 5) {
        var lower = data.lowerBound, upper = data.upperBound
        if upper - lower <= 0 {
            let pad = lower == 0 ? 1 : Swift.abs(lower) * 0.1
            lower -= pad
            upper += pad
        }
        let rough = (upper - lower) / Double(Swift.max(target, 1))
        let magnitude = Foundation.pow(10, (Foundation.log10(rough)).rounded(.down))
        let fraction = rough / magnitude
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        let step = nice * magnitude
        let first = (lower / step).rounded(.down) * step
        let last = (upper / step).rounded(.up) * step
        let count = Int(((last - first) / step).rounded()) + 1
        self.step = step
        self.range = first...last
        self.values = (0..<count).map { first + Double($0) * step }
    }

    /// A tick's label: no more digits than the step needs.
    func label(_ value: Double) -> String {
        let decimals = Swift.max(0, -Int(Foundation.log10(step).rounded(.down)))
        let text = String(format: "%.\(Swift.min(decimals, 6))f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}

extension Chart {
    /// The chart as a standalone `<svg>` element (640 × 300 user units, scaled to fit its
    /// container).
    ///
    /// Every label is escaped; colours are presentation attributes, so the report's content
    /// security policy does not need to allow anything new.
    func svg() -> String {
        let width = 640.0, height = 300.0
        let left = 64.0, right = 16.0, top = 16.0, bottom = 46.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let label = escapeHTML(caption)
        var svg =
            "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(label)\">\n"
        guard let extent else {
            svg +=
                "<text x=\"\(Int(width / 2))\" y=\"\(Int(height / 2))\" text-anchor=\"middle\" fill=\"#5f6670\" font-size=\"14\">no points</text>\n</svg>"
            return svg
        }
        let xTicks = AxisTicks(covering: extent.x, target: 6), yTicks = AxisTicks(covering: extent.y, target: 5)
        func px(_ x: Double) -> Double {
            left + (x - xTicks.range.lowerBound) / (xTicks.range.upperBound - xTicks.range.lowerBound) * plotWidth
        }
        func py(_ y: Double) -> Double {
            top + plotHeight - (y - yTicks.range.lowerBound) / (yTicks.range.upperBound - yTicks.range.lowerBound) * plotHeight
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }

        svg += "<g font-size=\"12\" fill=\"#5f6670\">\n"
        for tick in yTicks.values {
            svg += "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(py(tick)))\" y2=\"\(f(py(tick)))\" stroke=\"#e6e9ee\"/>"
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(py(tick) + 4))\" text-anchor=\"end\">\(yTicks.label(tick))</text>\n"
        }
        for tick in xTicks.values {
            svg +=
                "<line x1=\"\(f(px(tick)))\" x2=\"\(f(px(tick)))\" y1=\"\(f(top + plotHeight))\" y2=\"\(f(top + plotHeight + 4))\" stroke=\"#5f6670\"/>"
            svg += "<text x=\"\(f(px(tick)))\" y=\"\(f(top + plotHeight + 18))\" text-anchor=\"middle\">\(xTicks.label(tick))</text>\n"
        }
        svg +=
            "<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(top + plotHeight))\" y2=\"\(f(top + plotHeight))\" stroke=\"#5f6670\"/>"
        svg += "<line x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + plotHeight))\" stroke=\"#5f6670\"/>\n"
        svg += "<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">\(escapeHTML(xLabel))</text>\n"
        svg +=
            "<text transform=\"translate(14 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">\(escapeHTML(yLabel))</text>\n"
        svg += "</g>\n"

        for (index, line) in series.enumerated() where !line.x.isEmpty {
            let colour = Self.palette[index % Self.palette.count]
            let points = zip(line.x, line.y).map { "\(f(px($0))),\(f(py($1)))" }.joined(separator: " ")
            if line.filled, let first = line.x.first, let last = line.x.last {
                let floor = f(py(yTicks.range.lowerBound))
                svg +=
                    "<polygon points=\"\(f(px(first))),\(floor) \(points) \(f(px(last))),\(floor)\" fill=\"\(colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
            }
            if line.x.count == 1 {
                svg += "<circle cx=\"\(f(px(line.x[0])))\" cy=\"\(f(py(line.y[0])))\" r=\"3\" fill=\"\(colour)\"/>\n"
            } else {
                svg += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-linejoin=\"round\"/>\n"
            }
        }

        if series.count > 1 || !(series.first?.label.isEmpty ?? true) {
            svg += "<g font-size=\"12\" fill=\"#1d1f23\">\n"
            svg +=
                "<rect x=\"\(f(left + plotWidth - 156))\" y=\"\(f(top - 2))\" width=\"154\" height=\"\(16 * series.count + 4)\" fill=\"#ffffff\" fill-opacity=\"0.85\"/>"
            var y = top + 10
            for (index, line) in series.enumerated() {
                let colour = Self.palette[index % Self.palette.count]
                svg +=
                    "<line x1=\"\(f(left + plotWidth - 150))\" x2=\"\(f(left + plotWidth - 130))\" y1=\"\(f(y - 4))\" y2=\"\(f(y - 4))\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
                svg += "<text x=\"\(f(left + plotWidth - 124))\" y=\"\(f(y))\">\(escapeHTML(line.label))</text>\n"
                y += 16
            }
            svg += "</g>\n"
        }
        svg += "</svg>"
        return svg
    }

    /// The chart's numbers as plain text, a line per series (for screen readers' captions and
    /// for notebook viewers that cannot draw SVG).
    var summary: String {
        series.map { line in
            guard let first = line.y.first, let last = line.y.last else { return "\(line.label): no points" }
            let lowest = line.y.min() ?? first, highest = line.y.max() ?? first
            return
                "\(line.label): \(line.y.count) points, first \(formatValue(Float(first))), last \(formatValue(Float(last))), min \(formatValue(Float(lowest))), max \(formatValue(Float(highest)))"
        }.joined(separator: "\n")
    }
}
