import Foundation

/// NumPy's `.npy` format (version 1.0), little-endian float32, C order: what `--raw` writes.
public enum NPY {
    /// The file bytes for `values` of `shape`.
    public static func encode(_ values: [Float], shape: [Int]) -> Data {
        encode(rows: [values], shape: shape)
    }

    /// The file bytes for float32 `rows`, concatenated, of `shape`: what ``encode(_:shape:)``
    /// writes for the flattened rows, without a flattened copy (20,000 sentence vectors are 30 MB).
    public static func encode(rows: [[Float]], shape: [Int]) -> Data {
        var data = header(descr: "<f4", shape: shape)
        data.reserveCapacity(data.count + rows.reduce(0) { $0 + $1.count } * 4)
        for row in rows { appendLittleEndian(row, to: &data) }
        return data
    }

    /// Appends `row`'s float32 values, little-endian.
    private static func appendLittleEndian(_ row: [Float], to data: inout Data) {
        #if _endian(big)
            row.map { $0.bitPattern.littleEndian }.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
            row.withUnsafeBytes { data.append(contentsOf: $0) }
        #endif
    }

    /// Writes float32 `rows`, concatenated, of `shape` as a `.npy` file to `handle`, a
    /// megabyte at a time (no copy of the whole array in memory).
    ///
    /// - Throws: the handle's errors.
    public static func write(rows: [[Float]], shape: [Int], to handle: FileHandle) throws {
        try handle.write(contentsOf: header(descr: "<f4", shape: shape))
        var chunk = Data()
        for row in rows {
            appendLittleEndian(row, to: &chunk)
            if chunk.count >= 1 << 20 {
                try handle.write(contentsOf: chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: chunk)
    }

    /// The file bytes for float64 `values` of `shape` (for parity dumps that must not round).
    public static func encode(float64 values: [Double], shape: [Int]) -> Data {
        var data = header(descr: "<f8", shape: shape)
        let bits = values.map { $0.bitPattern.littleEndian }
        bits.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// The magic, version and header dictionary, padded to a multiple of 64 bytes.
    private static func header(descr: String, shape: [Int]) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': (\(dims)), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        return data
    }

    /// Reads a little-endian float32 `.npy` file (C order).
    ///
    /// - Throws: ``NPYError`` naming what is wrong.
    public static func decode(_ data: Data) throws -> (values: [Float], shape: [Int]) {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else { throw NPYError("not a .npy file") }
        let major = bytes[6]
        let headerStart = major == 1 ? 10 : 12
        guard major >= 1, major <= 3, bytes.count >= headerStart else { throw NPYError("unsupported .npy version \(major)") }
        let length =
            major == 1
            ? Int(bytes[8]) | Int(bytes[9]) << 8
            : Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
        guard bytes.count >= headerStart + length else { throw NPYError("truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + length)], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw NPYError("expected little-endian float32 ('<f4'), header \(header)") }
        guard header.contains("'fortran_order': False") else { throw NPYError("expected C order") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw NPYError("no shape in header \(header)")
        }
        let shape = try header[open.upperBound..<close].split(separator: ",").map { part -> Int in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 0 else { throw NPYError("bad shape in header \(header)") }
            return n
        }
        let count = shape.reduce(1, *)
        let start = headerStart + length
        guard bytes.count - start == count * 4 else {
            throw NPYError("expected \(count) float32 values, found \(bytes.count - start) bytes")
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + 4 * $0, as: UInt32.self))) }
        }
        return (values, shape)
    }
}

/// A `.npy` file Loupe cannot read.
public struct NPYError: Error, CustomStringConvertible, Equatable {
    /// What is wrong with the file, prefixed with `.npy: `.
    public let description: String
    init(_ description: String) { self.description = ".npy: " + description }
}
