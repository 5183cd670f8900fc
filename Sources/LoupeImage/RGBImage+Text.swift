/// Drawing a word onto an image with FreeType, for typographic attacks on CLIP (a photo of an
/// apple labelled "iPod" is classified as an iPod).
extension RGBImage {
    /// The image with `text` drawn on it in one line, anti-aliased, as `style` says.
    ///
    /// FreeType lays the text out (one glyph per Unicode scalar, the font's `.notdef` where it has
    /// none, hinted advances, the font's `kern` table when it has one; no shaping or line breaks)
    /// and renders each glyph as 8-bit coverage (`FT_RENDER_MODE_NORMAL`). The ink's bounding box
    /// is centred on `style.center` (fractions of the width and height), rounded to whole pixels.
    /// The background box, when there is one, is drawn first, then each pixel under the text
    /// becomes `round(old + (color − old) · coverage / 255 · opacity)` per channel, where
    /// overlapping glyphs take the larger coverage. Whatever falls outside the image is clipped.
    ///
    /// Text without ink (empty, or only spaces) returns the image unchanged, but the font is still
    /// opened, so a bad path is reported either way.
    ///
    /// - Parameters:
    ///   - text: The text, drawn on one line.
    ///   - style: Font, size, place, colour, opacity and background.
    /// - Returns: A new image of the same size.
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` naming an option out of range,
    ///   ``ImageError/font(path:reason:)`` when the font file is missing or FreeType cannot use it.
    public func drawingText(_ text: String, style: TextStyle = TextStyle()) throws -> RGBImage {
        let op = "drawingText(_:style:)"
        try style.validate(op: op)
        let layout = try TextLayout(text, fontPath: style.fontPath, pixelSize: style.pixelSize)
        guard let ink = layout.inkBox else { return self }
        let origin = placement(of: ink, at: style.center)
        let inkBox = PixelRegion(top: origin.y, left: origin.x, height: ink.height, width: ink.width)

        var out = pixels
        if let background = style.background, background.opacity > 0,
            let box = inkBox.expanded(by: background.padding).clipped(width: width, height: height)
        {
            for y in box.rows {
                for x in box.columns {
                    blend(&out, at: (y * width + x) * 3, color: background.color, alpha: background.opacity)
                }
            }
        }
        guard style.opacity > 0, let visible = inkBox.clipped(width: width, height: height) else {
            return RGBImage(uncheckedWidth: width, height: height, pixels: out)
        }
        let (columns, rows) = visible

        // Coverage of the visible part of the ink box, the larger value where glyphs overlap.
        var coverage = [UInt8](repeating: 0, count: columns.count * rows.count)
        let shift = (x: origin.x - ink.left, y: origin.y - ink.top)
        for placement in layout.placements {
            let bitmap = layout.bitmaps[placement.bitmap]
            let left = placement.x + shift.x, top = placement.y + shift.y
            let glyphBox = PixelRegion(top: top, left: left, height: bitmap.height, width: bitmap.width)
            guard let glyph = glyphBox.clipped(width: width, height: height) else { continue }
            for y in glyph.rows {
                let sourceRow = (y - top) * bitmap.width - left, targetRow = (y - rows.lowerBound) * columns.count - columns.lowerBound
                for x in glyph.columns {
                    coverage[targetRow + x] = max(coverage[targetRow + x], bitmap.coverage[sourceRow + x])
                }
            }
        }
        for y in rows {
            for x in columns {
                let c = coverage[(y - rows.lowerBound) * columns.count + (x - columns.lowerBound)]
                if c != 0 { blend(&out, at: (y * width + x) * 3, color: style.color, alpha: Double(c) / 255 * style.opacity) }
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: out)
    }

    /// The pixels ``drawingText(_:style:)`` may change: the ink's bounding box, grown by the
    /// background's padding when there is a background.
    ///
    /// The box may reach past the image's edges (the text is clipped there).
    ///
    /// - Parameters:
    ///   - text: The text, as given to ``drawingText(_:style:)``.
    ///   - style: The style, as given to ``drawingText(_:style:)``.
    /// - Returns: The box in this image's coordinates, or `nil` when the text has no ink.
    /// - Throws: The errors of ``drawingText(_:style:)``.
    public func textBounds(_ text: String, style: TextStyle = TextStyle()) throws -> PixelRegion? {
        try style.validate(op: "textBounds(_:style:)")
        let layout = try TextLayout(text, fontPath: style.fontPath, pixelSize: style.pixelSize)
        guard let ink = layout.inkBox else { return nil }
        let origin = placement(of: ink, at: style.center)
        let box = PixelRegion(top: origin.y, left: origin.x, height: ink.height, width: ink.width)
        return style.background.map { box.expanded(by: $0.padding) } ?? box
    }

    /// The top-left pixel that centres `ink` on `center` (fractions of the width and height).
    private func placement(of ink: PixelRegion, at center: SIMD2<Double>) -> (x: Int, y: Int) {
        // Far-off centres are clamped before conversion so that they clip instead of trapping.
        let limit = Double(Int32.max)
        let x = (center.x * Double(width) - Double(ink.width) / 2).rounded()
        let y = (center.y * Double(height) - Double(ink.height) / 2).rounded()
        return (Int(min(max(x, -limit), limit)), Int(min(max(y, -limit), limit)))
    }

    /// Mixes `color` into the pixel at byte `offset` with weight `alpha`, rounding to nearest.
    private func blend(_ pixels: inout [UInt8], at offset: Int, color: SIMD3<UInt8>, alpha: Double) {
        for channel in 0..<3 {
            let old = Double(pixels[offset + channel])
            let mixed = old + (Double(color[channel]) - old) * alpha
            pixels[offset + channel] = UInt8(min(max(mixed.rounded(), 0), 255))
        }
    }
}
