import CPNG

/// Decodes PNGs with libpng's simplified API into the RGB pixels PIL's `convert("RGB")` gives.
///
/// The simplified API returns error codes instead of `longjmp`-ing, so a hostile file can only
/// make it fail, never unwind through Swift frames. ``PNGChunkStream`` first drops the chunks that
/// would make libpng convert colours, then each layout is read in a format that libpng returns
/// without arithmetic:
///
/// | file | read as | then |
/// |---|---|---|
/// | ≤ 8-bit grey, RGB, palette | `PNG_FORMAT_RGB` | — |
/// | 8-bit grey+alpha, RGBA | `PNG_FORMAT_RGBA` | drop alpha |
/// | 16-bit grey | `PNG_FORMAT_LINEAR_Y` | clip to 0…255 (PIL's mode `I` → `RGB`) |
/// | 16-bit RGB | `PNG_FORMAT_LINEAR_RGB` | high byte |
/// | 16-bit grey+alpha | `IHDR` rewritten to 8-bit RGBA, `PNG_FORMAT_RGBA` | high byte of grey |
/// | 16-bit RGBA | see ``decodeRGBA16(_:header:name:)`` | high byte |
enum PNGDecoder {
    /// Decodes a PNG that starts with the PNG signature.
    static func decode(_ bytes: [UInt8], name: String) throws -> (image: RGBImage, orientation: ExifOrientation?) {
        let stream = try PNGChunkStream(bytes, name: name)
        let header = stream.header
        let count = header.width * header.height
        var pixels: [UInt8]

        switch (header.bitDepth, header.colorType) {
        case (16, 0):
            let grey = try read(stream.data, format: PNG_FORMAT_FLAG_LINEAR, channels: 1, of: UInt16.self, header: header, name: name)
            pixels = [UInt8](repeating: 0, count: count * 3)
            for i in 0..<count {
                let value = UInt8(min(grey[i], 255))
                pixels[3 * i] = value
                pixels[3 * i + 1] = value
                pixels[3 * i + 2] = value
            }
        case (16, 2):
            let rgb = try read(
                stream.data, format: PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR, channels: 3, of: UInt16.self,
                header: header, name: name)
            pixels = rgb.map { UInt8($0 >> 8) }
        case (16, 4):
            // The rewritten IHDR makes libpng return (grey high, grey low, alpha high, alpha low).
            let raw = try read(
                stream.data, format: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA, channels: 4, of: UInt8.self,
                header: header, name: name)
            pixels = [UInt8](repeating: 0, count: count * 3)
            for i in 0..<count {
                pixels[3 * i] = raw[4 * i]
                pixels[3 * i + 1] = raw[4 * i]
                pixels[3 * i + 2] = raw[4 * i]
            }
        case (16, 6):
            pixels = try decodeRGBA16(stream.data, header: header, name: name)
        default:
            if header.hasAlphaChannel {
                let rgba = try read(
                    stream.data, format: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA, channels: 4, of: UInt8.self,
                    header: header, name: name)
                pixels = dropAlpha(rgba, count: count)
            } else {
                pixels = try read(stream.data, format: PNG_FORMAT_FLAG_COLOR, channels: 3, of: UInt8.self, header: header, name: name)
            }
        }
        let image = RGBImage(uncheckedWidth: header.width, height: header.height, pixels: pixels)
        return (image, stream.exif.flatMap { ExifOrientation(tiff: $0) })
    }

    /// Decodes 16-bit RGBA to the high byte of each colour sample.
    ///
    /// No simplified-API format returns 16-bit colour with unassociated alpha, so two reads are
    /// combined. The 16-bit read premultiplies colour by alpha, which is exact where a pixel is
    /// opaque. The 8-bit read (with `PNG_IMAGE_FLAG_16BIT_sRGB`, so that no gamma is applied)
    /// gives `round(v / 257)` for every pixel, which pins `v` to an interval of about 257 values;
    /// where that interval spans two high bytes, `v` estimated from the premultiplied value picks
    /// one. The result equals PIL's except where a pixel is almost or fully transparent *and* its
    /// 16-bit value lies close to a multiple of 256: there it may be one level off.
    ///
    /// Interlaced files skip the 8-bit read: Debian's libpng 1.6.39 returns wrong pixels when it
    /// scales interlaced 16-bit images to 8 bits (libpng issue #853). Their partially transparent
    /// pixels come from the premultiplied value alone (within one level while alpha > 128 of
    /// 65535), and fully transparent pixels, whose colour premultiplication erases, come out black.
    static func decodeRGBA16(_ data: [UInt8], header: PNGChunkStream.Header, name: String) throws -> [UInt8] {
        let count = header.width * header.height
        let premultiplied = try read(
            data, format: PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA, channels: 4,
            of: UInt16.self, header: header, name: name)
        let scaled: [UInt8]? =
            header.interlaced
            ? nil
            : try read(
                data, format: PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA, channels: 4, of: UInt8.self, header: header, name: name,
                flags: UInt32(PNG_IMAGE_FLAG_16BIT_sRGB))
        let (lowest, highest) = scaledIntervals
        var pixels = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            let alpha = Int(premultiplied[4 * i + 3])
            for c in 0..<3 {
                let stored = Int(premultiplied[4 * i + c])
                // The colour before premultiplication, as far as the premultiplied value tells it.
                let estimate = alpha == 0 ? 0 : min((stored * 65535 + alpha / 2) / alpha, 65535)
                let value: Int
                if alpha == 65535 {
                    value = stored
                } else if let scaled {
                    let k = Int(scaled[4 * i + c])
                    let low = lowest[k], high = highest[k]
                    if low >> 8 == high >> 8 {
                        value = low
                    } else if alpha == 0 {
                        // Nothing else is known: take the high byte most of the interval has.
                        let boundary = (high >> 8) << 8
                        value = boundary - low >= high - boundary + 1 ? low : high
                    } else {
                        value = estimate >= (high >> 8) << 8 ? high : low
                    }
                } else {
                    value = estimate
                }
                pixels[3 * i + c] = UInt8(value >> 8)
            }
        }
        return pixels
    }

    /// For each 8-bit value `k`, the smallest and largest 16-bit `v` that libpng's
    /// `png_do_scale_16_to_8` maps to `k` (`(v * 255 + 32895) >> 16`).
    static let scaledIntervals: (lowest: [Int], highest: [Int]) = {
        var lowest = [Int](repeating: 65535, count: 256), highest = [Int](repeating: 0, count: 256)
        for v in 0...65535 {
            let k = (v * 255 + 32895) >> 16
            lowest[k] = min(lowest[k], v)
            highest[k] = max(highest[k], v)
        }
        return (lowest, highest)
    }()

    /// Drops every fourth byte.
    static func dropAlpha(_ rgba: [UInt8], count: Int) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for i in 0..<count {
            rgb[3 * i] = rgba[4 * i]
            rgb[3 * i + 1] = rgba[4 * i + 1]
            rgb[3 * i + 2] = rgba[4 * i + 2]
        }
        return rgb
    }

    /// Runs libpng's simplified reader on `data`.
    ///
    /// - Parameters:
    ///   - data: A PNG, as ``PNGChunkStream`` prepared it.
    ///   - format: A `PNG_FORMAT_FLAG_*` combination; 16-bit formats need `Sample == UInt16`.
    ///   - channels: Samples per pixel in `format`.
    ///   - sample: `UInt8` or `UInt16`.
    ///   - header: The header ``PNGChunkStream`` read, which libpng must confirm.
    ///   - name: The file's name, for error messages.
    ///   - flags: `PNG_IMAGE_FLAG_*` bits to set between the two reading calls.
    /// - Returns: `width * height * channels` samples, row-major.
    /// - Throws: ``ImageError/truncated(name:format:)`` or ``ImageError/corrupt(name:format:reason:)``
    ///   with libpng's message.
    static func read<Sample: FixedWidthInteger>(
        _ data: [UInt8], format: UInt32, channels: Int, of sample: Sample.Type, header: PNGChunkStream.Header, name: String,
        flags: UInt32 = 0
    ) throws -> [Sample] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }

        return try data.withUnsafeBytes { memory -> [Sample] in
            guard png_image_begin_read_from_memory(&image, memory.baseAddress, memory.count) != 0 else {
                throw failure(image, name: name)
            }
            // The header was checked by PNGChunkStream; libpng must agree with it.
            guard Int(image.width) == header.width, Int(image.height) == header.height else {
                throw ImageError.corrupt(name: name, format: "PNG", reason: "libpng read a \(image.width)×\(image.height) header")
            }
            image.format = format
            image.flags |= flags
            var samples = [Sample](repeating: 0, count: header.width * header.height * channels)
            let ok = samples.withUnsafeMutableBytes { buffer in
                png_image_finish_read(&image, nil, buffer.baseAddress, Int32(header.width * channels), nil)
            }
            guard ok != 0 else { throw failure(image, name: name) }
            return samples
        }
    }

    /// The error libpng reported, as an ``ImageError``.
    static func failure(_ image: png_image, name: String) -> ImageError {
        let message = withUnsafeBytes(of: image.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if message.contains("Not enough image data") || message.contains("read beyond end of data") {
            return .truncated(name: name, format: "PNG")
        }
        return .corrupt(name: name, format: "PNG", reason: message.isEmpty ? "libpng failed without a message" : message)
    }
}
