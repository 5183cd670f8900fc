import LoupeImage

extension Heatmap {
    /// An attribution as a heatmap at the input's `size`: a diverging map (the default for
    /// signed methods) is centred on zero over ±the largest magnitude; an unsigned map is
    /// min–max normalised to [0, 1], as the lecture does.
    public init(attribution: Attribution, size: (height: Int, width: Int), colorMap: ColorMap? = nil, gamma: Float? = nil) {
        var map = attribution.map(size: size)
        let chosen = colorMap ?? (attribution.isSigned ? .coolwarm : .viridis)
        var range: ClosedRange<Float>?
        if chosen.isDiverging {
            let extent = map.map(Swift.abs).max() ?? 0
            range = extent > 0 ? -extent...extent : nil
        } else if !attribution.isSigned {
            let low = map.min() ?? 0, high = map.max() ?? 0
            if high > low { map = map.map { ($0 - low) / (high - low) } }
            range = 0...1
        }
        self.init(values: map, width: size.width, height: size.height, colorMap: chosen, range: range, gamma: gamma)
    }
}
