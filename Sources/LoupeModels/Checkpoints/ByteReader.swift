/// A cursor over untrusted bytes in which every read is bounds-checked.
///
/// Reads past the end throw ``ModelError/truncated(file:detail:)`` naming the file and what was
/// being read; no read traps, and no length field is trusted before it has been compared with
/// the bytes that remain.
struct ByteReader {
    /// The bytes being read; the caller keeps them alive for the reader's lifetime.
    let bytes: UnsafeRawBufferPointer
    /// The offset of the next byte to read.
    private(set) var position: Int
    /// The file the bytes come from, for error messages.
    let file: String

    init(_ bytes: UnsafeRawBufferPointer, file: String, position: Int = 0) {
        self.bytes = bytes
        self.file = file
        self.position = min(max(position, 0), bytes.count)
    }

    /// The number of bytes not yet read.
    var remaining: Int { bytes.count - position }

    /// Whether every byte has been read.
    var isAtEnd: Bool { position >= bytes.count }

    /// Throws ``ModelError/truncated(file:detail:)`` unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count >= 0, count <= remaining else {
            throw ModelError.truncated(
                file: file,
                detail: "\(what()) needs \(count) byte(s) at offset \(position) but only \(remaining) remain")
        }
    }

    /// Checks that a length read from the file fits in the remaining bytes and returns it as an `Int`.
    func length(_ value: UInt64, _ what: @autoclosure () -> String) throws -> Int {
        guard value <= UInt64(remaining) else {
            throw ModelError.truncated(
                file: file,
                detail: "\(what()) claims \(value) byte(s) at offset \(position) but only \(remaining) remain")
        }
        return Int(value)
    }

    /// Reads one byte.
    mutating func u8(_ what: @autoclosure () -> String = "a byte") throws -> UInt8 {
        try require(1, what())
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a little-endian unsigned integer of `width` bytes (at most 8).
    mutating func littleEndian(_ width: Int, _ what: @autoclosure () -> String) throws -> UInt64 {
        try require(width, what())
        var value: UInt64 = 0
        for i in 0..<min(width, 8) {
            value |= UInt64(bytes[position + i]) << (8 * UInt64(i))
        }
        position += width
        return value
    }

    /// Reads a big-endian IEEE 754 double (pickle's `BINFLOAT`).
    mutating func bigEndianDouble(_ what: @autoclosure () -> String) throws -> Double {
        try require(8, what())
        var bits: UInt64 = 0
        for i in 0..<8 {
            bits = (bits << 8) | UInt64(bytes[position + i])
        }
        position += 8
        return Double(bitPattern: bits)
    }

    /// Reads `count` bytes as a slice of the underlying buffer, without copying.
    mutating func slice(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        try require(count, what())
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// Reads `count` bytes into an array.
    mutating func array(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        Array(try slice(count, what()))
    }

    /// Reads up to and including the next newline, at most `limit` bytes, and returns the line
    /// without it (pickle's text opcodes).
    mutating func line(limit: Int = 4096, _ what: @autoclosure () -> String) throws -> [UInt8] {
        let end = min(bytes.count, position + limit)
        var i = position
        while i < end, bytes[i] != 0x0A { i += 1 }
        guard i < end else {
            if end == bytes.count {
                throw ModelError.truncated(file: file, detail: "\(what()) at offset \(position) has no end of line")
            }
            throw ModelError.unsupportedPickle(file: file, detail: "\(what()) at offset \(position) is longer than \(limit) bytes")
        }
        let line = Array(UnsafeRawBufferPointer(rebasing: bytes[position..<i]))
        position = i + 1
        return line
    }

    /// Moves the cursor to `offset`, which must lie within the bytes.
    mutating func seek(to offset: Int) throws {
        guard offset >= 0, offset <= bytes.count else {
            throw ModelError.truncated(file: file, detail: "offset \(offset) lies beyond the \(bytes.count) bytes of the file")
        }
        position = offset
    }
}
