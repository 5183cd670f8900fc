import Foundation

/// CLIP's byte-level BPE: the vocabulary and merges of `bpe_simple_vocab_16e6.txt`, and words to ids.
///
/// A word's UTF-8 bytes are spelled with GPT-2's byte-to-unicode table (the printable bytes stand
/// for themselves, the others for U+0100 onwards), the last one marked as the end of the word
/// (`</w>`), and adjacent symbols are merged, always the pair whose merge comes first in the file,
/// until no listed pair is left, as open_clip's `SimpleTokenizer.bpe` does.
///
/// The vocabulary is built in open_clip's order: the 256 byte symbols, the same with `</w>`, the
/// first 48,894 merges (lines 2 to 48,895 of the file; the first line is a version header), then
/// `<start_of_text>` (49,406) and `<end_of_text>` (49,407): 49,408 tokens.
public struct CLIPBytePairEncoding: Sendable {
    /// The number of merges open_clip reads: 49,152 − 256 − 2.
    public static let mergeCount = 48_894

    /// The tokens in id order: `tokens[id]`.
    public let tokens: [String]
    /// The file (or name) the merges came from, for messages.
    public let name: String
    /// For each pair of symbol ids (`first << 32 | second`), its rank and the id of its merge.
    private let merges: [UInt64: (rank: Int, id: Int)]
    /// The symbol id of each byte.
    private let byteIDs: [Int]
    private let cache = Cache()

    /// Parses the text of `bpe_simple_vocab_16e6.txt` (decompressed).
    ///
    /// Lines after the first 48,895 are ignored, as open_clip ignores them.
    ///
    /// - Parameters:
    ///   - data: the merges file's bytes, UTF-8 text.
    ///   - name: the file name used in error messages.
    /// - Throws: ``TextError/invalidUTF8(file:line:byteOffset:)``,
    ///   ``TextError/tooFewMerges(file:found:expected:)`` or ``TextError/invalidMerge(file:line:reason:)``,
    ///   naming the file.
    public init(data: Data, name: String) throws(TextError) {
        var lines: [Substring] = []
        let bytes = [UInt8](data)
        var start = 0
        while start < bytes.count, lines.count <= Self.mergeCount {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            guard let line = String(validating: bytes[start..<end], as: UTF8.self) else {
                let offset = WordPieceVocabulary.firstInvalidByte(in: bytes[start..<end])
                throw .invalidUTF8(file: name, line: lines.count + 1, byteOffset: offset)
            }
            lines.append(Substring(line))
            start = end + 1
        }
        guard lines.count > Self.mergeCount else {
            throw .tooFewMerges(file: name, found: max(0, lines.count - 1), expected: Self.mergeCount)
        }
        try self.init(mergeLines: lines[1...], name: name)
    }

    private init(mergeLines: ArraySlice<Substring>, name: String) throws(TextError) {
        let symbols = Self.byteSymbols
        var tokens = symbols.map { String($0) } + symbols.map { String($0) + "</w>" }
        var ids: [String: Int] = [:]
        var lines: [String: Int] = [:]
        for (id, token) in tokens.enumerated() { ids[token] = id }
        var merges: [UInt64: (rank: Int, id: Int)] = [:]
        merges.reserveCapacity(mergeLines.count)
        for (rank, line) in mergeLines.enumerated() {
            let parts = line.split(whereSeparator: { $0.isWhitespace })
            guard parts.count == 2 else {
                throw .invalidMerge(file: name, line: rank + 2, reason: "expected two symbols separated by a space, found \(parts.count)")
            }
            let merged = String(parts[0] + parts[1])
            if let first = lines[merged] {
                throw .invalidMerge(file: name, line: rank + 2, reason: "it makes \(merged), which line \(first) already makes")
            }
            guard ids[merged] == nil else {
                throw .invalidMerge(file: name, line: rank + 2, reason: "it makes \(merged), which is a byte symbol")
            }
            let id = tokens.count
            tokens.append(merged)
            ids[merged] = id
            lines[merged] = rank + 2
            // A pair whose halves are not tokens can never be formed, so it never applies.
            if let first = ids[String(parts[0])], let second = ids[String(parts[1])] {
                merges[UInt64(first) << 32 | UInt64(second)] = (rank, id)
            }
        }
        tokens += ["<start_of_text>", "<end_of_text>"]
        self.tokens = tokens
        self.name = name
        self.merges = merges
        var byteIDs = [Int](repeating: 0, count: 256)
        for (id, byte) in Self.byteOrder.enumerated() { byteIDs[Int(byte)] = id }
        self.byteIDs = byteIDs
    }

    /// The bytes in the order of their symbols' ids: the printable ones (`!`…`~`, `¡`…`¬`,
    /// `®`…`ÿ`), then the other 68 in increasing order.
    static let byteOrder: [UInt8] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let rest = (0...0xFF).filter { !printable.contains($0) }
        return (printable + rest).map { UInt8($0) }
    }()

    /// The symbol of each byte id: a printable byte is its own Latin-1 scalar, the n-th other
    /// byte is U+0100 + n.
    static let byteSymbols: [Character] = byteOrder.enumerated().map { id, byte in
        let value = id < 188 ? UInt32(byte) : 0x100 + UInt32(id - 188)
        return Character(Unicode.Scalar(value) ?? "?")
    }

    /// The number of tokens (49,408 for CLIP).
    public var count: Int { tokens.count }
    /// The id of `<start_of_text>` (49,406).
    public var startID: Int { tokens.count - 2 }
    /// The id of `<end_of_text>` (49,407).
    public var endID: Int { tokens.count - 1 }

    /// The token with `id`, or `nil` when the id is out of range.
    public func token(for id: Int) -> String? {
        tokens.indices.contains(id) ? tokens[id] : nil
    }

    /// The ids of one word (a piece of cleaned text the pre-tokenizer found).
    ///
    /// - Parameter word: the word's scalars.
    /// - Returns: its BPE ids; the last ends the word (`</w>`).
    public func ids(_ word: ArraySlice<Unicode.Scalar>) -> [Int] {
        // Keyed by bytes, not by String, whose equality would take `é` and `e\u{301}` for one word.
        let key = Array(CLIPTables.string(Array(word)).utf8)
        if let cached = cache.ids(of: key) { return cached }
        var symbols = key.map { byteIDs[Int($0)] }
        guard !symbols.isEmpty else { return [] }
        symbols[symbols.count - 1] += 256
        while symbols.count > 1 {
            // The pair that merges first, then every occurrence of it, left to right.
            var best: (rank: Int, id: Int, first: Int, second: Int)?
            for index in 0..<(symbols.count - 1) {
                if let merge = merges[UInt64(symbols[index]) << 32 | UInt64(symbols[index + 1])], merge.rank < best?.rank ?? .max {
                    best = (merge.rank, merge.id, symbols[index], symbols[index + 1])
                }
            }
            guard let best else { break }
            var merged: [Int] = []
            merged.reserveCapacity(symbols.count)
            var index = 0
            while index < symbols.count {
                if index + 1 < symbols.count, symbols[index] == best.first, symbols[index + 1] == best.second {
                    merged.append(best.id)
                    index += 2
                } else {
                    merged.append(symbols[index])
                    index += 1
                }
            }
            symbols = merged
        }
        cache.store(symbols, for: key)
        return symbols
    }

    /// Words already split, shared by copies of the encoding and safe across threads.
    ///
    /// Guarded by an `NSLock` (a pthread mutex), which ThreadSanitizer understands; it does not
    /// see the futex inside the standard library's `Mutex` on Linux and reports its users as racing.
    private final class Cache: @unchecked Sendable {
        /// Past this many words the cache starts again, so a long stream of text cannot grow it without bound.
        static let limit = 100_000
        private let lock = NSLock()
        private var words: [[UInt8]: [Int]] = [:]

        func ids(of word: [UInt8]) -> [Int]? {
            lock.withLock { words[word] }
        }

        func store(_ ids: [Int], for word: [UInt8]) {
            lock.withLock {
                if words.count >= Self.limit { words.removeAll(keepingCapacity: true) }
                words[word] = ids
            }
        }
    }
}
