import CDNNL
import Foundation

/// A oneDNN primitive together with its primitive descriptor, created once per
/// (kind, shapes, attributes) and reused for every execution.
final class Primitive: @unchecked Sendable {
    let kind: String
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// oneDNN's name for the kernel it chose (`jit:avx2`, `ref:any`, …).
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "" }
        return String(cString: name)
    }

    /// Whether oneDNN fell back to its reference kernel (correct, but one scalar at a time).
    var isReference: Bool { implementation.hasPrefix("ref") }

    fileprivate init(kind: String, descriptor: dnnl_primitive_desc_t) throws {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), op: kind)
        guard let primitive else { throw TensorError.dnnl(op: kind, status: "no primitive") }
        self.kind = kind
        self.descriptor = descriptor
        self.primitive = primitive
    }

    /// The memory layout the primitive expects for an argument (`dnnl_query_src_md`, …).
    func memory(_ query: dnnl_query_t, index: Int32 = 0) throws -> MemoryDescriptor {
        guard let md = dnnl_primitive_desc_query_md(descriptor, query, index) else {
            throw TensorError.dnnl(op: kind, status: "no memory descriptor for query \(query.rawValue)")
        }
        return MemoryDescriptor(raw: md.pointee)
    }

    /// Runs the primitive on `arguments` (oneDNN argument index → storage) and waits for it.
    func execute(_ arguments: [(Int32, Storage)]) throws {
        let dnnl = try DNNL.instance()
        let counter = KernelCounter.current
        try dnnl.run { try execute(arguments, on: dnnl) }
        counter?.record(kind)
    }

    private func execute(_ arguments: [(Int32, Storage)], on dnnl: DNNL) throws {
        var memories: [dnnl_memory_t?] = []
        memories.reserveCapacity(arguments.count)
        defer { for m in memories { dnnl_memory_destroy(m) } }
        var args: [dnnl_exec_arg_t] = []
        for (index, storage) in arguments {
            var memory: dnnl_memory_t?
            var raw = storage.descriptor.raw
            try check(dnnl_memory_create(&memory, &raw, dnnl.engine, storage.buffer.pointer), op: kind)
            memories.append(memory)
            args.append(dnnl_exec_arg_t(arg: index, memory: memory))
        }
        try check(dnnl_primitive_execute(primitive, dnnl.stream, Int32(args.count), args), op: kind)
        try check(dnnl_stream_wait(dnnl.stream), op: kind)
    }

    deinit {
        dnnl_primitive_destroy(primitive)
        dnnl_primitive_desc_destroy(descriptor)
    }
}

/// The cache of primitives, keyed by kind and by the values that fix shapes, layouts and
/// attributes (geometries, memory descriptors, algorithms, constants).
enum PrimitiveCache {
    private struct Key: Hashable {
        let kind: String
        let parts: [AnyHashable]
    }

    /// Touched only on the oneDNN thread.
    nonisolated(unsafe) private static var entries: [Key: Primitive] = [:]

    /// Returns the cached primitive for `kind` and `parts`, creating its descriptor with `make`
    /// on first use.
    static func primitive(
        _ kind: String, _ parts: AnyHashable..., make: (dnnl_engine_t) throws -> dnnl_primitive_desc_t
    ) throws -> Primitive {
        let dnnl = try DNNL.instance()
        let key = Key(kind: kind, parts: parts)
        return try dnnl.run {
            if let hit = entries[key] { return hit }
            let made = try Primitive(kind: kind, descriptor: try make(dnnl.engine))
            entries[key] = made
            return made
        }
    }
}

/// Creates a primitive descriptor from an operation descriptor (`dnnl_convolution_desc_t`, …).
func makeDescriptor<OpDesc>(
    _ op: inout OpDesc, engine: dnnl_engine_t, hint: dnnl_primitive_desc_t? = nil,
    attributes: dnnl_primitive_attr_t? = nil, kind: String
) throws -> dnnl_primitive_desc_t {
    var pd: dnnl_primitive_desc_t?
    let status = withUnsafeMutablePointer(to: &op) { opPointer in
        dnnl_primitive_desc_create(&pd, UnsafeRawPointer(opPointer), attributes, engine, hint)
    }
    try check(status, op: kind)
    guard let pd else { throw TensorError.dnnl(op: kind, status: "no primitive descriptor") }
    return pd
}
