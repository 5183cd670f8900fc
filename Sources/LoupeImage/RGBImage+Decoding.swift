import Foundation

/// Decoding PNG and JPEG files into ``RGBImage``s.
extension RGBImage {
    /// Decodes the PNG or JPEG file at `url`, as PIL's `Image.open(path).convert("RGB")` does,
    /// then turns it upright as PIL's `ImageOps.exif_transpose` does.
    ///
    /// The format is recognised from the first bytes, never from the file's extension. Grey is
    /// replicated into red, green and blue; palettes are expanded; alpha is dropped, not
    /// composited (the colour under a transparent pixel is kept, as PIL keeps it). 16-bit PNGs
    /// keep the high byte of each sample, except 16-bit greyscale, which PIL opens as 32-bit
    /// integers (mode `I`) and clips to 0…255 when converting; Loupe does the same, so such images
    /// come out almost white, exactly as torchvision would see them. Gamma, colour-profile and
    /// transparency chunks are ignored, as PIL ignores them. CMYK JPEGs are inverted (Adobe
    /// convention) and converted with PIL's formula.
    ///
    /// - Parameters:
    ///   - url: A local file URL.
    ///   - applyingOrientation: Whether to apply the EXIF orientation tag (JPEG `APP1` or PNG
    ///     `eXIf`); pass `false` to get the pixels as stored, as `Image.open(path).convert("RGB")`.
    /// - Throws: ``ImageError/unreadable(name:reason:)`` when the file cannot be read; any of the
    ///   decoding errors of ``init(data:name:applyingOrientation:)``.
    public init(contentsOf url: URL, applyingOrientation: Bool = true) throws {
        let name = url.isFileURL ? url.path : url.absoluteString
        guard url.isFileURL else { throw ImageError.unreadable(name: name, reason: "only local files can be read, not remote URLs") }
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ImageError.unreadable(name: name, reason: RGBImage.describe(error))
        }
        try self.init(data: data, name: name, applyingOrientation: applyingOrientation)
    }

    /// Decodes PNG or JPEG bytes; `name` is used in error messages only.
    ///
    /// See ``init(contentsOf:applyingOrientation:)`` for the conversions applied.
    ///
    /// - Throws: ``ImageError/empty(name:)``, ``ImageError/unrecognizedFormat(name:leadingBytes:)``,
    ///   ``ImageError/truncated(name:format:)``, ``ImageError/corrupt(name:format:reason:)`` or
    ///   ``ImageError/tooLarge(name:width:height:)``.
    public init(data: Data, name: String, applyingOrientation: Bool = true) throws {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw ImageError.empty(name: name) }
        let decoded: (image: RGBImage, orientation: ExifOrientation?)
        switch ImageFormat(sniffing: bytes) {
        case .png:
            decoded = try PNGDecoder.decode(bytes, name: name)
        case .jpeg:
            decoded = try JPEGDecoder.decode(bytes, name: name)
        case nil:
            if ImageFormat.isPrefixOfSignature(bytes) {
                throw ImageError.truncated(name: name, format: bytes.first == 0xFF ? "JPEG" : "PNG")
            }
            throw ImageError.unrecognizedFormat(name: name, leadingBytes: Array(bytes.prefix(8)))
        }
        if applyingOrientation, let orientation = decoded.orientation {
            self = decoded.image.oriented(orientation)
        } else {
            self = decoded.image
        }
    }

    private static func describe(_ error: Error) -> String {
        if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? Error {
            return "\(cocoa.localizedDescription) (\(underlying.localizedDescription))"
        }
        return error.localizedDescription
    }
}

/// The file formats Loupe decodes, recognised by their signatures.
enum ImageFormat {
    case png, jpeg

    /// The eight bytes every PNG starts with.
    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    /// Start-of-image followed by the first marker's `FF`.
    static let jpegSignature: [UInt8] = [0xFF, 0xD8, 0xFF]

    /// The format whose signature `bytes` starts with, if any.
    init?(sniffing bytes: [UInt8]) {
        if bytes.starts(with: ImageFormat.pngSignature) {
            self = .png
        } else if bytes.starts(with: ImageFormat.jpegSignature) {
            self = .jpeg
        } else {
            return nil
        }
    }

    /// Whether `bytes` is a proper prefix of a signature: a file cut off inside its first bytes.
    static func isPrefixOfSignature(_ bytes: [UInt8]) -> Bool {
        (bytes.count < pngSignature.count && pngSignature.starts(with: bytes))
            || (bytes.count < jpegSignature.count && jpegSignature.starts(with: bytes))
    }
}
