import Foundation
import Testing

@testable import LoupeTensor

/// Packed multi-head attention against attention written out in double-precision loops.
@Suite struct AttentionTests {
    /// `softmax(q·kᵀ/√size + mask)·v` per head, for `packed` `[B, T, 3W]` and the keys that
    /// query `t` of row `b` ignores, in Double.
    static func reference(
        _ packed: [Float], batch: Int, length: Int, width: Int, heads: Int, ignores: (_ b: Int, _ t: Int, _ s: Int) -> Bool
    ) -> [Double] {
        let size = width / heads
        var out = [Double](repeating: 0, count: batch * length * width)
        func at(_ b: Int, _ t: Int, _ part: Int, _ h: Int, _ i: Int) -> Double {
            Double(packed[(b * length + t) * 3 * width + part * width + h * size + i])
        }
        for b in 0..<batch {
            for h in 0..<heads {
                for t in 0..<length {
                    let keys = (0..<length).filter { !ignores(b, t, $0) }
                    let scores = keys.map { s in
                        (0..<size).reduce(0) { $0 + at(b, t, 0, h, $1) * at(b, s, 1, h, $1) } / Double(size).squareRoot()
                    }
                    let top = scores.max() ?? 0
                    let weights = scores.map { Foundation.exp($0 - top) }
                    let total = weights.reduce(0, +)
                    for i in 0..<size {
                        out[(b * length + t) * width + h * size + i] =
                            zip(keys, weights).reduce(0) { $0 + $1.1 * at(b, $1.0, 2, h, i) } / total
                    }
                }
            }
        }
        return out
    }

    @Test(arguments: [(2, 5, 24, 4), (1, 1, 8, 1), (3, 7, 36, 12)])
    func packedAttentionEqualsTheLoops(shape: (batch: Int, length: Int, width: Int, heads: Int)) throws {
        let (batch, length, width, heads) = shape
        var rng = SplitMix64(seed: 11)
        let packed = try Tensor.randomNormal([batch, length, 3 * width], standardDeviation: 1, using: &rng)
        // The last row's final keys are padding (when there is more than one key).
        let ignored = (0..<batch).map { b in (0..<length).map { t in b == batch - 1 && length > 1 && t >= length - 2 } }
        let mask = try Tensor(
            shape: [batch, 1, 1, length], scalars: ignored.flatMap { $0.map { $0 ? -Float.greatestFiniteMagnitude : 0 } })
        let expected = Self.reference(
            try packed.scalars, batch: batch, length: length, width: width, heads: heads, ignores: { b, _, s in ignored[b][s] })

        let fused = try GradMode.withoutGrad { try packed.packedAttention(heads: heads, mask: mask) }
        #expect(fused.shape == [batch, length, width])
        let worst = zip(try fused.scalars, expected).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(worst < 1e-5, "max |fused − loops| = \(worst)")

        // With a gradient to record, the separate ops give the same values and a gradient.
        let input = packed.requiringGrad()
        let recorded = try input.packedAttention(heads: heads, mask: mask)
        let again = zip(try recorded.scalars, expected).map { abs(Double($0) - $1) }.max() ?? 1
        #expect(again < 1e-5)
        let gradient = try grad(of: (recorded * recorded).sum(), wrt: [input])[0]
        #expect(gradient.shape == packed.shape)
        #expect(try gradient.scalars.contains { $0 != 0 })
    }

    /// A causal mask `[1, 1, T, T]` (CLIP's text tower), and one `[B, 1, T, T]` that is causal
    /// and also hides one row's last key: each query sees only itself and the keys before it.
    @Test(arguments: [false, true])
    func causalMasksHideTheFuture(perRow: Bool) throws {
        let (batch, length, width, heads) = (2, 6, 16, 2)
        var rng = SplitMix64(seed: 12)
        let packed = try Tensor.randomNormal([batch, length, 3 * width], standardDeviation: 1, using: &rng)
        let hidden = { (b: Int, t: Int, s: Int) in s > t || (perRow && b == 1 && s == length - 1 && t < length - 1) }
        let rows = perRow ? batch : 1
        var scalars: [Float] = []
        for b in 0..<rows {
            for t in 0..<length { for s in 0..<length { scalars.append(hidden(b, t, s) ? -Float.greatestFiniteMagnitude : 0) } }
        }
        let mask = try Tensor(shape: [rows, 1, length, length], scalars: scalars)
        let expected = Self.reference(try packed.scalars, batch: batch, length: length, width: width, heads: heads, ignores: hidden)
        let fused = try GradMode.withoutGrad { try packed.packedAttention(heads: heads, mask: mask) }
        #expect((zip(try fused.scalars, expected).map { abs(Double($0) - $1) }.max() ?? 1) < 1e-5)
        let recorded = try packed.requiringGrad().packedAttention(heads: heads, mask: mask)
        #expect((zip(try recorded.scalars, expected).map { abs(Double($0) - $1) }.max() ?? 1) < 1e-5)
        // The first query sees only its own key, so its output is its own value.
        let values = try packed.slice(axis: 2, (2 * width)..<(3 * width)).slice(axis: 1, 0..<1).contiguous().scalars
        let first = try fused.slice(axis: 1, 0..<1).contiguous().scalars
        #expect(zip(first, values).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func shapesThatDoNotFitAreRefused() throws {
        let packed = try Tensor.zeros([2, 3, 24])
        #expect(throws: TensorError.self) { try packed.packedAttention(heads: 3, mask: nil) }  // 8 wide: 3 does not divide it
        #expect(throws: TensorError.self) { try packed.packedAttention(heads: 2, mask: try Tensor.zeros([2, 1, 1, 4])) }
        #expect(throws: TensorError.self) { try packed.packedAttention(heads: 2, mask: try Tensor.zeros([1, 1, 2, 3])) }
        #expect(throws: TensorError.self) { try packed.packedAttention(heads: 2, mask: try Tensor.zeros([3, 1, 3, 3])) }
        #expect(throws: TensorError.self) { try Tensor.zeros([2, 3, 25]).packedAttention(heads: 1, mask: nil) }
    }
}
