/// The token ids of one text: `[CLS]`, the text's pieces, `[SEP]`, cut to the tokenizer's
/// maximum length.
public struct TokenizedText: Sendable, Equatable, Hashable {
    /// The ids, starting with `[CLS]` and ending with `[SEP]`; at least two.
    public let ids: [Int]
    /// How many ids the text would have had without truncation, `[CLS]` and `[SEP]` included.
    public let untruncatedCount: Int

    /// The ids and the count before truncation.
    ///
    /// - Parameters:
    ///   - ids: the final ids.
    ///   - untruncatedCount: the count before truncation; at least `ids.count`.
    public init(ids: [Int], untruncatedCount: Int) {
        self.ids = ids
        self.untruncatedCount = Swift.max(untruncatedCount, ids.count)
    }

    /// The number of ids.
    public var count: Int { ids.count }

    /// Whether pieces at the end of the text were cut off to fit the maximum length; the
    /// embedding then describes only the beginning of the text.
    public var isTruncated: Bool { untruncatedCount > ids.count }
}
