/// Tokenized texts padded to a common length, ready for a BERT forward pass.
///
/// Row `r` holds the ids of text ``indices``[r], then `[PAD]` (id 0) up to ``paddedLength``,
/// the longest row of this batch: a batch of short texts is short, whatever the longest text of
/// the whole input is. ``attentionMask`` is 1 on real tokens and 0 on padding, as Hugging Face's
/// `attention_mask`. Layout: `ids[row][position]`, `[count][paddedLength]`.
public struct TokenBatch: Sendable, Equatable {
    /// The padded ids, `[count][paddedLength]`.
    public let ids: [[Int]]
    /// 1 where ``ids`` holds a real token, 0 on padding, `[count][paddedLength]`.
    public let attentionMask: [[Int]]
    /// The number of real tokens in each row, `[CLS]` and `[SEP]` included.
    public let lengths: [Int]
    /// Whether each row's text was cut to the maximum length.
    public let truncated: [Bool]
    /// For each row, the position of its text in the array the caller tokenized.
    public let indices: [Int]
    /// The length of every row: the longest text's length (or the minimum length asked for, if
    /// longer), or 0 for an empty batch.
    public let paddedLength: Int

    /// A batch of `texts`, padded with `padID`.
    ///
    /// - Parameters:
    ///   - texts: tokenized texts.
    ///   - indices: each text's position in the caller's array; `0..<texts.count` when `nil`.
    ///   - padID: the `[PAD]` id (0 in BERT vocabularies).
    ///   - minimumLength: rows are padded to at least this length (CLIP pads every row to its
    ///     context length, 77).
    public init(_ texts: [TokenizedText], indices: [Int]? = nil, padID: Int = 0, minimumLength: Int = 0) {
        let length = max(texts.map(\.count).max() ?? 0, minimumLength)
        ids = texts.map { $0.ids + Array(repeating: padID, count: length - $0.count) }
        attentionMask = texts.map { Array(repeating: 1, count: $0.count) + Array(repeating: 0, count: length - $0.count) }
        lengths = texts.map(\.count)
        truncated = texts.map(\.isTruncated)
        self.indices = indices ?? Array(texts.indices)
        paddedLength = length
    }

    /// The number of texts (rows).
    public var count: Int { ids.count }

    /// The ids of each row without padding.
    public var unpaddedIDs: [[Int]] {
        zip(ids, lengths).map { Array($0.prefix($1)) }
    }
}
