import LoupeTensor

/// An error thrown while decoding, encoding or transforming an image.
///
/// Decoding errors name the file (or the name passed with the data) and say what is wrong with
/// it; argument errors name the operation and the values that were rejected. Mistakes in a user's
/// file (``unrecognizedFormat(name:leadingBytes:)``, ``truncated(name:format:)``,
/// ``corrupt(name:format:reason:)``, ``tooLarge(name:width:height:)``, ``font(path:reason:)``) are
/// distinct from mistakes in a caller's arguments (``invalidArgument(op:message:)``).
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read from disk.
    case unreadable(name: String, reason: String)
    /// The file or data holds no bytes at all.
    case empty(name: String)
    /// The data starts with neither the PNG nor the JPEG signature.
    case unrecognizedFormat(name: String, leadingBytes: [UInt8])
    /// The data ends before the image does.
    case truncated(name: String, format: String)
    /// The decoder rejected the data; `reason` is its own message.
    case corrupt(name: String, format: String, reason: String)
    /// The header declares more pixels than Loupe decodes (see ``RGBImage/maximumSide`` and
    /// ``RGBImage/maximumPixelCount``).
    case tooLarge(name: String, width: Int, height: Int)
    /// Pixel data whose length does not match the declared size and channel count.
    case pixelCountMismatch(width: Int, height: Int, channels: Int, count: Int)
    /// An argument outside an operation's domain (a zero width, a negative crop, three means
    /// expected and two given, …).
    case invalidArgument(op: String, message: String)
    /// An image whose size differs from the size a model expects, when resizing is switched off.
    case sizeMismatch(expectedWidth: Int, expectedHeight: Int, width: Int, height: Int)
    /// A tensor that cannot be turned into an image.
    case invalidTensor(shape: [Int], reason: String)
    /// libpng failed to write a PNG.
    case encodingFailed(reason: String)
    /// A heatmap that cannot be drawn: a wrong size or value count, an empty range, a bad gamma.
    case invalidHeatmap(String)
    /// A font file that is missing or that FreeType cannot use for drawing text.
    case font(path: String, reason: String)

    /// The message shown to the user, naming the file or operation where there is one.
    public var description: String {
        switch self {
        case let .unreadable(name, reason):
            return "\(name): cannot read the file: \(reason)"
        case let .empty(name):
            return "\(name): the file is empty"
        case let .unrecognizedFormat(name, bytes):
            let hex = bytes.map { String($0, radix: 16, uppercase: true) }.map { $0.count == 1 ? "0" + $0 : $0 }
            let text = String(decoding: bytes.map { (32..<127).contains($0) ? $0 : UInt8(ascii: ".") }, as: UTF8.self)
            return "\(name): not a PNG or JPEG image (it starts with \(hex.joined(separator: " ")), \"\(text)\")"
        case let .truncated(name, format):
            return "\(name): the \(format) data ends before the image does (the file is truncated)"
        case let .corrupt(name, format, reason):
            return "\(name): corrupt \(format) data: \(reason)"
        case let .tooLarge(name, width, height):
            let megapixels = (Double(width) * Double(height) / 1e6).rounded()
            return "\(name): the image declares \(width)×\(height) pixels (\(Int(megapixels)) megapixels); Loupe decodes at most "
                + RGBImage.limitDescription
        case let .pixelCountMismatch(width, height, channels, count):
            return "a \(width)×\(height) image with \(channels) channels needs \(width * height * channels) bytes, got \(count)"
        case let .invalidArgument(op, message):
            return "\(op): \(message)"
        case let .sizeMismatch(expectedWidth, expectedHeight, width, height):
            return "the image is \(width)×\(height) but the model expects \(expectedWidth)×\(expectedHeight); "
                + "resize it first or let Loupe resize it (drop --no-resize)"
        case let .invalidTensor(shape, reason):
            return "cannot make an image from a tensor of shape \(shape): \(reason)"
        case let .invalidHeatmap(reason):
            return "heatmap: \(reason)"
        case let .encodingFailed(reason):
            return "PNG encoding failed: \(reason)"
        case let .font(path, reason):
            return "\(path): cannot draw text with this font: \(reason)"
        }
    }
}

extension ImageError: OriginatedError {
    /// libpng failing to encode is Loupe's problem; everything else is about the image given.
    public var origin: ErrorOrigin {
        if case .encodingFailed = self { return .internal }
        return .input
    }
}
