import Testing

@testable import LoupeText

/// Batches padded to their own longest text, and the longest-first order with its inverse.
@Suite struct TokenBatchTests {
    @Test func batchIsPaddedToItsLongestText() throws {
        let tokenizer = try Fixtures.tokenizer()
        let batch = tokenizer.encodeBatch(["dog", "the quick brown fox", ""])
        #expect(batch.paddedLength == 6)
        #expect(batch.ids == [[101, 3899, 102, 0, 0, 0], [101, 1996, 4248, 2829, 4419, 102], [101, 102, 0, 0, 0, 0]])
        #expect(batch.attentionMask == [[1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 1, 1], [1, 1, 0, 0, 0, 0]])
        #expect(batch.lengths == [3, 6, 2])
        #expect(batch.truncated == [false, false, false])
        #expect(batch.indices == [0, 1, 2])
        #expect(batch.unpaddedIDs == [[101, 3899, 102], [101, 1996, 4248, 2829, 4419, 102], [101, 102]])
        #expect(tokenizer.encodeBatch([]) == TokenBatch([]))
        #expect(TokenBatch([]).paddedLength == 0)
    }

    @Test func sortedBatchesArePaddedPerBatchAndRestoreTheOrder() throws {
        let tokenizer = try Fixtures.tokenizer()
        let texts = ["dog", "the quick brown fox", "", "a cat", String(repeating: "word ", count: 300)]
        let sorted = try tokenizer.encodeBatches(texts, batchSize: 2)
        #expect(sorted.order.permutation == [4, 1, 3, 0, 2])
        #expect(sorted.batches.map(\.indices) == [[4, 1], [3, 0], [2]])
        // The short texts' batches are short; only the first batch pays for the long text.
        #expect(sorted.batches.map(\.paddedLength) == [256, 4, 2])
        #expect(sorted.batches[0].truncated == [true, false])
        #expect(sorted.batches[1].ids == [[101, 1037, 4937, 102], [101, 3899, 102, 0]])
        // Per-batch results come back in the caller's order.
        let lengths = sorted.restored(sorted.batches.map(\.lengths))
        #expect(lengths == texts.map { tokenizer.encode($0).count })
        let firstIDs = sorted.restored(sorted.batches.map { $0.ids.map { $0[1] } })
        #expect(firstIDs == [3899, 1996, 102, 1037, 2773])
    }

    @Test func lengthOrderIsStableAndInvertible() {
        let order = LengthOrder(lengths: [3, 7, 3, 9, 7])
        #expect(order.permutation == [3, 1, 4, 0, 2])
        #expect(order.sorted(["a", "b", "c", "d", "e"]) == ["d", "b", "e", "a", "c"])
        #expect(order.restored(order.sorted(["a", "b", "c", "d", "e"])) == ["a", "b", "c", "d", "e"])
        #expect(LengthOrder(lengths: []).permutation == [])
    }

    @Test func batchSizeBelowOneIsRejected() throws {
        let tokenizer = try Fixtures.tokenizer()
        #expect(throws: TextError.invalidBatchSize(0)) { try tokenizer.encodeBatches(["a"], batchSize: 0) }
    }
}
