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
        // `[channels × texts]`: each channel's scores side by side in memory.
        let scores = Matrix.product(weights, transposed: true, Matrix(vectors, subtracting: textMean), transposed: true)
        let n = scores.columns
        return selected.map { channel in
            let column = Array(scores.values[(channel * n)..<((channel + 1) * n)])
            let best = Self.topIndices(column, count: top)
            // Order statistics by selection, not by sorting twenty thousand scores per channel.
            var scratch = column
            let median = Self.select(&scratch, rank: n / 2)
            let p95 = Self.select(&scratch, rank: min(n - 1, Int(0.95 * Double(n))))
            let below = { (value: Double) in Double(column.reduce(0) { $0 + ($1 < value ? 1 : 0) }) / Double(n) }
            return ChannelDescription(
                coupling: channels[channel],
                labels: best.map { ChannelDescription.Label(text: corpus[$0], score: column[$0], percentile: below(column[$0])) },
                corpusMedian: median, corpusP95: p95)
        }
    }

    /// The value that would be at `rank` if `values` were sorted ascending (Hoare's selection;
    /// `values` is reordered).
    static func select(_ values: inout [Double], rank: Int) -> Double {
        values.withUnsafeMutableBufferPointer { values in
            var low = 0, high = values.count - 1
            while low < high {
                let pivot = values[(low + high) / 2]
                var i = low, j = high
                while i <= j {
                    while values[i] < pivot { i += 1 }
                    while values[j] > pivot { j -= 1 }
                    if i <= j {
                        values.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                if rank <= j { high = j } else if rank >= i { low = i } else { return values[rank] }
            }
            return values[rank]
        }
    }

    /// The indices of the `count` largest values, largest first; ties keep the lower index.
    ///
    /// One pass with a small sorted buffer (`count` is a handful, the values tens of thousands).
    static func topIndices(_ values: [Double], count: Int) -> [Int] {
        guard count <= 64 else {
            return Array(values.indices.sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(count))
        }
        var best: [Int] = []
        best.reserveCapacity(count + 1)
        var threshold = -Double.infinity
        values.withUnsafeBufferPointer { values in
            for index in values.indices {
                let value = values[index]
                if best.count == count, !(value > threshold) { continue }
                var position = best.count
                while position > 0, values[best[position - 1]] < value { position -= 1 }
                best.insert(index, at: position)
                if best.count > count { best.removeLast() }
                if best.count == count, let last = best.last { threshold = values[last] }
            }
        }
        return best
    }
}
