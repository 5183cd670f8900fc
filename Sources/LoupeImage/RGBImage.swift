import Foundation

/// An 8-bit RGB picture: what a model's input pipeline starts from.
///
/// Pixels are interleaved and row-major (height, width, channel: `HWC`), so the red value of the
/// pixel at column `x` and row `y` is `pixels[(y * width + x) * 3]`. Every image has at least one
/// pixel.
///
/// Decoding (``init(contentsOf:applyingOrientation:)``) yields what PIL's
/// `Image.open(path).convert("RGB")` yields, and resizing, cropping and conversion to a tensor
/// follow torchvision, so `loupe predict` sees the numbers PyTorch would.
public struct RGBImage: Sendable, Equatable {
    /// Number of columns.
    public let width: Int
    /// Number of rows.
    public let height: Int
    /// `width * height * 3` bytes, row-major, red-green-blue per pixel.
    public let pixels: [UInt8]

    /// The longest side, in pixels, that decoding and resizing accept.
    public static let maximumSide = 30_000
    /// The most pixels that decoding and resizing accept.
    ///
    /// 200 megapixels (600 MB decoded), or the environment's `LOUPE_MAX_IMAGE_PIXELS` when it is
    /// a whole number from 1 to 900 million (as PIL's `Image.MAX_IMAGE_PIXELS`: more for a user
    /// with huge scans, less for a server rendering strangers' photos). A header declaring more
    /// is refused before anything is allocated.
    public static let maximumPixelCount = pixelLimit(ProcessInfo.processInfo.environment[pixelLimitVariable])

    /// The environment variable that sets ``maximumPixelCount``.
    public static let pixelLimitVariable = "LOUPE_MAX_IMAGE_PIXELS"

    /// The pixel limit a value of ``pixelLimitVariable`` asks for; 200 megapixels when it is
    /// unset or not a whole number from 1 to 900 million (30,000 a side allows no more).
    static func pixelLimit(_ value: String?) -> Int {
        guard let value, let limit = Int(value.trimmingCharacters(in: .whitespaces)), (1...900_000_000).contains(limit) else {
            return 200_000_000
        }
        return limit
    }

    /// The limits in words: `30000 pixels a side and 200 megapixels` (or `… and 5000 pixels`).
    static var limitDescription: String {
        let count = maximumPixelCount % 1_000_000 == 0 ? "\(maximumPixelCount / 1_000_000) megapixels" : "\(maximumPixelCount) pixels"
        return "\(maximumSide) pixels a side and \(count) (\(pixelLimitVariable) sets the second)"
    }

    /// An image holding `pixels` (interleaved RGB, row-major).
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when a side is not positive,
    ///   ``ImageError/pixelCountMismatch(width:height:channels:count:)`` when `pixels` does not hold
    ///   `width * height * 3` bytes.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        try RGBImage.validate(width: width, height: height, op: "RGBImage(width:height:pixels:)")
        guard pixels.count == width * height * 3 else {
            throw ImageError.pixelCountMismatch(width: width, height: height, channels: 3, count: pixels.count)
        }
        self.init(uncheckedWidth: width, height: height, pixels: pixels)
    }

    /// An image whose pixel count the caller has already checked.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The red, green and blue values of the pixel at column `x`, row `y`.
    ///
    /// - Precondition: `0 <= x < width` and `0 <= y < height`.
    public func pixel(x: Int, y: Int) -> SIMD3<UInt8> {
        precondition((0..<width).contains(x) && (0..<height).contains(y), "pixel (\(x), \(y)) is outside a \(width)×\(height) image")
        let i = (y * width + x) * 3
        return SIMD3(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Checks that a size is positive and within Loupe's limits.
    static func validate(width: Int, height: Int, op: String) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidArgument(op: op, message: "an image needs a positive width and height, got \(width)×\(height)")
        }
        guard width <= maximumSide, height <= maximumSide, width * height <= maximumPixelCount else {
            throw ImageError.invalidArgument(
                op: op,
                message: "\(width)×\(height) exceeds Loupe's limit of \(limitDescription)"
            )
        }
    }

    /// Whether a declared size is within Loupe's decoding limits.
    static func isWithinLimits(width: Int, height: Int) -> Bool {
        width <= maximumSide && height <= maximumSide && width * height <= maximumPixelCount
    }
}
