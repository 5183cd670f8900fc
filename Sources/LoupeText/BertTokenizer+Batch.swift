/// Tokenizing many texts at once.
extension BertTokenizer {
    /// `texts` tokenized as one batch, in order, padded to the longest of them.
    ///
    /// - Parameter texts: any texts.
    /// - Returns: `[texts.count][paddedLength]` ids and attention mask.
    public func encodeBatch(_ texts: [String]) -> TokenBatch {
        TokenBatch(texts.map(encode), padID: vocabulary.padID)
    }

    /// `texts` sorted longest first (in tokens) and cut into batches of at most `batchSize`, each
    /// padded only to its own longest text.
    ///
    /// Run the encoder on each batch in turn and pass the per-batch results to
    /// ``SortedTokenBatches/restored(_:)`` to get them back in the order of `texts`; or use each
    /// batch's ``TokenBatch/indices``. sentence-transformers sorts by characters rather than tokens;
    /// the grouping differs, the ids do not.
    ///
    /// - Parameters:
    ///   - texts: any texts.
    ///   - batchSize: the most texts a batch holds.
    /// - Returns: the batches, longest texts first, and their order.
    /// - Throws: ``TextError/invalidBatchSize(_:)`` when `batchSize` is below 1.
    public func encodeBatches(_ texts: [String], batchSize: Int) throws(TextError) -> SortedTokenBatches {
        guard batchSize >= 1 else { throw .invalidBatchSize(batchSize) }
        let encoded = texts.map(encode)
        let order = LengthOrder(lengths: encoded.map(\.count))
        let batches = stride(from: 0, to: texts.count, by: batchSize).map { start in
            let rows = Array(order.permutation[start..<min(start + batchSize, texts.count)])
            return TokenBatch(rows.map { encoded[$0] }, indices: rows, padID: vocabulary.padID)
        }
        return SortedTokenBatches(batches: batches, order: order)
    }
}

/// Texts tokenized into batches of similar length, longest first, with the way back to the
/// caller's order.
public struct SortedTokenBatches: Sendable, Equatable {
    /// The batches, longest texts first.
    public let batches: [TokenBatch]
    /// The longest-first order of the texts.
    public let order: LengthOrder

    /// Per-batch results (one value per row, batch by batch) in the order of the original texts.
    ///
    /// - Parameter perBatch: `perBatch[b][r]` is the result for row `r` of `batches[b]`.
    /// - Returns: one result per original text, in the caller's order.
    public func restored<T>(_ perBatch: [[T]]) -> [T] {
        precondition(
            perBatch.map(\.count) == batches.map(\.count),
            "SortedTokenBatches: results of sizes \(perBatch.map(\.count)) for batches of \(batches.map(\.count))")
        return order.restored(perBatch.flatMap { $0 })
    }
}
