import CZlibGzip
import Foundation

/// gzip decompression through zlib, bounded so that a small file cannot claim gigabytes.
enum Gzip {
    /// The most bytes a decompressed file may have.
    static let maximumSize = 256 << 20

    /// The decompressed bytes of gzip `data`.
    ///
    /// - Throws: ``ModelError/notACheckpoint(file:reason:)`` naming `file` for data that is not
    ///   gzip, is truncated or corrupt, or would decompress past ``maximumSize``.
    static func inflate(_ data: Data, file: String) throws -> [UInt8] {
        var stream = z_stream()
        // 16 + 15: a gzip header and the largest window.
        guard inflateInit2_(&stream, 16 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ModelError.notACheckpoint(file: file, reason: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var input = [UInt8](data)
        let status: Int32 = input.withUnsafeMutableBufferPointer { source in
            stream.next_in = source.baseAddress
            stream.avail_in = uInt(source.count)
            var result = Z_OK
            while result == Z_OK {
                result = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return CZlibGzip.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output.append(contentsOf: chunk[0..<produced])
                if output.count > maximumSize { return Z_MEM_ERROR }
                if result == Z_BUF_ERROR, stream.avail_in == 0 { break }
            }
            return result
        }
        switch status {
        case Z_STREAM_END: return output
        case Z_MEM_ERROR: throw ModelError.notACheckpoint(file: file, reason: "decompresses to more than \(maximumSize >> 20) MiB")
        case Z_BUF_ERROR, Z_OK: throw ModelError.notACheckpoint(file: file, reason: "truncated gzip data")
        default: throw ModelError.notACheckpoint(file: file, reason: "not valid gzip data (zlib status \(status))")
        }
    }
}
