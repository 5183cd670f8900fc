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

    /// Rows of equal length.
    init(_ rowValues: [[Float]]) {
        let columns = rowValues.first?.count ?? 0
        self.init(rows: rowValues.count, columns: columns, values: rowValues.flatMap { $0.map(Double.init) })
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

/// Pearson's correlation of two equally long series, 0 when either is constant (the coupling's
/// convention: a constant prediction explains nothing); ``RankCorrelation/pearson(_:_:)`` computes it.
func pearson(_ a: [Double], _ b: [Double]) -> Double {
    guard a.count == b.count, a.count > 1 else { return 0 }
    let r = RankCorrelation.pearson(a, b)
    return r.isNaN ? 0 : r
}
