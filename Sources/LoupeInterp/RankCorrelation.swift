/// Spearman's rank correlation, as `scipy.stats.spearmanr`: the Pearson correlation of the
/// two arrays' ranks, ties sharing the average of the ranks they span.
public enum RankCorrelation {
    /// The 1-based ranks of `values`, ascending; tied values get the mean of their ranks
    /// (`scipy.stats.rankdata(method="average")`): `[10, 20, 20, 5]` ranks `[2, 3.5, 3.5, 1]`.
    public static func ranks(_ values: [Float]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count, values[order[end]] == values[order[start]] { end += 1 }
            // Positions start..<end (0-based) share the rank (start + 1 + end) / 2.
            let shared = Double(start + 1 + end) / 2
            for position in start..<end { ranks[order[position]] = shared }
            start = end
        }
        return ranks
    }

    /// Spearman's ρ between `a` and `b`, in −1…1; `nan` when either array is constant (its ranks
    /// have no variance, as scipy answers).
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the arrays differ in length, hold
    ///   fewer than two values, or hold NaN.
    public static func spearman(_ a: [Float], _ b: [Float]) throws -> Double {
        guard a.count == b.count else {
            throw InterpError.invalidParameter("rank correlation needs arrays of equal length, found \(a.count) and \(b.count) values")
        }
        guard a.count >= 2 else { throw InterpError.invalidParameter("rank correlation needs at least two values, found \(a.count)") }
        guard !a.contains(where: \.isNaN), !b.contains(where: \.isNaN) else {
            throw InterpError.invalidParameter("rank correlation of maps holding NaN is undefined")
        }
        return pearson(ranks(a), ranks(b))
    }

    /// Spearman's ρ between values already ranked (``ranks(_:)``) and `values`, for comparing
    /// many arrays with one reference without ranking it again; `nan` as above.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when the lengths differ or `values` holds NaN.
    public static func spearman(ranked reference: [Double], _ values: [Float]) throws -> Double {
        guard reference.count == values.count, values.count >= 2 else {
            throw InterpError.invalidParameter(
                "rank correlation needs arrays of equal length (at least two values), found \(reference.count) and \(values.count)")
        }
        guard !values.contains(where: \.isNaN) else {
            throw InterpError.invalidParameter("rank correlation of maps holding NaN is undefined")
        }
        return pearson(reference, ranks(values))
    }

    /// The Pearson correlation of two equally long arrays; `nan` when either is constant.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var xy = 0.0, xx = 0.0, yy = 0.0
        for i in x.indices {
            let dx = x[i] - meanX, dy = y[i] - meanY
            xy += dx * dy
            xx += dx * dx
            yy += dy * dy
        }
        guard xx > 0, yy > 0 else { return .nan }
        return Swift.min(1, Swift.max(-1, xy / (xx * yy).squareRoot()))
    }

    /// The ROC AUC of scores for positives against negatives: the share of (positive, negative)
    /// pairs the positive wins, ties counting a half; `nil` when either side is empty.
    public static func auc(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        var wins = 0.0
        for p in positives { for q in negatives { wins += p > q ? 1 : (p == q ? 0.5 : 0) } }
        return wins / Double(positives.count * negatives.count)
    }
}
