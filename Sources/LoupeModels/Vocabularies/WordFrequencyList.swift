import Foundation

/// wordfreq's word lists (`small_en.msgpack.gz`): English words from most to least frequent.
///
/// The file is gzip-compressed MessagePack in wordfreq's "cBpack" format: an array whose first
/// element is the header map `{"format": "cB", "version": 1}` and whose other elements are
/// arrays of words, one per centibel of frequency, most frequent bin first. Only the MessagePack
/// types that format uses are read (arrays, maps, strings, small integers); anything else, and
/// any length that runs past the data, is an error naming the file.
enum WordFrequencyList {
    /// The words in frequency order.
    static func words(gzipped data: Data, file: String) throws -> [String] {
        let bytes = try Gzip.inflate(data, file: file)
        var reader = MessagePackReader(bytes: bytes, file: file)
        guard case let .array(items) = try reader.value(depth: 0), let header = items.first,
            case let .map(fields) = header, fields["format"] == .string("cB")
        else {
            throw ModelError.notACheckpoint(file: file, reason: "not a wordfreq cBpack list (no {format: cB} header)")
        }
        var words: [String] = []
        for bin in items.dropFirst() {
            guard case let .array(entries) = bin else {
                throw ModelError.notACheckpoint(file: file, reason: "a frequency bin is not an array")
            }
            for entry in entries {
                guard case let .string(word) = entry else { throw ModelError.notACheckpoint(file: file, reason: "a word is not a string") }
                words.append(word)
            }
        }
        return words
    }
}

/// The MessagePack values cBpack files hold.
enum MessagePackValue: Equatable {
    case integer(Int)
    case string(String)
    case array([MessagePackValue])
    case map([String: MessagePackValue])
}

/// Reads the MessagePack subset of ``MessagePackValue`` from bytes, checking every length.
struct MessagePackReader {
    let bytes: [UInt8]
    let file: String
    var offset = 0
    /// Nesting deeper than this is refused (cBpack nests two levels).
    static let maximumDepth = 16

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func value(depth: Int) throws -> MessagePackValue {
        guard depth <= Self.maximumDepth else { throw corrupt("nested deeper than \(Self.maximumDepth) levels") }
        let type = try byte()
        switch type {
        case 0x00...0x7f: return .integer(Int(type))
        case 0x80...0x8f: return try map(count: Int(type & 0x0f), depth: depth)
        case 0x90...0x9f: return try array(count: Int(type & 0x0f), depth: depth)
        case 0xa0...0xbf: return .string(try string(count: Int(type & 0x1f)))
        case 0xd9: return .string(try string(count: try unsigned(1)))
        case 0xda: return .string(try string(count: try unsigned(2)))
        case 0xdb: return .string(try string(count: try unsigned(4)))
        case 0xdc: return try array(count: try unsigned(2), depth: depth)
        case 0xdd: return try array(count: try unsigned(4), depth: depth)
        case 0xde: return try map(count: try unsigned(2), depth: depth)
        case 0xcc: return .integer(try unsigned(1))
        case 0xcd: return .integer(try unsigned(2))
        default: throw corrupt(String(format: "unsupported MessagePack type 0x%02x at byte %d", type, offset - 1))
        }
    }

    private mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw corrupt("truncated at byte \(offset)") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func unsigned(_ width: Int) throws -> Int {
        var value = 0
        for _ in 0..<width { value = value << 8 | Int(try byte()) }
        return value
    }

    private mutating func string(count: Int) throws -> String {
        guard count <= bytes.count - offset else { throw corrupt("a string of \(count) bytes runs past the end") }
        defer { offset += count }
        guard let text = String(validating: bytes[offset..<(offset + count)], as: UTF8.self) else {
            throw corrupt("invalid UTF-8 at byte \(offset)")
        }
        return text
    }

    private mutating func array(count: Int, depth: Int) throws -> MessagePackValue {
        // Each element takes at least one byte: a count beyond the data is a lie.
        guard count <= bytes.count - offset else { throw corrupt("an array of \(count) elements runs past the end") }
        var items: [MessagePackValue] = []
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try value(depth: depth + 1)) }
        return .array(items)
    }

    private mutating func map(count: Int, depth: Int) throws -> MessagePackValue {
        guard count <= (bytes.count - offset) / 2 else { throw corrupt("a map of \(count) entries runs past the end") }
        var fields: [String: MessagePackValue] = [:]
        for _ in 0..<count {
            guard case let .string(key) = try value(depth: depth + 1) else { throw corrupt("a map key is not a string") }
            fields[key] = try value(depth: depth + 1)
        }
        return .map(fields)
    }

    private func corrupt(_ reason: String) -> ModelError {
        .notACheckpoint(file: file, reason: "not a readable MessagePack word list: \(reason)")
    }
}
