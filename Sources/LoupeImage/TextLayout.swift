import CFreeType
import Foundation

extension PixelRegion {
    /// The box grown by `amount` pixels on every side.
    func expanded(by amount: Int) -> PixelRegion {
        PixelRegion(top: top - amount, left: left - amount, height: height + 2 * amount, width: width + 2 * amount)
    }

    /// The part of the box inside a `width`×`height` image, as column and row ranges, or `nil`
    /// when none of it is.
    func clipped(width imageWidth: Int, height imageHeight: Int) -> (columns: Range<Int>, rows: Range<Int>)? {
        let first = max(left, 0), last = min(left + width, imageWidth), upper = max(top, 0), lower = min(top + height, imageHeight)
        return first < last && upper < lower ? (first..<last, upper..<lower) : nil
    }
}

/// One glyph's anti-aliased coverage, trimmed to its inked pixels.
struct GlyphBitmap {
    /// Columns right of the pen position.
    var left: Int
    /// Rows below the baseline (negative above it).
    var top: Int
    var width: Int
    var height: Int
    /// Row-major coverage, 0 (none) to 255 (the pixel is fully inside the outline).
    var coverage: [UInt8]
}

/// A line of text laid out by FreeType: where each glyph's coverage goes, in pixels relative to
/// the pen's start on the baseline.
struct TextLayout {
    /// The distinct bitmaps, each rendered once.
    var bitmaps: [GlyphBitmap] = []
    /// The glyphs with ink: the position of each one's top-left pixel and its bitmap's index.
    var placements: [(x: Int, y: Int, bitmap: Int)] = []

    /// The bounding box of the ink, or `nil` when nothing is inked (empty text, spaces).
    var inkBox: PixelRegion? {
        guard let first = placements.first else { return nil }
        var left = first.x, top = first.y, right = Int.min, bottom = Int.min
        for placement in placements {
            let bitmap = bitmaps[placement.bitmap]
            left = min(left, placement.x)
            top = min(top, placement.y)
            right = max(right, placement.x + bitmap.width)
            bottom = max(bottom, placement.y + bitmap.height)
        }
        return PixelRegion(top: top, left: left, height: bottom - top, width: right - left)
    }

    /// Lays `text` out with the font at `path` scaled to `pixelSize`.
    ///
    /// One glyph per Unicode scalar (the font's `.notdef` where it has none), hinted advances, and
    /// the font's `kern` table when it has one; no shaping, bidirectional reordering or line
    /// breaking.
    ///
    /// Each call opens its own `FT_Library` and face and frees both before returning, so calls
    /// from several threads share nothing.
    ///
    /// - Throws: ``ImageError/font(path:reason:)`` when the file is missing or FreeType cannot
    ///   use it.
    init(_ text: String, fontPath path: String, pixelSize: Int) throws {
        guard FileManager.default.isReadableFile(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ImageError.font(
                path: path,
                reason: exists
                    ? "the file is not readable"
                    : "no such file (DejaVu fonts come with Debian's fonts-dejavu-core; Scripts/setup.sh installs it)")
        }
        var library: FT_Library?
        try Self.check(FT_Init_FreeType(&library), path: path, doing: "initialise FreeType")
        guard let library else { throw ImageError.font(path: path, reason: "FreeType returned no library") }
        defer { FT_Done_FreeType(library) }

        var openedFace: FT_Face?
        try Self.check(FT_New_Face(library, path, 0, &openedFace), path: path, doing: "open the font")
        guard let face = openedFace else { throw ImageError.font(path: path, reason: "FreeType returned no face") }
        defer { FT_Done_Face(face) }
        try Self.check(FT_Set_Pixel_Sizes(face, 0, FT_UInt(pixelSize)), path: path, doing: "set a size of \(pixelSize) pixels")

        let hasKerning = face.pointee.face_flags & FT_Long(FT_FACE_FLAG_KERNING) != 0
        var cache: [FT_UInt: (bitmap: Int?, advance: Int)] = [:]
        var pen = 0  // 26.6 fixed point, as FreeType measures
        var previous: FT_UInt = 0
        for scalar in text.unicodeScalars {
            let glyph = FT_Get_Char_Index(face, FT_ULong(scalar.value))
            if hasKerning && previous != 0 && glyph != 0 {
                var delta = FT_Vector()
                if FT_Get_Kerning(face, previous, glyph, FT_UInt(FT_KERNING_DEFAULT.rawValue), &delta) == 0 {
                    pen += Int(delta.x)
                }
            }
            let entry: (bitmap: Int?, advance: Int)
            if let cached = cache[glyph] {
                entry = cached
            } else {
                let (bitmap, advance) = try Self.render(glyph, of: face, scalar: scalar, path: path)
                var index: Int?
                if let bitmap {
                    bitmaps.append(bitmap)
                    index = bitmaps.count - 1
                }
                entry = (index, advance)
                cache[glyph] = entry
            }
            if let index = entry.bitmap {
                let bitmap = bitmaps[index]
                placements.append((x: ((pen + 32) >> 6) + bitmap.left, y: bitmap.top, bitmap: index))
            }
            pen += entry.advance
            previous = glyph
        }
    }

    /// Loads and renders one glyph as 8-bit coverage, trimmed to its inked pixels.
    ///
    /// - Returns: The bitmap (`nil` for a glyph without ink, such as a space) and the hinted
    ///   advance in 26.6 fixed point.
    private static func render(_ glyph: FT_UInt, of face: FT_Face, scalar: Unicode.Scalar, path: String) throws -> (
        GlyphBitmap?, Int
    ) {
        let character = String(format: "U+%04X", scalar.value)
        try check(FT_Load_Glyph(face, glyph, FT_Int32(FT_LOAD_DEFAULT)), path: path, doing: "load the glyph for \(character)")
        guard let slot = face.pointee.glyph else { throw ImageError.font(path: path, reason: "FreeType returned no glyph slot") }
        try check(FT_Render_Glyph(slot, FT_RENDER_MODE_NORMAL), path: path, doing: "render the glyph for \(character)")
        let advance = Int(slot.pointee.advance.x)
        let source = slot.pointee.bitmap
        let rows = Int(source.rows), columns = Int(source.width), pitch = Int(source.pitch)
        guard rows > 0, columns > 0, let buffer = source.buffer else { return (nil, advance) }

        // The value of each pixel on the 0…255 scale, whatever the bitmap's depth.
        let value: (UnsafePointer<UInt8>, Int) -> UInt8
        switch source.pixel_mode {
        case UInt8(FT_PIXEL_MODE_GRAY.rawValue):
            let levels = max(Int(source.num_grays) - 1, 1)
            value = { row, column in levels == 255 ? row[column] : UInt8(min(Int(row[column]) * 255 / levels, 255)) }
        case UInt8(FT_PIXEL_MODE_MONO.rawValue):
            value = { row, column in row[column >> 3] & (0x80 >> UInt8(column & 7)) != 0 ? 255 : 0 }
        default:
            throw ImageError.font(
                path: path,
                reason: "the glyph for \(character) renders in FreeType pixel mode \(source.pixel_mode), which Loupe cannot draw")
        }
        // With a negative pitch the rows run bottom-up from `buffer`.
        let rowStart = { (row: Int) -> UnsafePointer<UInt8> in
            UnsafePointer(pitch >= 0 ? buffer + row * pitch : buffer + (rows - 1 - row) * -pitch)
        }
        var full = [UInt8](repeating: 0, count: rows * columns)
        var left = columns, right = 0, top = rows, bottom = 0  // the inked pixels; right and bottom exclusive
        for row in 0..<rows {
            let start = rowStart(row)
            for column in 0..<columns {
                let v = value(start, column)
                guard v != 0 else { continue }
                full[row * columns + column] = v
                left = min(left, column)
                right = max(right, column + 1)
                top = min(top, row)
                bottom = max(bottom, row + 1)
            }
        }
        guard left < right, top < bottom else { return (nil, advance) }
        var coverage = [UInt8]()
        coverage.reserveCapacity((right - left) * (bottom - top))
        for row in top..<bottom {
            coverage.append(contentsOf: full[(row * columns + left)..<(row * columns + right)])
        }
        let bitmap = GlyphBitmap(
            left: Int(slot.pointee.bitmap_left) + left, top: top - Int(slot.pointee.bitmap_top), width: right - left,
            height: bottom - top, coverage: coverage)
        return (bitmap, advance)
    }

    /// Throws ``ImageError/font(path:reason:)`` when a FreeType call failed.
    private static func check(_ error: FT_Error, path: String, doing what: String) throws {
        guard error != 0 else { return }
        throw ImageError.font(path: path, reason: "FreeType could not \(what): \(describe(error))")
    }

    /// FreeType's name for the commonest errors (Debian's build has no `FT_Error_String`).
    private static func describe(_ error: FT_Error) -> String {
        let hex = "error 0x" + String(error, radix: 16, uppercase: true)
        switch error {
        case 0x01: return "cannot open the file (\(hex))"
        case 0x02: return "not a font format FreeType knows (\(hex))"
        case 0x03: return "the font file is broken (\(hex))"
        case 0x17: return "invalid pixel size (\(hex))"
        case 0x40: return "out of memory (\(hex))"
        default: return hex
        }
    }
}
