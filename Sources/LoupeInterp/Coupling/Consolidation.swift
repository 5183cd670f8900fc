import Foundation
import LoupeTensor

/// A group of channels that fire together, summarised in words.
public struct ChannelGroup: Sendable {
    /// The channels, in ascending order.
    public let channels: [Int]
    /// The mean correlation between the group's channels over the probes (1 for one channel).
    public let cohesion: Double
    /// The texts the training-photo adaptor predicts excite the group's mean most, best first,
    /// with their predicted activation (σ).
    public let summary: [ChannelDescription.Label]
    /// The group's mean activation dissected with SoftWPMI against the same texts.
    public let dissection: DissectionLabel
    /// On the held-out photos' probes: Pearson r between the group's mean activation and each
    /// probe's cosine with the summary (the summary texts' mean vector).
    public let heldOutR: Double
    /// The 95th percentile of that r when held-out photos are shuffled.
    public let nullP95: Double

    /// The share of the group's held-out activation the summary explains (r², 0 when r ≤ 0).
    public var explainedVariance: Double { heldOutR > 0 ? heldOutR * heldOutR : 0 }
    /// Whether the summary explains the group better than shuffled photos do.
    public var explained: Bool { heldOutR > 0 && heldOutR > nullP95 }
}

/// A batch of channels consolidated: groups of co-firing channels, each with summary texts,
/// a dissection label, and how much of its held-out activation the summary explains.
public struct Consolidation: Sendable {
    /// Groups of two or more channels, largest first, then single channels, by explained variance.
    public let groups: [ChannelGroup]
    /// The correlation at which grouping stopped.
    public let threshold: Double
    /// Channels left out because they never vary.
    public let dead: [Int]

    /// Groups whose summary beats shuffled photos on held-out probes.
    public var explained: [ChannelGroup] { groups.filter(\.explained) }
    /// Groups that nothing in the corpus explains: listed, never labelled.
    public var unexplained: [ChannelGroup] { groups.filter { !$0.explained } }
}

extension Adaptor {
    /// Consolidates `selected` channels: average-linkage grouping on their correlation over the
    /// probes (merging while the groups' mean correlation is at least `threshold`), then for each
    /// group the `top` texts of `corpus` the training-photo adaptor predicts excite its mean
    /// most, its SoftWPMI label, and the held-out test of the summary (``ChannelGroup``).
    ///
    /// The summary is chosen with the fit on training photos only, and tested on the held-out
    /// photos' probes: how well the cosine between each probe's words and the summary follows
    /// the group's activation, against `permutations` shuffles of the held-out photos.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the adaptor has no fitting data (it
    ///   was read from a file), the corpus is empty or of another dimension, or the threshold is
    ///   not in 0…1; ``InterpError/channelOutOfRange(layer:channel:channels:)``.
    public func consolidate(
        channels selected: [Int], corpus: [String], vectors: [[Float]], threshold: Double = 0.5, top: Int = 3,
        permutations: Int = 200
    ) throws -> Consolidation {
        guard let evidence else {
            throw InterpError.invalidParameter("consolidating needs the adaptor's fitting data; fit it in the same run")
        }
        guard (0...1).contains(threshold) else { throw InterpError.invalidParameter("the threshold must be 0…1, got \(threshold)") }
        guard !corpus.isEmpty, corpus.count == vectors.count, vectors.allSatisfy({ $0.count == textMean.count }) else {
            throw InterpError.invalidParameter("consolidating needs a corpus with vectors of the adaptor's dimension")
        }
        for channel in selected where !channels.indices.contains(channel) {
            throw InterpError.channelOutOfRange(layer: provenance.layer, channel: channel, channels: channels.count)
        }
        let live = Array(Set(selected)).sorted().filter { !channels[$0].dead }
        let dead = Array(Set(selected)).sorted().filter { channels[$0].dead }
        let n = evidence.textVectors.count, m = evidence.channels

        // Standardised activations of the live channels, and their correlations.
        var z = Matrix(zeros: n, live.count)
        for (k, channel) in live.enumerated() {
            let column = (0..<n).map { Double(evidence.activations[$0 * m + channel]) }
            let mean = column.reduce(0, +) / Double(n)
            let std = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(n - 1, 1))).squareRoot()
            for row in 0..<n { z[row, k] = std > 0 ? (column[row] - mean) / std : 0 }
        }
        let correlation = Matrix.product(z, transposed: true, z).scalingColumns(
            Array(repeating: 1 / Double(max(n - 1, 1)), count: live.count))
        let clusters = Self.averageLinkage(correlation, threshold: threshold)

        // Group means (over standardised members) as extra "neurons" for SoftWPMI, after the layer's own.
        let groupColumns = clusters.map { members in (0..<n).map { row in members.reduce(0) { $0 + z[row, $1] } / Double(members.count) } }
        var joined = [Double]()
        joined.reserveCapacity(n * (m + clusters.count))
        for row in 0..<n {
            joined += evidence.activations[(row * m)..<((row + 1) * m)].map(Double.init)
            joined += groupColumns.map { $0[row] }
        }
        let probabilities = try Dissection.ConceptProbabilities(probeVectors: evidence.textVectors, conceptVectors: vectors)
        var settings = Dissection.Settings()
        settings.topK = min(settings.topK, max(1, n / 5))
        let scores = try Dissection.softWPMI(probabilities, activations: joined, neurons: m + clusters.count, settings: settings)

        // Training-only predictions for every corpus text and channel.
        let trainingPredictions = evidence.trainingPredictions(vectors)
        let heldOut = evidence.heldOutProbes
        var rng = SplitMix64(seed: evidence.seed &+ 1)
        var groups: [ChannelGroup] = []
        for (g, members) in clusters.enumerated() {
            let channelsOfGroup = members.map { live[$0] }
            let groupScore = (0..<corpus.count).map { text in
                channelsOfGroup.reduce(0) { $0 + trainingPredictions[text, $1] } / Double(channelsOfGroup.count)
            }
            let order = Self.topIndices(groupScore, count: top)
            let summary = order.map { index in
                ChannelDescription.Label(
                    text: corpus[index], score: groupScore[index],
                    percentile: Double(groupScore.reduce(0) { $0 + ($1 < groupScore[index] ? 1 : 0) }) / Double(groupScore.count))
            }
            // The summary's direction, and each held-out probe's cosine with it.
            let direction = unitMean(order.map { vectors[$0] })
            let cosine = heldOut.map { probe in Double(zip(evidence.textVectors[probe], direction).reduce(0) { $0 + $1.0 * $1.1 }) }
            let activation = heldOut.map { groupColumns[g][$0] }
            let r = pearson(cosine, activation)
            let null = (0..<permutations).map { _ in
                pearson(Self.shufflingPhotos(cosine, photos: heldOut.map { evidence.photos[$0] }, using: &rng), activation)
            }.sorted()
            let p95 = null.isEmpty ? 1 : null[min(null.count - 1, Int((0.95 * Double(null.count)).rounded(.up)) - 1)]
            let row = Array(scores[((m + g) * corpus.count)..<((m + g + 1) * corpus.count)])
            let best = Self.topIndices(row, count: top)
            let cohesion: Double =
                members.count < 2
                ? 1
                : {
                    var sum = 0.0
                    for a in members { for b in members where a < b { sum += correlation[a, b] } }
                    return sum / Double(members.count * (members.count - 1) / 2)
                }()
            var scratch = row
            groups.append(
                ChannelGroup(
                    channels: channelsOfGroup.sorted(), cohesion: cohesion, summary: summary,
                    dissection: DissectionLabel(
                        channel: -1, concepts: best.map { DissectionLabel.Concept(text: corpus[$0], score: row[$0]) },
                        median: Self.select(&scratch, rank: row.count / 2)),
                    heldOutR: r, nullP95: p95))
        }
        groups.sort { a, b in
            a.channels.count != b.channels.count ? a.channels.count > b.channels.count : a.explainedVariance > b.explainedVariance
        }
        return Consolidation(groups: groups, threshold: threshold, dead: dead)
    }

    /// Average-linkage agglomeration on a correlation matrix: repeatedly merges the two groups
    /// with the highest mean correlation between their members while it is at least `threshold`.
    static func averageLinkage(_ correlation: Matrix, threshold: Double) -> [[Int]] {
        var clusters = (0..<correlation.rows).map { [$0] }
        // Sums of correlations between clusters; merging adds rows and columns.
        var sums = correlation
        while clusters.count > 1 {
            var best = (a: -1, b: -1, value: -Double.infinity)
            for a in clusters.indices {
                for b in clusters.indices where b > a {
                    let value = sums[a, b] / Double(clusters[a].count * clusters[b].count)
                    if value > best.value { best = (a, b, value) }
                }
            }
            guard best.value >= threshold else { break }
            let (a, b) = (best.a, best.b)
            for c in clusters.indices where c != a && c != b {
                sums[a, c] += sums[b, c]
                sums[c, a] = sums[a, c]
            }
            clusters[a] += clusters[b]
            clusters.remove(at: b)
            // Drop row and column b.
            let keep = (0..<sums.rows).filter { $0 != b }
            sums = sums.rows(keep).columns(keep)
        }
        return clusters.map { $0.sorted() }
    }

    /// `values` with whole photos' probes swapped among photos (each keeps its place inside its
    /// photo), when the photos have equal probe counts; otherwise single probes shuffled.
    static func shufflingPhotos(_ values: [Double], photos: [Int], using rng: inout SplitMix64) -> [Double] {
        let groups = Dictionary(grouping: values.indices, by: { photos[$0] })
        let ids = groups.keys.sorted()
        guard Set(groups.values.map(\.count)).count == 1 else { return values.shuffled(using: &rng) }
        let mapping = Dictionary(uniqueKeysWithValues: zip(ids, ids.shuffled(using: &rng)))
        var out = values
        for id in ids {
            guard let from = groups[id], let target = mapping[id], let to = groups[target] else { continue }
            for (i, j) in zip(from, to) { out[i] = values[j] }
        }
        return out
    }
}
