import Foundation

/// Checks the end records and 64-bit fields of a zip archive before ZIPFoundation reads it.
///
/// ZIPFoundation 0.9 converts the ZIP64 offsets and sizes it finds to `off_t` and `Int64`
/// without checking them, so a forged value above 2⁶³ traps and ends the process. PyTorch
/// writes a ZIP64 end-of-central-directory record in every archive, so this is reachable from
/// any `.pt` file. This check finds the same records ZIPFoundation will use, in the same way,
/// and rejects values that no real archive of this size could hold; everything else (and every
/// genuine error) is left to ZIPFoundation and to ``TorchZip``'s own size checks.
enum ZipPreflight {
    /// Larger than any uncompressed size Loupe reads, small enough that sums of a few never overflow.
    static let sizeLimit: UInt64 = 1 << 48

    /// Throws ``ModelError/truncated(file:detail:)`` when the end-of-central-directory record is
    /// missing, ``ModelError/notACheckpoint(file:reason:)`` when a ZIP64 field ZIPFoundation would
    /// use is impossible for a file of `data.count` bytes.
    static func check(_ data: Data, file: String) throws {
        try data.withUnsafeBytes { raw in
            let length = raw.count
            func u16(_ at: Int) -> UInt64 { UInt64(raw.loadUnaligned(fromByteOffset: at, as: UInt16.self).littleEndian) }
            func u32(_ at: Int) -> UInt64 { UInt64(raw.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian) }
            func u64(_ at: Int) -> UInt64 { raw.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian }
            func bad(_ what: String) -> ModelError {
                .notACheckpoint(file: file, reason: "the zip archive's \(what) is impossible for a file of \(length) bytes")
            }

            // The end-of-central-directory record, searched backwards as ZIPFoundation does, but
            // only through the last 64 KiB (the longest comment it can have): ZIPFoundation would
            // search a cut-short file to its start, a byte per read.
            var eocd = length - 22
            let lowest = max(0, length - 22 - 0xFFFF)
            while eocd >= lowest, u32(eocd) != 0x0605_4B50 { eocd -= 1 }
            guard eocd >= lowest else {
                throw ModelError.truncated(
                    file: file, detail: "the zip archive has no end-of-central-directory record; the file was probably cut short")
            }
            var entryCount = u16(eocd + 10)
            var directory = u32(eocd + 16)

            // The ZIP64 record ZIPFoundation looks for: right before its locator, right before the EOCD.
            let locator = eocd - 20, record = eocd - 76
            if record > 0, u32(locator) == 0x0706_4B50, u32(record) == 0x0606_4B50, u16(record + 14) >= 45 {
                entryCount = u64(record + 32)
                directory = u64(record + 48)
                guard entryCount <= UInt64(length), u64(record + 40) <= UInt64(length), directory <= UInt64(length) else {
                    throw bad("ZIP64 end-of-central-directory record")
                }
            }

            // Each central-directory entry's ZIP64 extra field, where its 32-bit fields say to use it.
            var position = Int(directory)
            for _ in 0..<entryCount {
                guard position + 46 <= length, u32(position) == 0x0201_4B50 else { return }
                let nameLength = Int(u16(position + 28)), extraLength = Int(u16(position + 30))
                let commentLength = Int(u16(position + 32))
                let usesZIP64 =
                    u32(position + 20) == 0xFFFF_FFFF || u32(position + 24) == 0xFFFF_FFFF
                    || u32(position + 42) == 0xFFFF_FFFF
                let extra = position + 46 + nameLength
                if usesZIP64, extra + extraLength <= length {
                    var field = extra
                    while field + 4 <= extra + extraLength {
                        let size = Int(u16(field + 2))
                        if u16(field) == 0x0001 {
                            var value = field + 4
                            while value + 8 <= min(field + 4 + size, extra + extraLength) {
                                guard u64(value) <= sizeLimit else { throw bad("ZIP64 size or offset of an entry") }
                                value += 8
                            }
                        }
                        field += 4 + size
                    }
                }
                position = extra + extraLength + commentLength
            }
        }
    }
}
