import Foundation

/// Recycles large tensor buffers, so that each forward pass does not hand its activations back
/// to the kernel and fault them in again on the next one.
///
/// Buffers of 256 KiB and more are rounded up to a size class (four per power of two, so at
/// most 19% is wasted) and kept on a free list when released, up to ``capacity`` bytes in all;
/// smaller ones go straight to `malloc`, which already reuses them.
final class BufferPool: @unchecked Sendable {
    static let shared = BufferPool()

    /// Most bytes kept on free lists at once.
    let capacity = 1 << 30
    private let threshold = 256 << 10
    private let lock = NSLock()
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var cached = 0

    /// The size class `byteCount` is served from.
    func sizeClass(_ byteCount: Int) -> Int {
        guard byteCount >= threshold else { return byteCount }
        let top = Int.bitWidth - 1 - (byteCount - 1).leadingZeroBitCount  // floor(log2(byteCount - 1))
        let quarter = 1 << (top - 2)
        return (byteCount + quarter - 1) / quarter * quarter
    }

    /// 64-byte-aligned memory of at least `byteCount` bytes.
    func take(_ byteCount: Int) -> UnsafeMutableRawPointer {
        let size = sizeClass(byteCount)
        if size >= threshold {
            lock.lock()
            if let reused = free[size]?.popLast() {
                cached -= size
                lock.unlock()
                return reused
            }
            lock.unlock()
        }
        return UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
    }

    /// Returns memory from ``take(_:)`` of the same `byteCount`.
    func give(_ pointer: UnsafeMutableRawPointer, byteCount: Int) {
        let size = sizeClass(byteCount)
        if size >= threshold {
            lock.lock()
            if cached + size <= capacity {
                free[size, default: []].append(pointer)
                cached += size
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }

    /// Releases every cached buffer.
    func drain() {
        lock.lock()
        let all = free.values.flatMap { $0 }
        free = [:]
        cached = 0
        lock.unlock()
        for p in all { p.deallocate() }
    }
}
