/// A PNG's chunks, read with bounds checks and rewritten so that libpng's simplified reader
/// returns the samples PIL returns.
///
/// libpng's simplified API (`png_image_*`) is the only libpng interface Swift can call safely (the
/// full API reports errors with `longjmp`), but it converts colour as the PNG specification asks:
/// it gamma-corrects by `gAMA`, `sRGB` and `iCCP`, composites `tRNS` transparency onto black when
/// asked for a format without alpha, and premultiplies alpha in its 16-bit formats. PIL does none
/// of that. Loupe therefore hands libpng a copy of the file without those chunks (they are
/// ancillary, so dropping them keeps the file valid) and, for 16-bit grey with alpha, with an
/// `IHDR` that declares the same bytes as 8-bit RGBA, which libpng then returns untouched.
struct PNGChunkStream {
    /// The fields of the `IHDR` chunk.
    struct Header: Equatable {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colorType: Int
        var interlaced: Bool

        /// Whether the colour type carries an alpha channel (grey+alpha or RGBA).
        var hasAlphaChannel: Bool { colorType == 4 || colorType == 6 }
    }

    /// The header as the file declares it.
    let header: Header
    /// The PNG to hand to libpng.
    let data: [UInt8]
    /// The TIFF payload of the `eXIf` chunk, if there is one.
    let exif: [UInt8]?

    /// Ancillary chunks that would make libpng convert samples where PIL does not.
    static let droppedChunks: Set<String> = ["gAMA", "cHRM", "sRGB", "iCCP", "tRNS"]

    /// Reads the chunks of `bytes`, which start with the PNG signature.
    ///
    /// - Parameters:
    ///   - bytes: The whole file.
    ///   - name: The file's name, for error messages.
    ///   - reinterpretGreyAlpha16: Rewrite a 16-bit grey+alpha `IHDR` as 8-bit RGBA (same bytes
    ///     per pixel, same filter unit) so that libpng returns the raw big-endian bytes.
    /// - Throws: ``ImageError/truncated(name:format:)`` when the data ends before the last image
    ///   data chunk does; ``ImageError/corrupt(name:format:reason:)`` for a malformed chunk
    ///   layout; ``ImageError/tooLarge(name:width:height:)`` for a header beyond Loupe's limits.
    init(_ bytes: [UInt8], name: String, reinterpretGreyAlpha16: Bool = true) throws {
        func corrupt(_ reason: String) -> ImageError { .corrupt(name: name, format: "PNG", reason: reason) }

        var out = ImageFormat.pngSignature
        out.reserveCapacity(bytes.count + 12)
        var header: Header?
        var exif: [UInt8]?
        var seenImageData = false
        var seenEnd = false
        var position = ImageFormat.pngSignature.count

        while position < bytes.count {
            guard bytes.count - position >= 8 else {
                if seenImageData { break }  // a cut inside a chunk after the image data
                throw ImageError.truncated(name: name, format: "PNG")
            }
            let length = Int(PNGChunkStream.bigEndian32(bytes, at: position))
            let typeBytes = bytes[(position + 4)..<(position + 8)]
            guard length <= Int(Int32.max) else { throw corrupt("chunk length \(length) exceeds 2³¹−1") }
            guard typeBytes.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
                throw corrupt(
                    "invalid chunk type \(typeBytes.map { String($0, radix: 16) }.joined(separator: " ")) at byte \(position + 4)")
            }
            let type = String(decoding: typeBytes, as: UTF8.self)
            let end = position + 12 + length
            guard end <= bytes.count else {
                // PIL, like libpng, fails when image data is cut off; a cut in a later chunk is harmless.
                if seenImageData && type != "IDAT" { break }
                throw ImageError.truncated(name: name, format: "PNG")
            }
            let payload = Array(bytes[(position + 8)..<(position + 8 + length)])

            if header == nil {
                guard type == "IHDR", length == 13 else { throw corrupt("the first chunk is \(type), not a 13-byte IHDR") }
                let parsed = Header(
                    width: Int(PNGChunkStream.bigEndian32(payload, at: 0)), height: Int(PNGChunkStream.bigEndian32(payload, at: 4)),
                    bitDepth: Int(payload[8]), colorType: Int(payload[9]), interlaced: payload[12] != 0)
                guard parsed.width > 0, parsed.height > 0 else {
                    throw corrupt("the header declares \(parsed.width)×\(parsed.height) pixels")
                }
                guard RGBImage.isWithinLimits(width: parsed.width, height: parsed.height) else {
                    throw ImageError.tooLarge(name: name, width: parsed.width, height: parsed.height)
                }
                header = parsed
                let storedCRC = PNGChunkStream.bigEndian32(bytes, at: end - 4)
                let crcIsValid = CRC32.checksum(bytes[(position + 4)..<(end - 4)]) == storedCRC
                if reinterpretGreyAlpha16, parsed.bitDepth == 16, parsed.colorType == 4, crcIsValid {
                    var rewritten = payload
                    rewritten[8] = 8  // bit depth
                    rewritten[9] = 6  // RGBA
                    PNGChunkStream.appendChunk("IHDR", rewritten, to: &out)
                } else {
                    out.append(contentsOf: bytes[position..<end])
                }
            } else if PNGChunkStream.droppedChunks.contains(type) {
                // skipped: see the type's discussion
            } else {
                if type == "eXIf" { exif = payload }
                if type == "IDAT" { seenImageData = true }
                out.append(contentsOf: bytes[position..<end])
                if type == "IEND" {
                    seenEnd = true
                    break
                }
            }
            position = end
        }

        guard let header else { throw ImageError.truncated(name: name, format: "PNG") }
        guard seenImageData else {
            throw seenEnd ? corrupt("the file has no image data (no IDAT chunk)") : ImageError.truncated(name: name, format: "PNG")
        }
        // PIL stops reading once the image data is complete, so a missing IEND is not an error.
        if !seenEnd { PNGChunkStream.appendChunk("IEND", [], to: &out) }
        self.header = header
        self.data = out
        self.exif = exif
    }

    /// The big-endian 32-bit integer at `offset`; the caller has checked the bounds.
    static func bigEndian32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Appends a chunk with its length and CRC.
    static func appendChunk(_ type: String, _ payload: [UInt8], to out: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        let length = UInt32(payload.count)
        out.append(contentsOf: [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)])
        out.append(contentsOf: typeBytes)
        out.append(contentsOf: payload)
        let crc = CRC32.checksum(typeBytes + payload)
        out.append(contentsOf: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
    }
}
