@testable import LoupeTensor
import Testing

/// Buffer recycling and the NaN scan.
@Suite struct StorageTests {
    @Test func sizeClassesRoundUpByAtMostAQuarter() {
        let pool = BufferPool()
        #expect(pool.sizeClass(1000) == 1000)  // small: malloc's business
        for bytes in [256 << 10, (256 << 10) + 1, 3_000_000, 25_690_112, 100_000_007] {
            let size = pool.sizeClass(bytes)
            #expect(size >= bytes && Double(size) <= Double(bytes) * 1.25, "\(bytes) → \(size)")
            #expect(pool.sizeClass(size) == size)
        }
    }

    @Test func releasedBuffersAreReused() {
        let pool = BufferPool()
        let first = pool.take(3_000_000)
        pool.give(first, byteCount: 3_000_000)
        let second = pool.take(2_900_000)  // same size class
        #expect(first == second)
        pool.give(second, byteCount: 2_900_000)
        pool.drain()
    }

    @Test func nanScanFindsEveryPosition() throws {
        for count in [1, 15, 16, 17, 4096, 4097, 10_000] {
            for position in Set([0, count / 2, count - 1]) {
                var values = [Float](repeating: 1, count: count)
                values[position] = .nan
                let t = try Tensor(shape: [count], scalars: values)
                #expect(t.storage.buffer.containsNaN, "count \(count), NaN at \(position)")
            }
            let clean = try Tensor.ones([count])
            #expect(!clean.storage.buffer.containsNaN)
        }
    }
}
