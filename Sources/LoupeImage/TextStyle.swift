/// How ``RGBImage/drawingText(_:style:)`` draws a word: font, size, place, colour, opacity and
/// an optional label box behind it.
///
/// The place is given as fractions of the image's width and height, so the same style puts a
/// word at the same relative spot on any image: `center: [0.5, 0.85]` is the bottom centre. The
/// point is where the centre of the ink's bounding box lands (the box of the pixels the glyphs
/// cover, not the font's line box), so a word with descenders sits as centred as one without.
///
/// The defaults draw black DejaVu Sans Bold (Debian's `fonts-dejavu-core`) 32 pixels high in the
/// middle of the image with no box; ``Background/label`` adds the white box of the classic
/// typographic attacks on CLIP.
public struct TextStyle: Sendable, Equatable {
    /// DejaVu Sans Bold as Debian's `fonts-dejavu-core` installs it.
    public static let defaultFontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
    /// The pixel sizes drawing accepts.
    public static let pixelSizes = 1...1024

    /// A box drawn behind the text, so that it stays readable on a busy photo.
    public struct Background: Sendable, Equatable {
        /// The box's colour (red, green, blue).
        public var color: SIMD3<UInt8>
        /// How much the box hides the image under it, from 0 (not at all) to 1 (fully).
        public var opacity: Double
        /// Pixels between the ink's bounding box and each edge of the box.
        public var padding: Int

        /// A box of `color` at `opacity`, `padding` pixels larger than the ink on every side.
        ///
        /// - Parameters:
        ///   - color: The box's red, green and blue values.
        ///   - opacity: From 0 (invisible) to 1 (opaque).
        ///   - padding: Pixels added to each side of the ink's bounding box; not negative.
        public init(color: SIMD3<UInt8> = [255, 255, 255], opacity: Double = 1, padding: Int = 8) {
            self.color = color
            self.opacity = opacity
            self.padding = padding
        }

        /// An opaque white box with 8 pixels of padding, as in the classic typographic attacks.
        public static let label = Background()
    }

    /// The TrueType or OpenType file to draw with (anything FreeType opens).
    public var fontPath: String
    /// The size in pixels of the font's em square, as PIL's `ImageFont.truetype(path, size)`.
    ///
    /// Capitals are about 0.73 of it high in DejaVu Sans.
    public var pixelSize: Int
    /// Where the centre of the ink's bounding box goes, as fractions of the image's width (`x`)
    /// and height (`y`); `[0.5, 0.5]` is the middle, and points outside `0…1` are allowed (the
    /// text is clipped).
    public var center: SIMD2<Double>
    /// The text's colour (red, green, blue).
    public var color: SIMD3<UInt8>
    /// How much the text hides what is under it, from 0 (not at all) to 1 (fully, where a glyph
    /// covers a whole pixel); anti-aliased edges get proportionally less.
    public var opacity: Double
    /// The box drawn behind the text, or `nil` for none.
    public var background: Background?

    /// A style; every argument has a default.
    ///
    /// - Parameters:
    ///   - fontPath: The font file; DejaVu Sans Bold by default.
    ///   - pixelSize: The em size in pixels, in ``pixelSizes``.
    ///   - center: The ink box's centre as fractions of the image's width and height.
    ///   - color: The text's red, green and blue values.
    ///   - opacity: From 0 (invisible) to 1 (opaque).
    ///   - background: A box behind the text, or `nil`.
    public init(
        fontPath: String = TextStyle.defaultFontPath, pixelSize: Int = 32, center: SIMD2<Double> = [0.5, 0.5],
        color: SIMD3<UInt8> = [0, 0, 0], opacity: Double = 1, background: Background? = nil
    ) {
        self.fontPath = fontPath
        self.pixelSize = pixelSize
        self.center = center
        self.color = color
        self.opacity = opacity
        self.background = background
    }

    /// Checks every number, naming the option that is out of range.
    func validate(op: String) throws {
        guard TextStyle.pixelSizes.contains(pixelSize) else {
            throw ImageError.invalidArgument(
                op: op,
                message: "pixelSize must be in \(TextStyle.pixelSizes.lowerBound)…\(TextStyle.pixelSizes.upperBound), got \(pixelSize)")
        }
        guard center.x.isFinite, center.y.isFinite else {
            throw ImageError.invalidArgument(op: op, message: "center must be finite, got (\(center.x), \(center.y))")
        }
        guard (0...1).contains(opacity) else {
            throw ImageError.invalidArgument(op: op, message: "opacity must be in 0…1, got \(opacity)")
        }
        if let background {
            guard (0...1).contains(background.opacity) else {
                throw ImageError.invalidArgument(op: op, message: "background opacity must be in 0…1, got \(background.opacity)")
            }
            guard (0...RGBImage.maximumSide).contains(background.padding) else {
                throw ImageError.invalidArgument(
                    op: op, message: "background padding must be in 0…\(RGBImage.maximumSide) pixels, got \(background.padding)")
            }
        }
    }
}
