import Foundation
import LoupeTensor

/// How the adaptor is fitted and how its channels are tested.
public struct CouplingSettings: Sendable, Hashable {
    /// Folds of the cross-validation that picks each channel's penalty (grouped by photo).
    public var folds = 5
    /// The share of photos held out to measure each channel's correlation (at least two photos).
    public var heldOutFraction = 0.2
    /// Draws of the permutation null (photos' texts shuffled among photos).
    public var permutations = 200
    /// The ridge penalties tried, as multiples of the mean eigenvalue of the texts' covariance.
    public var penalties: [Double] = stride(from: -3.0, through: 3.0, by: 0.5).map { Foundation.pow(10, $0) }
    /// The seed of the held-out split, the folds and the permutations.
    public var seed: UInt64 = 0

    /// The defaults.
    public init() {}
}

/// One channel's fit: its penalty, how well the adaptor predicts it on held-out photos, and
/// what chance alone gives.
public struct ChannelCoupling: Sendable, Hashable, Codable {
    /// The channel.
    public let channel: Int
    /// The ridge penalty chosen by cross-validation (absolute, on the texts' scale).
    public let penalty: Double
    /// Pearson's r between predicted and true activations on the held-out photos' probes.
    public let heldOutR: Double
    /// The 95th percentile of the held-out r when texts are shuffled among photos.
    public let nullP95: Double
    /// The share of null draws at least as good as ``heldOutR`` (with the +1 correction).
    public let pValue: Double
    /// Whether the channel's activation never varies over the probes (nothing to explain).
    public let dead: Bool

    /// Coupled: the held-out r is positive and beats the permutation null's 95th percentile.
    public var coupled: Bool { !dead && heldOutR > 0 && heldOutR > nullP95 }
}

/// Ridge regression from text vectors to standardised channel activations, one penalty per
/// channel, with a held-out test and a permutation null.
///
/// The photos (groups of probes) are split once into training and held-out photos. On the
/// training photos, grouped k-fold cross-validation picks each channel's penalty from a grid
/// (one eigendecomposition of the texts' covariance per fold serves every penalty). The fit on
/// all training photos then predicts the held-out probes, and Pearson's r per channel is the
/// channel's evidence. The null shuffles which photo's texts go with which photo's probes
/// (within training and within held-out photos, keeping each probe's place inside its photo),
/// refits with the same penalties and measures r again; the texts' covariance does not change
/// under the shuffle, so each draw costs two products. The adaptor kept for use is refitted on
/// every photo with the chosen penalties.
struct RidgeCoupling {
    /// The statistics per channel.
    let channels: [ChannelCoupling]
    /// The final map, `[text dimension × channels]`, from centred text to standardised activation.
    let weights: Matrix
    /// The texts' mean, subtracted before ``weights``.
    let textMean: [Double]
    /// The activations' mean and standard deviation per channel over every probe.
    let activationMean: [Double]
    let activationStd: [Double]
    /// How many photos were held out.
    let heldOutPhotos: Int
    /// The probes of the held-out photos.
    let heldOutRows: [Int]
    /// The fit on the training photos alone (activations standardised by their statistics),
    /// for choices that must not see the held-out photos.
    let trainingWeights: Matrix
    let trainingTextMean: [Double]

    /// Fits `x` (`[probes × d]` texts) to `y` (`[probes × channels]` activations) with the
    /// probes grouped by `photos`.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` when there are too few photos for the
    ///   folds and the held-out set, or the sizes disagree.
    init(x: Matrix, y: Matrix, photos: [Int], settings: CouplingSettings) throws {
        guard x.rows == y.rows, photos.count == x.rows else {
            throw InterpError.internalError("coupling: \(x.rows) texts, \(y.rows) activation rows and \(photos.count) photo indices")
        }
        guard settings.folds >= 2, settings.permutations >= 20, !settings.penalties.isEmpty,
            (0.05...0.5).contains(settings.heldOutFraction)
        else {
            throw InterpError.invalidParameter(
                "coupling needs at least 2 folds, 20 permutations, one penalty and a held-out share of 0.05…0.5")
        }
        let groups = Dictionary(grouping: photos.indices, by: { photos[$0] })
        let photoIDs = groups.keys.sorted()
        let heldOutCount = max(2, Int((Double(photoIDs.count) * settings.heldOutFraction).rounded()))
        guard photoIDs.count >= heldOutCount + settings.folds * 2 else {
            throw InterpError.invalidParameter(
                "coupling needs at least \(heldOutCount + settings.folds * 2) photos (\(settings.folds) folds of 2 and \(heldOutCount) held out), got \(photoIDs.count)"
            )
        }
        var rng = SplitMix64(seed: settings.seed)
        let shuffled = photoIDs.shuffled(using: &rng)
        let heldOutPhotos = Array(shuffled.prefix(heldOutCount)).sorted()
        let trainingPhotos = Array(shuffled.dropFirst(heldOutCount)).sorted()
        let rowsOf = { (ids: [Int]) in ids.flatMap { groups[$0] ?? [] } }
        let trainRows = rowsOf(trainingPhotos), testRows = rowsOf(heldOutPhotos)

        // Standardise with the training probes' statistics.
        let yTrainRaw = y.rows(trainRows)
        let (mean, std, dead) = Self.standardisation(yTrainRaw)
        let z = { (m: Matrix) in m.subtractingFromRows(mean).scalingColumns(std.map { 1 / $0 }) }
        let yTrain = z(yTrainRaw), yTest = z(y.rows(testRows))
        let xTrain = x.rows(trainRows), xTest = x.rows(testRows)

        // Grouped k-fold on the training photos picks each channel's penalty.
        let foldOf = Dictionary(uniqueKeysWithValues: trainingPhotos.shuffled(using: &rng).enumerated().map { ($1, $0 % settings.folds) })
        var errors = Matrix(zeros: settings.penalties.count, y.columns)
        for fold in 0..<settings.folds {
            let inside = trainRows.indices.filter { foldOf[photos[trainRows[$0]]] != fold }
            let outside = trainRows.indices.filter { foldOf[photos[trainRows[$0]]] == fold }
            let path = try Path(x: SharedRows(xTrain.rows(inside)), y: yTrain.rows(inside), penalties: settings.penalties)
            let truth = yTrain.rows(outside)
            let texts = SharedRows(xTrain.rows(outside))
            let projected = path.project(texts.values)
            for (k, _) in settings.penalties.enumerated() {
                let predicted = path.predict(projected: projected, choice: Array(repeating: k, count: y.columns))
                for row in 0..<truth.rows {
                    let shared = texts.index[row]
                    for column in 0..<truth.columns {
                        let e = predicted[shared, column] - truth[row, column]
                        errors[k, column] += e * e
                    }
                }
            }
        }
        let choice = (0..<y.columns).map { column in
            // The largest penalty among the best (ties favour the simpler map).
            var best = 0
            for k in settings.penalties.indices where errors[k, column] <= errors[best, column] { best = k }
            return best
        }

        // Held-out r, and the same after shuffling photos' texts.
        let trainTexts = SharedRows(xTrain), testTexts = SharedRows(xTest)
        let path = try Path(x: trainTexts, y: yTrain, penalties: settings.penalties)
        // Shuffling rows of X commutes with projecting on the eigenvectors: project once.
        let trainProjected = path.project(trainTexts.values), testProjected = path.project(testTexts.values)
        let heldOutR = Self.correlations(path.predict(projected: testProjected, choice: choice).rows(testTexts.index), yTest)
        let trainPermutable = Self.equalSizes(trainingPhotos.map { groups[$0]?.count ?? 0 })
        let testPermutable = Self.equalSizes(heldOutPhotos.map { groups[$0]?.count ?? 0 })
        var null = [[Double]](repeating: [], count: y.columns)
        let centredTrain = yTrain.subtractingFromRows(path.yMean)
        let trainIndex = Dictionary(uniqueKeysWithValues: trainRows.enumerated().map { ($1, $0) })
        let testIndex = Dictionary(uniqueKeysWithValues: testRows.enumerated().map { ($1, $0) })
        for _ in 0..<settings.permutations {
            let trainOrder = Self.permutation(of: trainingPhotos, groups: groups, byPhoto: trainPermutable, using: &rng)
            let testOrder = Self.permutation(of: heldOutPhotos, groups: groups, byPhoto: testPermutable, using: &rng)
            // Vᵀ X_πᵀ Y: each distinct text row meets the activations of the rows it moved to.
            let moved = trainTexts.sums(of: centredTrain, order: trainOrder.compactMap { trainIndex[$0] })
            let shuffled = Matrix.product(trainProjected, transposed: true, moved)
            let predicted = path.predict(projected: testProjected, choice: choice, using: shuffled)
                .rows(testOrder.compactMap { testIndex[$0] }.map { testTexts.index[$0] })
            let r = Self.correlations(predicted, yTest)
            for column in 0..<y.columns { null[column].append(r[column]) }
        }
        var channels: [ChannelCoupling] = []
        for column in 0..<y.columns {
            let draws = null[column].sorted()
            let p95 = draws[min(draws.count - 1, Int((0.95 * Double(draws.count)).rounded(.up)) - 1)]
            let beaten = draws.filter { $0 >= heldOutR[column] }.count
            channels.append(
                ChannelCoupling(
                    channel: column, penalty: settings.penalties[choice[column]] * path.meanEigenvalue, heldOutR: heldOutR[column],
                    nullP95: p95, pValue: Double(beaten + 1) / Double(draws.count + 1), dead: dead[column]))
        }

        // The adaptor for use: every photo, the chosen penalties.
        let (allMean, allStd, _) = Self.standardisation(y)
        let final = try Path(
            x: SharedRows(x), y: y.subtractingFromRows(allMean).scalingColumns(allStd.map { 1 / $0 }), penalties: settings.penalties)
        self.channels = channels
        weights = final.weights(choice: choice)
        textMean = final.xMean
        activationMean = allMean
        activationStd = allStd
        self.heldOutPhotos = heldOutPhotos.count
        heldOutRows = testRows
        trainingWeights = path.weights(choice: choice)
        trainingTextMean = path.xMean
    }

    /// Means and standard deviations per column; a constant column gets 1 and is flagged dead.
    static func standardisation(_ y: Matrix) -> (mean: [Double], std: [Double], dead: [Bool]) {
        let mean = y.columnMeans
        var variance = [Double](repeating: 0, count: y.columns)
        for row in 0..<y.rows {
            for column in 0..<y.columns {
                let d = y[row, column] - mean[column]
                variance[column] += d * d
            }
        }
        let std = variance.map { ($0 / Double(max(y.rows - 1, 1))).squareRoot() }
        let dead = zip(std, mean).map { s, m in !(s > 1e-6 * max(1, abs(m))) }
        return (mean, zip(std, dead).map { $1 ? 1 : $0 }, dead)
    }

    /// Pearson's r of every column pair (0 where either column is constant).
    static func correlations(_ a: Matrix, _ b: Matrix) -> [Double] {
        let (n, m) = (a.rows, a.columns)
        guard n > 1 else { return Array(repeating: 0, count: m) }
        let meanA = a.columnMeans, meanB = b.columnMeans
        var sab = [Double](repeating: 0, count: m), saa = sab, sbb = sab
        a.values.withUnsafeBufferPointer { av in
            b.values.withUnsafeBufferPointer { bv in
                for row in 0..<n {
                    let base = row * m
                    for column in 0..<m {
                        let x = av[base + column] - meanA[column], y = bv[base + column] - meanB[column]
                        sab[column] += x * y
                        saa[column] += x * x
                        sbb[column] += y * y
                    }
                }
            }
        }
        return (0..<m).map { saa[$0] > 0 && sbb[$0] > 0 ? sab[$0] / (saa[$0] * sbb[$0]).squareRoot() : 0 }
    }

    static func equalSizes(_ sizes: [Int]) -> Bool { Set(sizes).count <= 1 }

    /// The rows of `photos` in a shuffled order: whole photos swapped (each probe keeps its
    /// place inside its photo) when every photo has as many probes, otherwise single probes.
    static func permutation(of photos: [Int], groups: [Int: [Int]], byPhoto: Bool, using rng: inout SplitMix64) -> [Int] {
        let rows = photos.flatMap { groups[$0] ?? [] }
        guard byPhoto else { return rows.shuffled(using: &rng) }
        return photos.shuffled(using: &rng).flatMap { groups[$0] ?? [] }
    }

    /// One training set's ridge solutions for every penalty: `W(λ) = V diag(1/(Λ+λ)) Vᵀ Xᵀ Y`
    /// with `XᵀX = V Λ Vᵀ` on centred data.
    struct Path {
        let xMean: [Double]
        let yMean: [Double]
        let eigenvalues: [Double]
        let eigenvectors: Matrix
        /// `Vᵀ Xᵀ Y`.
        let projected: Matrix
        let penalties: [Double]
        let meanEigenvalue: Double

        /// The fit of `y` on the texts `x`.
        init(x: Matrix, y: Matrix, penalties: [Double]) throws {
            try self.init(x: SharedRows(x), y: y, penalties: penalties)
        }

        /// The fit of `y` on the shared texts `x`, one row of `y` per original row of `x`.
        ///
        /// With the distinct rows `u` centred, their counts `c` and the rows of centred `y` summed per
        /// distinct row `s`: `XᵀX = uᵀ diag(c) u` and `XᵀY = uᵀ s`.
        init(x: SharedRows, y: Matrix, penalties: [Double]) throws {
            let n = Double(max(y.rows, 1))
            var mean = [Double](repeating: 0, count: x.values.columns)
            for (row, count) in x.counts.enumerated() {
                for column in 0..<mean.count { mean[column] += count * x.values[row, column] }
            }
            xMean = mean.map { $0 / n }
            yMean = y.columnMeans
            let xc = x.values.subtractingFromRows(xMean)
            let dimension = xc.columns
            if xc.rows < dimension {
                // Fewer distinct texts than dimensions: with B = diag(√c) u, the nonzero eigenpairs
                // of BᵀB come from the small B Bᵀ = Q Λ Qᵀ as V = Bᵀ Q Λ^(-1/2). The others meet
                // only the zero part of XᵀY and of any centred text of the fit, so they are left out.
                let b = xc.scalingRows(x.counts.map { $0.squareRoot() })
                let (values, q) = try Matrix.product(b, transposed: false, b, transposed: true).symmetricEigen()
                let largest = values.max() ?? 0
                let kept = values.indices.filter { values[$0] > 1e-12 * largest }
                eigenvalues = kept.map { values[$0] }
                eigenvectors = Matrix.product(b, transposed: true, q.columns(kept)).scalingColumns(eigenvalues.map { 1 / $0.squareRoot() })
            } else {
                let (values, vectors) = try Matrix.product(xc, transposed: true, xc.scalingRows(x.counts)).symmetricEigen()
                eigenvalues = values.map { max($0, 0) }
                eigenvectors = vectors
            }
            // The mean over every dimension, zero eigenvalues included: the penalties' scale.
            meanEigenvalue = max(eigenvalues.reduce(0, +) / Double(max(dimension, 1)), 1e-12)
            projected = Matrix.product(Matrix.product(xc, eigenvectors), transposed: true, x.sums(of: y.subtractingFromRows(yMean)))
            self.penalties = penalties
        }

        func shrinkage(_ k: Int) -> [Double] {
            let lambda = penalties[k] * meanEigenvalue
            return eigenvalues.map { 1 / ($0 + lambda) }
        }

        /// Predictions of every column with penalty `k`.
        func predict(_ x: Matrix, penalty k: Int) -> Matrix {
            let a = Matrix.product(x.subtractingFromRows(xMean), eigenvectors).scalingColumns(shrinkage(k))
            return Matrix.product(a, projected).subtractingFromRows(yMean.map { -$0 })
        }

        /// `x`, centred, in the eigenvector basis: what predictions start from.
        func project(_ x: Matrix) -> Matrix {
            Matrix.product(x.subtractingFromRows(xMean), eigenvectors)
        }

        /// Predictions from projected texts, each column with its own penalty, from this fit's
        /// `Vᵀ Xᵀ Y` or another (`using`: the same texts shuffled against the activations).
        func predict(projected a: Matrix, choice: [Int], using other: Matrix? = nil) -> Matrix {
            let source = other ?? projected
            var out = Matrix(zeros: a.rows, choice.count)
            for (k, columns) in Dictionary(grouping: choice.indices, by: { choice[$0] }) {
                let part = Matrix.product(a.scalingColumns(shrinkage(k)), columns.count == choice.count ? source : source.columns(columns))
                for row in 0..<a.rows {
                    for (i, column) in columns.enumerated() { out[row, column] = part[row, i] + yMean[column] }
                }
            }
            return out
        }

        /// `[d × channels]`: each column with its own penalty.
        func weights(choice: [Int]) -> Matrix {
            var out = Matrix(zeros: eigenvectors.rows, choice.count)
            for (k, columns) in Dictionary(grouping: choice.indices, by: { choice[$0] }) {
                let scaled = projected.columns(columns).scalingRows(shrinkage(k))
                let part = Matrix.product(eigenvectors, scaled)
                for row in 0..<out.rows {
                    for (i, column) in columns.enumerated() { out[row, column] = part[row, i] }
                }
            }
            return out
        }
    }
}

extension Matrix {
    /// Every row multiplied by the matching entry of `scales`.
    fileprivate func scalingRows(_ scales: [Double]) -> Matrix {
        var out = values
        for row in 0..<rows {
            for column in 0..<columns { out[row * columns + column] *= scales[row] }
        }
        return Matrix(rows: rows, columns: columns, values: out)
    }
}
