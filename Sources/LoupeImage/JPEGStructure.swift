/// The marker structure of a JPEG, walked with bounds checks: its EXIF payload and whether the
/// data reaches the end-of-image marker.
///
/// PIL reports a JPEG without its end-of-image marker as truncated ("image file is truncated"),
/// while libjpeg inserts a fake marker, warns and fills the rest with grey. TurboJPEG's error code
/// cannot tell that warning from a later fatal error (the warning flag stays set), so Loupe decides
/// truncation from the structure itself, the way PIL's reader sees it: segments with lengths,
/// entropy-coded data after each start-of-scan (where `FF 00` and restart markers do not end the
/// data), stray bytes between markers skipped.
struct JPEGStructure {
    /// How the walk ended.
    enum Ending: Equatable {
        /// The end-of-image marker was reached.
        case complete
        /// The data ran out before the end-of-image marker.
        case truncated
        /// A segment length below 2; left for libjpeg to report.
        case malformed
    }

    /// The TIFF payload of the first `APP1` segment that starts with `Exif\0\0` (PIL reads the
    /// first one).
    let exif: [UInt8]?
    /// How the walk ended.
    let ending: Ending

    /// Walks `bytes`, which start with the start-of-image marker `FF D8`.
    init(_ bytes: [UInt8]) {
        let exifHeader: [UInt8] = [0x45, 0x78, 0x69, 0x66, 0, 0]  // "Exif\0\0"
        let count = bytes.count
        var exif: [UInt8]?
        var position = 2
        var ending = Ending.truncated

        walk: while position < count {
            guard bytes[position] == 0xFF else {
                position += 1  // stray byte between segments, skipped as PIL does
                continue
            }
            while position < count, bytes[position] == 0xFF { position += 1 }
            guard position < count else { break }
            let marker = bytes[position]
            position += 1
            switch marker {
            case 0xD9:
                ending = .complete
                break walk
            case 0x00, 0x01, 0xD0...0xD8:
                continue walk  // markers without a payload
            default:
                break
            }
            guard position + 2 <= count else { break }
            let length = Int(bytes[position]) << 8 | Int(bytes[position + 1])
            guard length >= 2 else {
                ending = .malformed
                break
            }
            guard position + length <= count else { break }
            if marker == 0xE1, exif == nil, bytes[(position + 2)..<(position + length)].starts(with: exifHeader) {
                exif = Array(bytes[(position + 2 + exifHeader.count)..<(position + length)])
            }
            position += length
            if marker == 0xDA {
                // Entropy-coded data runs to the next marker other than a stuffed zero or a restart.
                while position < count {
                    if bytes[position] != 0xFF {
                        position += 1
                        continue
                    }
                    var next = position + 1
                    while next < count, bytes[next] == 0xFF { next += 1 }
                    guard next < count else { break }
                    if bytes[next] == 0x00 || (0xD0...0xD7).contains(bytes[next]) {
                        position = next + 1
                    } else {
                        position = next - 1  // the FF before the marker
                        break
                    }
                }
            }
        }
        self.exif = exif
        self.ending = ending
    }
}
