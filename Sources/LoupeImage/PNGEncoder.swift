import CPNG
import Foundation

/// Writes 8-bit grey, RGB or RGBA pixels as PNG with libpng's simplified write API.
///
/// The bytes depend only on the pixels (and the zlib build): no time stamp or text chunk is
/// written, so the same image always gives the same file, as reports need. libpng marks the file
/// as sRGB (an `sRGB` chunk), which is what 8-bit screen pixels are.
public struct PNGEncoder: Sendable {
    /// The layout of the pixels handed to ``encode(width:height:format:pixels:)``.
    public enum PixelFormat: Sendable, CaseIterable {
        /// One byte per pixel.
        case grey
        /// Red, green, blue.
        case rgb
        /// Red, green, blue, alpha (unassociated: colours are not premultiplied).
        case rgba

        /// Bytes per pixel.
        public var channels: Int {
            switch self {
            case .grey: return 1
            case .rgb: return 3
            case .rgba: return 4
            }
        }

        var libpngFormat: UInt32 {
            switch self {
            case .grey: return 0
            case .rgb: return UInt32(PNG_FORMAT_FLAG_COLOR)
            case .rgba: return UInt32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
            }
        }
    }

    /// Whether to favour speed over size (libpng's `PNG_IMAGE_FLAG_FAST`).
    public var fast: Bool

    /// An encoder; `fast` trades file size for speed.
    public init(fast: Bool = false) {
        self.fast = fast
    }

    /// The PNG file for `width`×`height` row-major pixels in `format`.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` for a non-positive or too large size,
    ///   ``ImageError/pixelCountMismatch(width:height:channels:count:)`` when `pixels` has the wrong
    ///   length, ``ImageError/encodingFailed(reason:)`` when libpng fails.
    public func encode(width: Int, height: Int, format: PixelFormat, pixels: [UInt8]) throws -> Data {
        try RGBImage.validate(width: width, height: height, op: "PNGEncoder.encode")
        guard pixels.count == width * height * format.channels else {
            throw ImageError.pixelCountMismatch(width: width, height: height, channels: format.channels, count: pixels.count)
        }
        // Enough for incompressible data: filter bytes, zlib's worst case and the chunk framing.
        var capacity = pixels.count + height + pixels.count / 1000 + 1024
        for _ in 0..<2 {
            var image = png_image()
            image.version = UInt32(PNG_IMAGE_VERSION)
            image.width = UInt32(width)
            image.height = UInt32(height)
            image.format = format.libpngFormat
            image.flags = fast ? UInt32(PNG_IMAGE_FLAG_FAST) : 0
            defer { png_image_free(&image) }

            var output = Data(count: capacity)
            var written = capacity
            let ok = output.withUnsafeMutableBytes { memory in
                pixels.withUnsafeBytes { buffer in
                    png_image_write_to_memory(&image, memory.baseAddress, &written, 0, buffer.baseAddress, 0, nil)
                }
            }
            if ok != 0 {
                output.count = written
                return output
            }
            // libpng reports the size it needs when the buffer was too small.
            guard written > capacity else {
                let message = withUnsafeBytes(of: image.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                throw ImageError.encodingFailed(reason: message.isEmpty ? "libpng failed without a message" : message)
            }
            capacity = written
        }
        throw ImageError.encodingFailed(reason: "libpng asked for a larger buffer twice")
    }
}

/// PNG encoding of RGB images.
extension RGBImage {
    /// The image as an 8-bit RGB PNG file; the same pixels always give the same bytes.
    ///
    /// - Throws: ``ImageError/encodingFailed(reason:)`` when libpng fails.
    public func pngData() throws -> Data {
        try PNGEncoder().encode(width: width, height: height, format: .rgb, pixels: pixels)
    }
}
