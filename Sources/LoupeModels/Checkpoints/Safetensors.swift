import Foundation

/// Reads the safetensors format.
///
/// A file is an 8-byte little-endian header length `n`, `n` bytes of JSON, then the tensor data:
///
/// ```json
/// {"conv1.weight": {"dtype": "F32", "shape": [64, 3, 7, 7], "data_offsets": [0, 37632]},
///  "__metadata__": {"format": "pt"}}
/// ```
///
/// Offsets count from the first byte after the header. Loupe checks every entry against the
/// file before reading it: the offsets lie inside the data, span exactly the bytes the shape and
/// type need, and no two tensors overlap.
enum Safetensors {
    /// The largest header Loupe accepts (the reference implementation's limit).
    static let headerLimit = 100_000_000

    /// One tensor's header entry.
    struct Entry: Decodable {
        let dtype: String
        let shape: [Int]
        let dataOffsets: [Int]

        enum CodingKeys: String, CodingKey {
            case dtype, shape
            case dataOffsets = "data_offsets"
        }
    }

    /// The header: tensor entries by name, and the string metadata (`__metadata__`; values that
    /// are not strings are left out, as the format allows only strings).
    struct Header: Decodable {
        let entries: [(name: String, entry: Entry)]
        let metadata: [String: String]

        private struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            entries = try container.allKeys.filter { $0.stringValue != "__metadata__" }.map { key in
                (key.stringValue, try container.decode(Entry.self, forKey: key))
            }
            metadata = (try? container.decode([String: String].self, forKey: Key(stringValue: "__metadata__"))) ?? [:]
        }
    }

    /// Reads the tensors of a safetensors file.
    ///
    /// - Throws: ``ModelError/truncated(file:detail:)`` when the header or a tensor runs past the
    ///   end of the file, ``ModelError/notACheckpoint(file:reason:)`` for a malformed header,
    ///   sizes that disagree, or overlapping tensors, ``ModelError/unsupportedDType(file:key:dtype:)``
    ///   for element types other than F32, F16, BF16 and I64.
    static func read(_ data: Data, file: String) throws -> StateDict {
        try readWithMetadata(data, file: file).tensors
    }

    /// The tensors and the header's string metadata; checked as ``read(_:file:)`` says.
    ///
    /// `consumed` is told the byte range of each tensor once it has been copied out (a mapped
    /// file releases those pages).
    static func readWithMetadata(
        _ data: Data, file: String, consumed: ((Range<Int>) -> Void)? = nil
    ) throws -> (tensors: StateDict, metadata: [String: String]) {
        let (headerLength, dataStart) = try data.withUnsafeBytes { raw in
            var reader = ByteReader(raw, file: file)
            let claimed = try reader.littleEndian(8, "the safetensors header length")
            guard claimed <= UInt64(headerLimit) else {
                throw ModelError.notACheckpoint(
                    file: file, reason: "the safetensors header claims \(claimed) bytes (the limit is \(headerLimit))")
            }
            let length = try reader.length(claimed, "the safetensors header")
            return (length, 8 + length)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data[(data.startIndex + 8)..<(data.startIndex + 8 + headerLength)])
        } catch {
            throw ModelError.notACheckpoint(file: file, reason: "the safetensors header is not valid: \(describe(error))")
        }
        let dataLength = data.count - dataStart

        var ranges: [(name: String, range: Range<Int>)] = []
        var layouts: [(name: String, type: ElementType, layout: StridedLayout, range: Range<Int>)] = []
        for (name, entry) in header.entries.sorted(by: { $0.name < $1.name }) {
            let type = ElementType(safetensors: entry.dtype)
            guard type.isConvertible else { throw ModelError.unsupportedDType(file: file, key: name, dtype: entry.dtype) }
            guard entry.dataOffsets.count == 2, entry.dataOffsets[0] >= 0, entry.dataOffsets[0] <= entry.dataOffsets[1] else {
                throw ModelError.notACheckpoint(file: file, reason: "tensor \(name) has data_offsets \(entry.dataOffsets)")
            }
            let range = entry.dataOffsets[0]..<entry.dataOffsets[1]
            guard range.upperBound <= dataLength else {
                throw ModelError.truncated(
                    file: file,
                    detail: "tensor \(name) has data_offsets [\(range.lowerBound), \(range.upperBound)] "
                        + "but the data holds \(dataLength) byte(s)")
            }
            let layout = try StridedLayout.contiguous(entry.shape, file: file, what: "tensor \(name)")
            let (length, overflow) = layout.count.multipliedReportingOverflow(by: type.byteSize)
            guard !overflow, length == range.count else {
                throw ModelError.notACheckpoint(
                    file: file,
                    reason: "tensor \(name) of shape \(entry.shape) and type \(entry.dtype) needs \(layout.count) element(s) "
                        + "but its data_offsets span \(range.count) byte(s)")
            }
            ranges.append((name, range))
            layouts.append((name, type, layout, range))
        }
        ranges.sort { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }
        for (previous, next) in zip(ranges, ranges.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
            throw ModelError.notACheckpoint(
                file: file, reason: "tensors \(previous.name) and \(next.name) overlap in the data (bytes \(next.range.lowerBound)…)")
        }

        var result = StateDict()
        for (name, type, layout, range) in layouts {
            let bytes = data[(data.startIndex + dataStart + range.lowerBound)..<(data.startIndex + dataStart + range.upperBound)]
            result[name] = try bytes.withUnsafeBytes { raw in
                try layout.tensor(from: raw, type: type, key: name, file: file)
            }
            consumed?((dataStart + range.lowerBound)..<(dataStart + range.upperBound))
        }
        if !result.tensors.isEmpty, result.tensors.keys.allSatisfy({ $0.hasPrefix("module.") }) {
            result = result.removingPrefix("module.")
        }
        return (result, header.metadata)
    }

    /// A one-line account of a decoding error.
    private static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.dataCorrupted(context), let DecodingError.keyNotFound(_, context),
            let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }
}
