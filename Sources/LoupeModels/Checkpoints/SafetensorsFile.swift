import Foundation
import LoupeTensor

/// Writes float32 tensors with string metadata in the safetensors format, and reads them back
/// with the checked reader of checkpoints (``Safetensors``) plus the header's `__metadata__`.
public enum SafetensorsFile {
    /// One tensor to write.
    public struct Entry: Sendable {
        /// The tensor's key.
        public let name: String
        /// Its shape (the product must equal `values.count`).
        public let shape: [Int]
        /// Its values, row-major.
        public let values: [Float]

        /// A tensor named `name`.
        public init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            self.values = values
        }
    }

    /// The file's bytes: the header (sorted keys, `__metadata__` first) padded with spaces to a
    /// multiple of 8 bytes as the reference writer does, then the tensors in order.
    public static func encode(_ entries: [Entry], metadata: [String: String]) throws -> Data {
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for entry in entries {
            precondition(entry.shape.reduce(1, *) == entry.values.count, "shape \(entry.shape) does not hold \(entry.values.count) values")
            let bytes = entry.values.count * 4
            header[entry.name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + bytes]] as [String: Any]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes])
        while json.count % 8 != 0 { json.append(0x20) }
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.append(json)
        for entry in entries {
            entry.values.map(\.bitPattern.littleEndian).withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// The tensors and the string metadata of the safetensors file at `url`.
    ///
    /// - Throws: ``ModelError`` naming the file for anything malformed, as for checkpoints.
    public static func read(contentsOf url: URL) throws -> (tensors: StateDict, metadata: [String: String]) {
        let mapping = try MappedFile(url)
        return try Safetensors.readWithMetadata(mapping.data, file: url.path, consumed: mapping.release)
    }
}
