/// The EXIF `Orientation` tag (`0x0112`): how the stored pixels must be turned to stand upright.
///
/// Case names follow the TIFF specification: the first word says where row 0 lies in the stored
/// image as seen upright, the second where column 0 lies. ``transposition`` gives the operation
/// PIL's `ImageOps.exif_transpose` applies for each value.
public enum ExifOrientation: Int, Sendable, CaseIterable {
    /// 1: already upright.
    case topLeft = 1
    /// 2: mirrored left to right.
    case topRight = 2
    /// 3: upside down.
    case bottomRight = 3
    /// 4: mirrored top to bottom.
    case bottomLeft = 4
    /// 5: mirrored along the main diagonal.
    case leftTop = 5
    /// 6: turned a quarter counter-clockwise (the camera was held with its right side up).
    case rightTop = 6
    /// 7: mirrored along the anti-diagonal.
    case rightBottom = 7
    /// 8: turned a quarter clockwise.
    case leftBottom = 8

    /// The transposition that makes the image upright, or `nil` for ``topLeft``.
    public var transposition: Transposition? {
        switch self {
        case .topLeft: return nil
        case .topRight: return .flipLeftRight
        case .bottomRight: return .rotate180
        case .bottomLeft: return .flipTopBottom
        case .leftTop: return .transpose
        case .rightTop: return .rotate270
        case .rightBottom: return .transverse
        case .leftBottom: return .rotate90
        }
    }

    /// Reads the orientation from a TIFF structure (an EXIF payload without its `Exif\0\0`
    /// prefix), in either byte order.
    ///
    /// Every offset is bounds-checked; a malformed structure, a missing tag, a count other than 1
    /// or a value outside 1…8 gives `nil`, so the image is used as stored. As in PIL, the last
    /// `0x0112` entry of the first IFD wins, and `BYTE`, `SHORT`, `LONG`, `SSHORT` and `SLONG`
    /// values are accepted.
    init?(tiff: [UInt8]) {
        guard tiff.count >= 8 else { return nil }
        let littleEndian: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): littleEndian = true
        case (0x4D, 0x4D): littleEndian = false
        default: return nil
        }
        func u16(_ offset: Int) -> Int? {
            guard offset >= 0, offset + 2 <= tiff.count else { return nil }
            let a = Int(tiff[offset]), b = Int(tiff[offset + 1])
            return littleEndian ? a | b << 8 : a << 8 | b
        }
        func u32(_ offset: Int) -> Int? {
            guard let first = u16(offset), let second = u16(offset + 2) else { return nil }
            return littleEndian ? first | second << 16 : first << 16 | second
        }
        guard u16(2) == 42, let ifd = u32(4), let entryCount = u16(ifd) else { return nil }

        var found: Int?
        for index in 0..<entryCount {
            let entry = ifd + 2 + 12 * index
            guard entry + 12 <= tiff.count, let tag = u16(entry), let type = u16(entry + 2), let count = u32(entry + 4) else { break }
            guard tag == 0x0112 else { continue }
            guard count == 1 else {
                found = nil
                continue
            }
            switch type {
            case 1: found = Int(tiff[entry + 8])  // BYTE
            case 3: found = u16(entry + 8)  // SHORT
            case 4: found = u32(entry + 8)  // LONG
            case 8: found = u16(entry + 8).map { Int(Int16(truncatingIfNeeded: $0)) }  // SSHORT
            case 9: found = u32(entry + 8).map { Int(Int32(truncatingIfNeeded: $0)) }  // SLONG
            default: found = nil
            }
        }
        guard let found, let orientation = ExifOrientation(rawValue: found) else { return nil }
        self = orientation
    }
}
