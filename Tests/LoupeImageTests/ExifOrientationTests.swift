import Testing

@testable import LoupeImage

/// Reading the EXIF orientation tag from TIFF structures.
@Suite struct ExifOrientationTests {
    /// A TIFF with one IFD entry (tag, type, count, 4 value bytes).
    static func tiff(littleEndian: Bool, tag: UInt16 = 0x0112, type: UInt16 = 3, count: UInt32 = 1, value: UInt32) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] { littleEndian ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func u32(_ v: UInt32) -> [UInt8] {
            littleEndian ? u16(UInt16(v & 0xFFFF)) + u16(UInt16(v >> 16)) : u16(UInt16(v >> 16)) + u16(UInt16(v & 0xFFFF))
        }
        let field = type == 3 ? u16(UInt16(value)) + [0, 0] : u32(value)
        return (littleEndian ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(1) + u16(tag) + u16(type) + u32(count) + field + u32(0)
    }

    @Test(arguments: [true, false], 1...8)
    func readsEveryValueInBothByteOrders(littleEndian: Bool, value: Int) {
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: littleEndian, value: UInt32(value)))?.rawValue == value)
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: littleEndian, type: 4, value: UInt32(value)))?.rawValue == value)
    }

    @Test func rejectsMalformedStructures() {
        let good = Self.tiff(littleEndian: true, value: 6)
        #expect(ExifOrientation(tiff: good) == .rightTop)
        // Every truncation of a valid structure is handled (the entry is cut, so no orientation).
        for length in 0..<(good.count - 4) {
            #expect(ExifOrientation(tiff: Array(good.prefix(length))) == nil, "prefix of \(length) bytes")
        }
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: true, value: 0)) == nil)
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: true, value: 9)) == nil)
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: true, count: 2, value: 6)) == nil)
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: true, tag: 0x0110, value: 6)) == nil)
        #expect(ExifOrientation(tiff: Self.tiff(littleEndian: true, type: 2, value: 6)) == nil)  // ASCII
        var badMagic = good
        badMagic[2] = 43
        #expect(ExifOrientation(tiff: badMagic) == nil)
        var farOffset = good
        farOffset[4...7] = [0xFF, 0xFF, 0xFF, 0x7F]  // IFD offset far beyond the end
        #expect(ExifOrientation(tiff: farOffset) == nil)
        var manyEntries = good
        manyEntries[8...9] = [0xFF, 0xFF]  // 65535 entries declared, one present
        #expect(ExifOrientation(tiff: manyEntries) == .rightTop)
    }

    @Test func transpositionsMatchPILsTable() {
        let expected: [ExifOrientation: Transposition?] = [
            .topLeft: nil, .topRight: .flipLeftRight, .bottomRight: .rotate180, .bottomLeft: .flipTopBottom,
            .leftTop: .transpose, .rightTop: .rotate270, .rightBottom: .transverse, .leftBottom: .rotate90,
        ]
        for orientation in ExifOrientation.allCases {
            #expect(orientation.transposition == expected[orientation] ?? nil, "\(orientation)")
        }
    }
}
