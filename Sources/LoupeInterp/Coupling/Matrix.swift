import CLAPACK

/// A dense row-major matrix of doubles: the adaptor's regression runs in double precision on
/// matrices of a few thousand rows, with BLAS products and LAPACK's symmetric eigensolver.
struct Matrix: Sendable, Equatable {
    let rows: Int
    let columns: Int
    var values: [Double]

    init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "a \(rows)×\(columns) matrix needs \(rows * columns) values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    init(zeros rows: Int, _ columns: Int) {
        self.init(rows: rows, columns: columns, values: Array(repeating: 0, count: rows * columns))
    }

    /// Rows of equal length, with `mean` subtracted from each when given.
    init(_ rowValues: [[Float]], subtracting mean: [Double]? = nil) {
        let columns = rowValues.first?.count ?? 0
        precondition(rowValues.allSatisfy { $0.count == columns } && (mean?.count ?? columns) == columns, "rows of unequal length")
        let shift = mean ?? Array(repeating: 0, count: columns)
        let values = [Double](unsafeUninitializedCapacity: rowValues.count * columns) { out, initialised in
            for (index, row) in rowValues.enumerated() {
                row.withUnsafeBufferPointer { row in
                    for column in 0..<columns { out[index * columns + column] = Double(row[column]) - shift[column] }
                }
            }
            initialised = rowValues.count * columns
        }
        self.init(rows: rowValues.count, columns: columns, values: values)
    }

    subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// The rows at `indices`, in that order.
    func rows(_ indices: [Int]) -> Matrix {
        var out = [Double]()
        out.reserveCapacity(indices.count * columns)
        for row in indices { out += values[(row * columns)..<((row + 1) * columns)] }
        return Matrix(rows: indices.count, columns: columns, values: out)
    }

    /// The columns at `indices`, in that order.
    func columns(_ indices: [Int]) -> Matrix {
        var out = [Double](repeating: 0, count: rows * indices.count)
        for row in 0..<rows {
            for (k, column) in indices.enumerated() { out[row * indices.count + k] = values[row * columns + column] }
        }
        return Matrix(rows: rows, columns: indices.count, values: out)
    }

    /// Each column's mean.
    var columnMeans: [Double] {
        var sums = [Double](repeating: 0, count: columns)
        for row in 0..<rows {
            for column in 0..<columns { sums[column] += values[row * columns + column] }
        }
        return sums.map { $0 / Double(max(rows, 1)) }
    }

    /// The matrix with `vector` subtracted from every row.
    func subtractingFromRows(_ vector: [Double]) -> Matrix {
        var out = values
        for row in 0..<rows {
            for column in 0..<columns { out[row * columns + column] -= vector[column] }
        }
        return Matrix(rows: rows, columns: columns, values: out)
    }

    /// Every column multiplied by the matching entry of `scales`.
    func scalingColumns(_ scales: [Double]) -> Matrix {
        var out = values
        for row in 0..<rows {
            for column in 0..<columns { out[row * columns + column] *= scales[column] }
        }
        return Matrix(rows: rows, columns: columns, values: out)
    }

    /// `op(a) · op(b)`, where `op` transposes when asked (BLAS `dgemm`).
    static func product(_ a: Matrix, transposed transposeA: Bool = false, _ b: Matrix, transposed transposeB: Bool = false) -> Matrix {
        let m = transposeA ? a.columns : a.rows
        let k = transposeA ? a.rows : a.columns
        let n = transposeB ? b.rows : b.columns
        precondition(k == (transposeB ? b.columns : b.rows), "inner dimensions differ")
        var out = [Double](repeating: 0, count: m * n)
        if m > 0, n > 0, k > 0 {
            cblas_dgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1, a.values, Int32(a.columns), b.values, Int32(b.columns), 0, &out, Int32(n))
        }
        return Matrix(rows: m, columns: n, values: out)
    }

    /// The eigenvalues (ascending) and eigenvectors (as columns) of this symmetric matrix
    /// (LAPACK `dsyevd`; only the upper triangle is read).
    ///
    /// - Throws: ``InterpError/internalError(_:)`` when LAPACK reports a failure.
    func symmetricEigen() throws -> (values: [Double], vectors: Matrix) {
        precondition(rows == columns, "eigendecomposition needs a square matrix")
        var a = values
        var w = [Double](repeating: 0, count: rows)
        let info = LAPACKE_dsyevd(LAPACK_ROW_MAJOR, Int8(UInt8(ascii: "V")), Int8(UInt8(ascii: "U")), Int32(rows), &a, Int32(rows), &w)
        guard info == 0 else { throw InterpError.internalError("LAPACK dsyevd failed with info \(info) on a \(rows)×\(rows) matrix") }
        return (w, Matrix(rows: rows, columns: rows, values: a))
    }
}

/// A matrix whose repeated rows are stored once: the crops of a captioned photo share its
/// text vector, so products over the rows of the texts cost the number of distinct rows.
struct SharedRows: Sendable {
    /// The distinct rows, in order of first appearance.
    let values: Matrix
    /// Each original row's index into ``values``.
    let index: [Int]
    /// How many original rows each distinct row stands for.
    let counts: [Double]

    init(_ matrix: Matrix) {
        var distinctOf: [ArraySlice<Double>: Int] = [:]
        var distinct = [Double]()
        var counts = [Double]()
        index = (0..<matrix.rows).map { row in
            let values = matrix.values[(row * matrix.columns)..<((row + 1) * matrix.columns)]
            if let known = distinctOf[values] {
                counts[known] += 1
                return known
            }
            distinctOf[values] = counts.count
            distinct += values
            counts.append(1)
            return counts.count - 1
        }
        self.values = Matrix(rows: counts.count, columns: matrix.columns, values: distinct)
        self.counts = counts
    }

    /// The sum of the rows of `y` (one per original row) that share each distinct row, or with
    /// `order`, row `i` of `y` counted for the distinct row of original row `order[i]`.
    func sums(of y: Matrix, order: [Int]? = nil) -> Matrix {
        var out = [Double](repeating: 0, count: values.rows * y.columns)
        let width = y.columns
        out.withUnsafeMutableBufferPointer { out in
            y.values.withUnsafeBufferPointer { y in
                for row in 0..<index.count {
                    let target = index[order?[row] ?? row] * width, source = row * width
                    for column in 0..<width { out[target + column] += y[source + column] }
                }
            }
        }
        return Matrix(rows: values.rows, columns: width, values: out)
    }
}

/// Pearson's correlation of two equally long series, 0 when either is constant (the coupling's
/// convention: a constant prediction explains nothing); ``RankCorrelation/pearson(_:_:)`` computes it.
func pearson(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count, a.count > 1 else { return 0 }
    let r = RankCorrelation.pearson(a, b)
    return r.isNaN ? 0 : r
}
