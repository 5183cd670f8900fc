import Foundation

/// A channel described through the adaptor: the sentences of a corpus that it predicts excite the
/// channel most, each with its score, next to the corpus's own spread (the baseline) and the
/// channel's evidence (``ChannelCoupling``).
public struct ChannelDescription: Sendable {
    /// One sentence and its predicted activation.
    public struct Label: Sendable, Hashable {
        /// The sentence.
        public let text: String
        /// The predicted activation, in the channel's standard deviations over the probes.
        public let score: Double
        /// The share of the corpus scoring below this sentence (0…1).
        public let percentile: Double
    }

    /// The channel's fit: held-out r, the null's 95th percentile, whether it is coupled.
    public let coupling: ChannelCoupling
    /// The best sentences, best first.
    public let labels: [Label]
    /// The corpus's median score for this channel: what an arbitrary sentence gets.
    public let corpusMedian: Double
    /// The corpus's 95th-percentile score.
    public let corpusP95: Double

    /// The channel.
    public var channel: Int { coupling.channel }
}

extension Adaptor {
    /// Ranks `corpus` (texts with their vectors from the adaptor's encoder) for each of
    /// `channels` and keeps the best `top`.
    ///
    /// - Throws: ``InterpError/channelOutOfRange(layer:channel:channels:)``;
    ///   ``InterpError/invalidParameter(_:)`` for an empty corpus or vectors of another size.
    public func describe(channels selected: [Int], corpus: [String], vectors: [[Float]], top: Int = 5) throws -> [ChannelDescription] {
        guard !corpus.isEmpty, corpus.count == vectors.count else {
            throw InterpError.invalidParameter("describing needs a corpus of sentences with one vector each")
        }
        guard vectors.allSatisfy({ $0.count == textMean.count }) else {
            throw InterpError.invalidParameter(
                "the corpus vectors have \(vectors.first?.count ?? 0) dimensions; the adaptor expects \(textMean.count)")
        }
        for channel in selected where !channels.indices.contains(channel) {
            throw InterpError.channelOutOfRange(layer: provenance.layer, channel: channel, channels: channels.count)
        }
        let scores = predict(vectors)
        return selected.map { channel in
            let column = scores.map { $0[channel] }
            let sorted = column.sorted()
            let order = column.indices.sorted { column[$0] != column[$1] ? column[$0] > column[$1] : $0 < $1 }
            let below = { (value: Double) in
                Double(sorted.partitioningIndex { $0 >= value }) / Double(sorted.count)
            }
            return ChannelDescription(
                coupling: channels[channel],
                labels: order.prefix(top).map {
                    ChannelDescription.Label(text: corpus[$0], score: column[$0], percentile: below(column[$0]))
                },
                corpusMedian: sorted[sorted.count / 2],
                corpusP95: sorted[min(sorted.count - 1, Int(0.95 * Double(sorted.count)))])
        }
    }
}

extension Array where Element == Double {
    /// The first index whose element satisfies `belongs` in this sorted array (binary search).
    fileprivate func partitioningIndex(where belongs: (Double) -> Bool) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if belongs(self[mid]) { high = mid } else { low = mid + 1 }
        }
        return low
    }
}
