import CTurboJPEG

/// Decodes JPEGs with TurboJPEG into the RGB pixels PIL's `convert("RGB")` gives.
///
/// PIL 9.4 on Debian decodes with the same libjpeg-turbo (2.1.5) and the same defaults (accurate
/// integer IDCT, fancy upsampling), so the pixels are identical. Greyscale is replicated. CMYK and
/// YCCK files are decoded to CMYK, inverted (PIL always assumes Adobe's inverted CMYK) and
/// converted with PIL's `cmyk2rgb`: `rgb = k' − c·k'/255` where `k' = 255 − k`.
enum JPEGDecoder {
    /// Decodes a JPEG that starts with `FF D8 FF`.
    static func decode(_ bytes: [UInt8], name: String) throws -> (image: RGBImage, orientation: ExifOrientation?) {
        guard let handle = tjInitDecompress() else {
            throw ImageError.corrupt(name: name, format: "JPEG", reason: "TurboJPEG could not create a decompressor")
        }
        defer { tjDestroy(handle) }

        return try bytes.withUnsafeBufferPointer { jpeg -> (RGBImage, ExifOrientation?) in
            guard let base = jpeg.baseAddress else { throw ImageError.empty(name: name) }
            let size = UInt(jpeg.count)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            let structure = JPEGStructure(bytes)
            guard tjDecompressHeader3(handle, base, size, &width, &height, &subsampling, &colorspace) == 0 else {
                throw structure.ending == .truncated ? ImageError.truncated(name: name, format: "JPEG") : failure(handle, name: name)
            }
            guard width > 0, height > 0 else {
                throw ImageError.corrupt(name: name, format: "JPEG", reason: "the header declares \(width)×\(height) pixels")
            }
            let w = Int(width), h = Int(height)
            guard RGBImage.isWithinLimits(width: w, height: h) else { throw ImageError.tooLarge(name: name, width: w, height: h) }
            // PIL rejects a file without its end-of-image marker; libjpeg would fill the rest with grey.
            guard structure.ending != .truncated else { throw ImageError.truncated(name: name, format: "JPEG") }

            let pixelFormat: TJPF
            let channels: Int
            switch TJCS(rawValue: UInt32(colorspace)) {
            case TJCS_GRAY: (pixelFormat, channels) = (TJPF_GRAY, 1)
            case TJCS_CMYK, TJCS_YCCK: (pixelFormat, channels) = (TJPF_CMYK, 4)
            default: (pixelFormat, channels) = (TJPF_RGB, 3)
            }
            var decoded = [UInt8](repeating: 0, count: w * h * channels)
            // TJFLAG_LIMITSCANS rejects progressive files with absurd scan counts (a known CPU exhaustion attack).
            let status = decoded.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, base, size, out.baseAddress, width, 0, height, Int32(pixelFormat.rawValue), TJFLAG_LIMITSCANS)
            }
            if status != 0 {
                // libjpeg's warnings (extraneous bytes, a bad Huffman code in the data) still give a full
                // image, and PIL accepts them too. TurboJPEG's error code stays "warning" when a fatal
                // error follows a warning, so the last message, which a fatal error overwrites, decides.
                let message = errorMessage(handle)
                guard JPEGDecoder.isWarning(message) else { throw failure(message, name: name) }
            }

            let pixels: [UInt8]
            switch channels {
            case 1: pixels = replicateGrey(decoded)
            case 4: pixels = cmykToRGB(decoded, count: w * h)
            default: pixels = decoded
            }
            let orientation = structure.exif.flatMap { ExifOrientation(tiff: $0) }
            return (RGBImage(uncheckedWidth: w, height: h, pixels: pixels), orientation)
        }
    }

    /// Grey samples copied into red, green and blue.
    static func replicateGrey(_ grey: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: grey.count * 3)
        for (i, value) in grey.enumerated() {
            rgb[3 * i] = value
            rgb[3 * i + 1] = value
            rgb[3 * i + 2] = value
        }
        return rgb
    }

    /// PIL's `CMYK;I` unpacking followed by `cmyk2rgb`.
    static func cmykToRGB(_ cmyk: [UInt8], count: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            // PIL inverts the stored bytes, so its k' = 255 − (255 − stored k) = stored k.
            let keep = Int(cmyk[4 * i + 3])
            for c in 0..<3 {
                let ink = 255 - Int(cmyk[4 * i + c])
                let product = ink * keep + 128
                let scaled = ((product >> 8) + product) >> 8  // PIL's MULDIV255(ink, keep)
                rgb[3 * i + c] = UInt8(clamping: keep - scaled)
            }
        }
        return rgb
    }

    /// The beginnings of libjpeg's warning messages (`JWRN_*` in `jerror.h`), except the premature
    /// end of file, which PIL treats as an error.
    static let warningPrefixes = [
        "Corrupt JPEG data", "Warning:", "Inconsistent progression sequence", "Invalid SOS parameters for sequential JPEG",
        "Unknown Adobe color transform code", "Application transferred too many scanlines",
    ]

    /// Whether a TurboJPEG message is one of libjpeg's warnings.
    static func isWarning(_ message: String) -> Bool {
        warningPrefixes.contains { message.hasPrefix($0) }
    }

    /// TurboJPEG's last message.
    static func errorMessage(_ handle: tjhandle) -> String {
        tjGetErrorStr2(handle).map { String(cString: $0) } ?? "TurboJPEG failed without a message"
    }

    /// TurboJPEG's last error as an ``ImageError``.
    static func failure(_ handle: tjhandle, name: String) -> ImageError {
        failure(errorMessage(handle), name: name)
    }

    /// A TurboJPEG message as an ``ImageError``.
    static func failure(_ message: String, name: String) -> ImageError {
        if message.contains("Premature end of JPEG file") {
            return .truncated(name: name, format: "JPEG")
        }
        return .corrupt(name: name, format: "JPEG", reason: message)
    }
}
