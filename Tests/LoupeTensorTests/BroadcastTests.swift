import LoupeTensor
import Testing

/// `broadcast(to:)` against an element-by-element reference: each output index reads the
/// source at the same index, with repeated axes (size 1 or missing) read at 0.
@Suite struct BroadcastTests {
    static let cases: [([Int], [Int])] = [
        ([], [2, 3]), ([1], [5]), ([3], [2, 3]), ([3, 1], [3, 4]), ([1, 4], [3, 4]),
        ([2, 1, 4], [2, 3, 4]), ([1, 3, 1], [2, 3, 4]), ([2, 3, 1, 1], [2, 3, 5, 7]),
        ([1, 3, 1, 5], [2, 3, 4, 5]), ([4, 5], [2, 3, 4, 5]), ([2, 1, 1, 5], [2, 3, 4, 5]),
        ([1, 1, 1, 1], [1, 3, 224, 224]), ([2, 3], [2, 3]),
    ]

    @Test(arguments: cases) func matchesTheIndexReference(_ source: [Int], _ target: [Int]) throws {
        let count = source.reduce(1, *)
        let values = (0..<count).map { Float($0) * 0.5 + 1 }
        let out = try Tensor(shape: source, scalars: values).broadcast(to: target)
        #expect(out.shape == target)

        let padded = [Int](repeating: 1, count: target.count - source.count) + source
        var expected: [Float] = []
        var index = [Int](repeating: 0, count: target.count)
        for _ in 0..<target.reduce(1, *) {
            var offset = 0
            for axis in 0..<target.count { offset = offset * padded[axis] + (padded[axis] == 1 ? 0 : index[axis]) }
            expected.append(values[offset])
            var axis = target.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < target[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
        let got = try out.scalars
        #expect(got.count == expected.count)
        let mismatches = zip(got, expected).filter { $0 != $1 }.count
        #expect(mismatches == 0, "\(source) → \(target): \(mismatches) of \(expected.count) values differ")
    }

    @Test func aShapeThatCannotBroadcastThrows() throws {
        #expect(throws: TensorError.self) { try Tensor.ones([3, 2]).broadcast(to: [3, 4]) }
        #expect(throws: TensorError.self) { try Tensor.ones([2, 3]).broadcast(to: [3]) }
    }
}
