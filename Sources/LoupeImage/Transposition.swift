/// A flip, quarter-turn or diagonal mirror of an image, named as PIL's `Image.Transpose`.
public enum Transposition: Sendable, CaseIterable {
    /// Mirror left to right.
    case flipLeftRight
    /// Mirror top to bottom.
    case flipTopBottom
    /// Turn a quarter counter-clockwise.
    case rotate90
    /// Turn half a turn.
    case rotate180
    /// Turn a quarter clockwise (three quarters counter-clockwise).
    case rotate270
    /// Mirror along the main diagonal: row `y` becomes column `y`.
    case transpose
    /// Mirror along the anti-diagonal.
    case transverse

    /// Whether the operation swaps width and height.
    var swapsSides: Bool {
        switch self {
        case .flipLeftRight, .flipTopBottom, .rotate180: return false
        case .rotate90, .rotate270, .transpose, .transverse: return true
        }
    }
}

/// Flips and quarter turns.
extension RGBImage {
    /// The image flipped, turned or mirrored exactly as PIL's `Image.transpose(method)`.
    public func transposed(_ transposition: Transposition) -> RGBImage {
        let w = width, h = height
        let outWidth = transposition.swapsSides ? h : w
        let outHeight = transposition.swapsSides ? w : h
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        // The source pixel shown at (x, y) of the output.
                        let (sx, sy): (Int, Int)
                        switch transposition {
                        case .flipLeftRight: (sx, sy) = (w - 1 - x, y)
                        case .flipTopBottom: (sx, sy) = (x, h - 1 - y)
                        case .rotate90: (sx, sy) = (w - 1 - y, x)
                        case .rotate180: (sx, sy) = (w - 1 - x, h - 1 - y)
                        case .rotate270: (sx, sy) = (y, h - 1 - x)
                        case .transpose: (sx, sy) = (y, x)
                        case .transverse: (sx, sy) = (w - 1 - y, h - 1 - x)
                        }
                        let s = (sy * w + sx) * 3, t = (y * outWidth + x) * 3
                        target[t] = source[s]
                        target[t + 1] = source[s + 1]
                        target[t + 2] = source[s + 2]
                    }
                }
            }
        }
        return RGBImage(uncheckedWidth: outWidth, height: outHeight, pixels: out)
    }

    /// The image turned upright according to an EXIF orientation, as `ImageOps.exif_transpose`.
    public func oriented(_ orientation: ExifOrientation) -> RGBImage {
        guard let transposition = orientation.transposition else { return self }
        return transposed(transposition)
    }
}
