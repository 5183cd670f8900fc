import CDNNL
import Foundation

/// Memory owned by one or more tensors: 64-byte aligned, never written after it is filled.
final class Buffer: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let byteCount: Int
    /// Converted copies, by the layout they were read through and the layout made.
    private var conversions: [[MemoryDescriptor]: Storage] = [:]
    private let lock = NSLock()

    init(byteCount: Int) {
        self.byteCount = Swift.max(byteCount, 4)
        pointer = BufferPool.shared.take(self.byteCount)
    }

    var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }

    private var knownClean = false

    /// Whether any element is NaN.
    ///
    /// Buffers are never written after they are filled, so a clean answer is kept.
    var containsNaN: Bool {
        lock.lock()
        let clean = knownClean
        lock.unlock()
        if clean { return false }
        let found = Buffer.scanForNaN(floats, count: byteCount / MemoryLayout<Float>.stride)
        if !found {
            lock.lock()
            knownClean = true
            lock.unlock()
        }
        return found
    }

    /// A vectorised scan: sixteen lanes at a time, with an early exit every 4096 elements.
    private static func scanForNaN(_ p: UnsafePointer<Float>, count: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        let lanes = 16, chunk = 4096
        var i = 0
        while i + lanes <= count {
            let end = Swift.min(count - (count - i) % lanes, i + chunk)
            var unordered = SIMDMask<SIMD16<Int32>>(repeating: false)
            while i < end {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                unordered .|= v .!= v
                i += lanes
            }
            if any(unordered) { return true }
        }
        while i < count {
            if p[i].isNaN { return true }
            i += 1
        }
        return false
    }

    /// A converted copy, made once per source view and target layout (for weights read by many
    /// executions): the same bytes seen through another view (a transposed one) are another copy.
    func cachedConversion(from source: MemoryDescriptor, to target: MemoryDescriptor, make: () throws -> Storage) rethrows -> Storage {
        lock.lock()
        defer { lock.unlock() }
        let key = [source, target]
        if let hit = conversions[key] { return hit }
        let made = try make()
        conversions[key] = made
        return made
    }

    deinit { BufferPool.shared.give(pointer, byteCount: byteCount) }
}

/// A buffer seen through a memory descriptor: the physical side of a ``Tensor``.
struct Storage: @unchecked Sendable {
    let descriptor: MemoryDescriptor
    let buffer: Buffer
    /// Where the memory starts in ``buffer``, in bytes: non-zero only for views handed to one
    /// primitive (the key and value columns of packed attention projections), never for a tensor's.
    let byteOffset: Int

    /// New zero-filled memory in the given layout.
    init(zeroed descriptor: MemoryDescriptor) {
        self.descriptor = descriptor
        byteOffset = 0
        let bytes = descriptor.byteCount
        buffer = Buffer(byteCount: bytes)
        memset(buffer.pointer, 0, bytes)
    }

    /// New uninitialised memory in the given layout (the caller fills every byte).
    init(uninitialized descriptor: MemoryDescriptor) {
        self.descriptor = descriptor
        byteOffset = 0
        buffer = Buffer(byteCount: descriptor.byteCount)
    }

    init(descriptor: MemoryDescriptor, buffer: Buffer, byteOffset: Int = 0) {
        self.descriptor = descriptor
        self.buffer = buffer
        self.byteOffset = byteOffset
    }

    /// This memory reordered into `target` layout; `self` when it already has that layout.
    func converted(to target: MemoryDescriptor, cache: Bool = false) throws -> Storage {
        if descriptor == target { return self }
        if cache {
            return try buffer.cachedConversion(from: descriptor, to: target) { try reorder(to: target) }
        }
        return try reorder(to: target)
    }

    private func reorder(to target: MemoryDescriptor) throws -> Storage {
        let out = Storage(uninitialized: target)
        try reorder(into: out)
        return out
    }

    /// Copies this memory into `destination` (which may be a region of a larger buffer that the
    /// caller owns and has not yet handed to any tensor), converting the layout on the way.
    func reorder(into destination: Storage) throws {
        let primitive = try PrimitiveCache.primitive("reorder", descriptor, destination.descriptor) { engine in
            var pd: dnnl_primitive_desc_t?
            var src = descriptor.raw, dst = destination.descriptor.raw
            try check(dnnl_reorder_primitive_desc_create(&pd, &src, engine, &dst, engine, nil), op: "reorder")
            guard let pd else { throw TensorError.dnnl(op: "reorder", status: "no primitive descriptor") }
            return pd
        }
        try primitive.execute([(DNNL_ARG_FROM, self), (DNNL_ARG_TO, destination)])
    }
}
