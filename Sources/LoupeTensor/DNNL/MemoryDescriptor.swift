import CDNNL

/// A Swift value wrapping `dnnl_memory_desc_t`: logical dimensions plus a physical layout.
///
/// A tensor's storage is always described by one of these. *Plain* means dense row-major
/// (for a 4-D tensor, NCHW); convolutions may choose a blocked layout such as `nChw8c`, which
/// the next oneDNN op consumes as it is.
struct MemoryDescriptor {
    var raw: dnnl_memory_desc_t

    init(raw: dnnl_memory_desc_t) {
        self.raw = raw
    }

    /// Dense row-major Float32 memory for `shape`.
    ///
    /// A scalar (`[]`) is stored as `[1]`.
    static func plain(_ shape: [Int]) throws -> MemoryDescriptor {
        let dims = shape.isEmpty ? [1] : shape
        var strides = [Int](repeating: 1, count: dims.count)
        for axis in stride(from: dims.count - 2, through: 0, by: -1) {
            strides[axis] = strides[axis + 1] * Swift.max(dims[axis + 1], 1)
        }
        return try strided(dims, strides: strides)
    }

    /// Float32 memory with explicit element strides (used for permuted views).
    static func strided(_ dims: [Int], strides: [Int]) throws -> MemoryDescriptor {
        guard dims.count <= Int(DNNL_MAX_NDIMS) else {
            throw TensorError.invalidArgument(
                op: "memory", message: "at most \(DNNL_MAX_NDIMS) dimensions are supported, got \(dims.count)")
        }
        var raw = dnnl_memory_desc_t()
        var d = dimsTuple(dims)
        var s = dimsTuple(strides)
        let status = withUnsafePointer(to: &d) { dp in
            withUnsafePointer(to: &s) { sp in
                dp.withMemoryRebound(to: Int64.self, capacity: Int(DNNL_MAX_NDIMS)) { dims64 in
                    sp.withMemoryRebound(to: Int64.self, capacity: Int(DNNL_MAX_NDIMS)) { strides64 in
                        dnnl_memory_desc_init_by_strides(&raw, Int32(dims.count), dims64, dnnl_f32, strides64)
                    }
                }
            }
        }
        try check(status, op: "memory")
        return MemoryDescriptor(raw: raw)
    }

    /// Memory whose layout the consuming primitive chooses (`format_tag_any`).
    static func any(_ shape: [Int]) throws -> MemoryDescriptor {
        try tagged(shape, tag: dnnl_format_tag_any)
    }

    static func tagged(_ shape: [Int], tag: dnnl_format_tag_t) throws -> MemoryDescriptor {
        var raw = dnnl_memory_desc_t()
        var d = dimsTuple(shape)
        let status = withUnsafePointer(to: &d) { dp in
            dp.withMemoryRebound(to: Int64.self, capacity: Int(DNNL_MAX_NDIMS)) {
                dnnl_memory_desc_init_by_tag(&raw, Int32(shape.count), $0, dnnl_f32, tag)
            }
        }
        try check(status, op: "memory")
        return MemoryDescriptor(raw: raw)
    }

    /// The region `dims` at `offsets` inside this memory.
    func submemory(dims: [Int], offsets: [Int]) throws -> MemoryDescriptor {
        var out = dnnl_memory_desc_t()
        var parent = raw
        var d = dimsTuple(dims)
        var o = dimsTuple(offsets)
        let status = withUnsafePointer(to: &d) { dp in
            withUnsafePointer(to: &o) { op in
                dp.withMemoryRebound(to: Int64.self, capacity: Int(DNNL_MAX_NDIMS)) { d64 in
                    op.withMemoryRebound(to: Int64.self, capacity: Int(DNNL_MAX_NDIMS)) { o64 in
                        dnnl_memory_desc_init_submemory(&out, &parent, d64, o64)
                    }
                }
            }
        }
        try check(status, op: "submemory")
        return MemoryDescriptor(raw: out)
    }

    var dims: [Int] {
        var tuple = raw.dims
        return withUnsafeBytes(of: &tuple) { buffer in
            Array(buffer.bindMemory(to: Int64.self).prefix(Int(raw.ndims)).map(Int.init))
        }
    }

    /// Bytes needed to hold memory in this layout (including any block padding).
    var byteCount: Int {
        var copy = raw
        return dnnl_memory_desc_get_size(&copy)
    }

    static func == (lhs: MemoryDescriptor, rhs: MemoryDescriptor) -> Bool {
        var l = lhs.raw, r = rhs.raw
        return dnnl_memory_desc_equal(&l, &r) != 0
    }
}

extension MemoryDescriptor: Hashable {
    /// Hashes the fields `dnnl_memory_desc_equal` compares first (rank, dimensions, element
    /// type, format, offset and, for blocked layouts, strides and inner blocks), so that equal
    /// descriptors hash alike.
    ///
    /// Used to key the primitive cache and a buffer's conversions.
    func hash(into hasher: inout Hasher) {
        let rank = Int(raw.ndims)
        hasher.combine(rank)
        hasher.combine(raw.data_type.rawValue)
        hasher.combine(raw.format_kind.rawValue)
        hasher.combine(raw.offset0)
        func combine<T>(_ tuple: T, count: Int) {
            withUnsafeBytes(of: tuple) { bytes in
                hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: bytes.prefix(count * MemoryLayout<Int64>.stride)))
            }
        }
        combine(raw.dims, count: rank)
        if raw.format_kind == dnnl_blocked {
            let blocking = raw.format_desc.blocking
            combine(blocking.strides, count: rank)
            let blocks = Int(blocking.inner_nblks)
            hasher.combine(blocks)
            combine(blocking.inner_blks, count: blocks)
            combine(blocking.inner_idxs, count: blocks)
        }
    }
}

/// Packs dimensions into oneDNN's fixed-size `dnnl_dims_t` tuple.
func dimsTuple(_ values: [Int]) -> dnnl_dims_t {
    var tuple = dnnl_dims_t(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &tuple) { buffer in
        let p = buffer.bindMemory(to: Int64.self)
        for (i, v) in values.prefix(Int(DNNL_MAX_NDIMS)).enumerated() { p[i] = Int64(v) }
    }
    return tuple
}

/// Calls `body` with one oneDNN `dnnl_dims_t` array per entry of `values` (strides, kernel
/// sizes, paddings…), valid for the duration of the call.
func withDimsArrays<R>(_ values: [[Int]], _ body: ([UnsafePointer<Int64>]) throws -> R) throws -> R {
    var tuples = values.map(dimsTuple)
    return try tuples.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else {
            throw TensorError.invalidArgument(op: "dims", message: "no dimension arrays")
        }
        let stride = MemoryLayout<dnnl_dims_t>.stride
        let arrays: [UnsafePointer<Int64>] = (0..<values.count).map {
            UnsafePointer((base + $0 * stride).assumingMemoryBound(to: Int64.self))
        }
        return try body(arrays)
    }
}

extension MemoryDescriptor: CustomStringConvertible {
    /// The dimensions and oneDNN's name for the layout, as `1×32×112×112 aBcd8b`.
    ///
    /// The name has one letter per dimension from the outermost, upper-case where the dimension
    /// is also blocked, then the inner blocks (`8b`: channels in blocks of 8); it is `any` when
    /// the primitive chooses.
    var description: String {
        let shape = dims.map(String.init).joined(separator: "×")
        return "\(shape) \(layoutTag)"
    }

    /// oneDNN's tag for this layout (`abcd` plain, `acdb` channels-last, `aBcd8b`, `any`).
    var layoutTag: String {
        guard raw.format_kind == dnnl_blocked else {
            return raw.format_kind == dnnl_format_kind_any ? "any" : "format \(raw.format_kind.rawValue)"
        }
        let rank = Int(raw.ndims)
        let blocking = raw.format_desc.blocking
        let strides = withUnsafeBytes(of: blocking.strides) { Array($0.bindMemory(to: Int64.self).prefix(rank)) }
        let blockCount = Int(blocking.inner_nblks)
        let blocks = withUnsafeBytes(of: blocking.inner_blks) { Array($0.bindMemory(to: Int64.self).prefix(blockCount)) }
        let blockAxes = withUnsafeBytes(of: blocking.inner_idxs) { Array($0.bindMemory(to: Int64.self).prefix(blockCount)) }
        let letters = Array("abcdefghijkl")
        let order = (0..<rank).sorted { strides[$0] != strides[$1] ? strides[$0] > strides[$1] : $0 < $1 }
        let outer = order.map { axis in
            blockAxes.contains(Int64(axis)) ? String(letters[axis]).uppercased() : String(letters[axis])
        }.joined()
        let inner = zip(blocks, blockAxes).map { "\($0)\(letters[Int($1)])" }.joined()
        return outer + inner
    }
}
