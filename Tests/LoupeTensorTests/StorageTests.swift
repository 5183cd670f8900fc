import Testing

@testable import LoupeTensor

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

    /// A 3-channel convolution output sits in oneDNN's padded 8-channel blocks; dividing it by a
    /// per-channel tensor must avoid the reference kernel and still give the right values.
    @Test func channelBroadcastOnAPaddedBlockedLayout() throws {
        var rng = SplitMix64(seed: 2)
        let x = try Tensor.randomNormal([1, 4, 20, 20], using: &rng)
        let w = try Tensor.randomNormal([3, 4, 3, 3], using: &rng)
        let y = try x.conv2d(weight: w)
        #expect(!y.isPlain, "the test needs a blocked layout")
        let std = try Tensor(shape: [1, 3, 1, 1], scalars: [0.5, 2, 4])
        let quotient = try y / std
        let (values, plain) = (try quotient.scalars, try y.scalars)
        let plane = 18 * 18
        for i in plain.indices {
            let divisor: Float = [0.5, 2, 4][i / plane]
            #expect(abs(values[i] - plain[i] / divisor) <= 1e-6 * max(1, abs(plain[i])))
        }
    }
}
