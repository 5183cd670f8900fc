import CDNNL
import Foundation

/// A oneDNN primitive together with its primitive descriptor, created once per
/// (kind, shapes, attributes) and reused for every execution.
final class Primitive: @unchecked Sendable {
    let kind: String
    let descriptor: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t
    /// oneDNN's name for the kernel it chose (`jit:avx2`, `brgconv:avx512_core`, `ref:any`, …).
    let implementation: String

    /// How fast a kind of kernel oneDNN chose is, by its name.
    var kernelClass: KernelClass { KernelClass(implementation: implementation, kind: kind) }

    /// Whether oneDNN fell back to its reference kernel (correct, but one scalar at a time).
    var isReference: Bool { kernelClass == .reference }

    fileprivate init(kind: String, descriptor: dnnl_primitive_desc_t) throws {
        var primitive: dnnl_primitive_t?
        try check(dnnl_primitive_create(&primitive, descriptor), op: kind)
        guard let primitive else { throw TensorError.dnnl(op: kind, status: "no primitive") }
        self.kind = kind
        self.descriptor = descriptor
        self.primitive = primitive
        implementation = implementationName(descriptor)
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
            try check(dnnl_memory_create(&memory, &raw, dnnl.engine, storage.buffer.pointer + storage.byteOffset), op: kind)
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

/// The implementation name oneDNN reports for a primitive descriptor (`dnnl_query_impl_info_str`).
private func implementationName(_ descriptor: dnnl_primitive_desc_t) -> String {
    var name: UnsafePointer<CChar>?
    guard dnnl_primitive_desc_query(descriptor, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "" }
    return String(cString: name)
}

/// The memory arguments a primitive descriptor names, as `src 1×3×224×224 abcd, …`, for logs and
/// the kernel audit.
private func signature(_ descriptor: dnnl_primitive_desc_t) -> String {
    let queries: [(String, dnnl_query_t)] = [
        ("src", dnnl_query_src_md), ("weights", dnnl_query_weights_md), ("dst", dnnl_query_dst_md),
        ("diff_src", dnnl_query_diff_src_md), ("diff_dst", dnnl_query_diff_dst_md),
    ]
    return queries.compactMap { label, query -> String? in
        guard let md = dnnl_primitive_desc_query_md(descriptor, query, 0), md.pointee.ndims > 0 else { return nil }
        return "\(label) \(MemoryDescriptor(raw: md.pointee))"
    }.joined(separator: ", ")
}

/// What kind of kernel oneDNN chose, judged by its implementation name; ordered from slowest.
public enum KernelClass: Int, Comparable, Sendable, Codable, CustomStringConvertible {
    /// oneDNN's reference implementation (`ref:any`): plain loops, one scalar at a time, tens
    /// to hundreds of times slower than a JIT kernel.
    case reference
    /// A generic implementation: a convolution lowered to im2col and a JIT sgemm
    /// (`gemm:jit`), or a templated loop (`simple:any`, `simple_nchw:any`). Correct and
    /// vectorised by the compiler, but not specialised for the shape and the CPU.
    case generic
    /// A kernel generated for this CPU's instruction set (`jit:avx2`, `jit_1x1:avx512_core`,
    /// `brgconv:avx512_core`, `jit:uni`, …), or a matrix multiplication on one (`gemm:jit`
    /// for `matmul`, which is oneDNN's best there before AVX-512).
    case jit

    /// The class of the implementation oneDNN names `name` for a primitive of Loupe's `kind`
    /// (`conv_bwd_data`, `matmul`, …).
    init(implementation name: String, kind: String) {
        if name.hasPrefix("ref") || name.contains(":ref") || name.isEmpty {
            self = .reference
        } else if name.hasPrefix("simple") || kind.hasPrefix("conv") && name.contains("gemm:") {
            self = .generic
        } else {
            self = .jit
        }
    }

    /// Orders classes from slowest: `.reference < .generic < .jit`.
    public static func < (lhs: KernelClass, rhs: KernelClass) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The class's name as the kernel audit prints it: `reference`, `generic` or `jit`.
    public var description: String {
        switch self {
        case .reference: return "reference"
        case .generic: return "generic"
        case .jit: return "jit"
        }
    }
}

/// How a primitive's data operands may be laid out.
///
/// ``PrimitiveCache`` creates a primitive with each choice it is offered, in order, until oneDNN
/// gives it a JIT kernel.
enum LayoutChoice: Int, Hashable, CustomStringConvertible {
    /// The layouts the operands arrive in (or the forward pass chose): nothing is reordered.
    case given
    /// `format_tag_any` wherever the primitive allows it: oneDNN's own choice for this CPU,
    /// at the price of reordering the operands into it.
    case chosen
    /// Dense row-major (`abcd`, NCHW): every CPU has JIT or gemm kernels for it.
    case plain

    /// Every choice, in order of preference.
    static let all: [LayoutChoice] = [.given, .chosen, .plain]
    /// The layouts given, or else plain ones (for primitives that take no `format_tag_any`).
    static let givenOrPlain: [LayoutChoice] = [.given, .plain]

    /// The descriptor to ask for in place of `given` for an operand that accepts
    /// `format_tag_any` (`anyAllowed`) or not.
    func descriptor(for given: MemoryDescriptor, anyAllowed: Bool = true) throws -> MemoryDescriptor {
        switch self {
        case .given: return given
        case .chosen: return anyAllowed ? try .any(given.dims) : given
        case .plain: return try .plain(given.dims)
        }
    }

    var description: String {
        switch self {
        case .given: return "given layouts"
        case .chosen: return "oneDNN's layouts"
        case .plain: return "plain layouts"
        }
    }
}

/// One primitive Loupe created: what oneDNN chose for it, for the kernel audit.
public struct KernelChoice: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The primitive's kind in Loupe's cache (`conv_fwd`, `conv_bwd_data`, `eltwise_bwd`, …).
    public let kind: String
    /// oneDNN's implementation name.
    public let implementation: String
    /// The memory arguments, as `src 1×3×224×224 abcd, dst …`.
    public let signature: String
    /// `given`, `chosen` or `plain`: the layouts the primitive was created with.
    public let layouts: String
    /// The other layouts tried, with the implementation oneDNN offered for each, as
    /// `ref:any with given layouts`.
    public let alternatives: [String]

    /// What kind of kernel ``implementation`` is, judged by its name and ``kind``.
    public var kernelClass: KernelClass { KernelClass(implementation: implementation, kind: kind) }

    /// One line for the audit: kind, implementation in brackets, signature, and the alternatives tried.
    public var description: String {
        "\(kind) [\(implementation)] \(signature)" + (alternatives.isEmpty ? "" : " (also tried: \(alternatives.joined(separator: "; ")))")
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
    nonisolated(unsafe) private static var choices: [KernelChoice] = []

    /// Returns the cached primitive for `kind` and `parts`, creating its descriptor with `make`
    /// on first use.
    ///
    /// oneDNN picks the first implementation that accepts the layouts it is asked for, and for
    /// some layouts on some CPUs that is its reference kernel (on AVX2, the backward-data of a
    /// stride-2 convolution from a plain 3-channel image into 8-channel blocks ran 75× slower
    /// than its forward). So when the descriptor made for the first of `layouts` is not a JIT
    /// kernel, the others are tried in order, and the best class of kernel wins (the earliest
    /// among equals, which reorders least). Callers convert their operands to the layouts the
    /// primitive reports (`memory(_:)`), so any choice is correct. A primitive that still has
    /// only a generic or reference kernel is logged at debug level by name, and every choice is
    /// kept for ``Engine/kernelChoices``.
    static func primitive(
        _ kind: String, _ parts: AnyHashable..., layouts: [LayoutChoice] = [.given],
        make: (dnnl_engine_t, LayoutChoice) throws -> dnnl_primitive_desc_t
    ) throws -> Primitive {
        let dnnl = try DNNL.instance()
        let key = Key(kind: kind, parts: parts)
        return try dnnl.run {
            if let hit = entries[key] { return hit }
            let made = try create(kind, layouts: layouts, engine: dnnl.engine, make: make)
            entries[key] = made
            return made
        }
    }

    /// The same, for primitives whose layouts are fixed by their operands.
    static func primitive(_ kind: String, _ parts: AnyHashable..., make: (dnnl_engine_t) throws -> dnnl_primitive_desc_t) throws
        -> Primitive
    {
        let dnnl = try DNNL.instance()
        let key = Key(kind: kind, parts: parts)
        return try dnnl.run {
            if let hit = entries[key] { return hit }
            let made = try create(kind, layouts: [.given], engine: dnnl.engine) { engine, _ in try make(engine) }
            entries[key] = made
            return made
        }
    }

    private static func create(
        _ kind: String, layouts: [LayoutChoice], engine: dnnl_engine_t, make: (dnnl_engine_t, LayoutChoice) throws -> dnnl_primitive_desc_t
    ) throws -> Primitive {
        var best: (descriptor: dnnl_primitive_desc_t, kernel: KernelClass, layouts: LayoutChoice)?
        var alternatives: [String] = []
        var firstError: Error?
        for choice in layouts {
            let descriptor: dnnl_primitive_desc_t
            do {
                descriptor = try make(engine, choice)
            } catch {
                firstError = firstError ?? error
                continue
            }
            let kernel = KernelClass(implementation: implementationName(descriptor), kind: kind)
            if let current = best, current.kernel >= kernel {
                alternatives.append("\(implementationName(descriptor)) with \(choice)")
                dnnl_primitive_desc_destroy(descriptor)
            } else {
                if let current = best {
                    alternatives.append("\(implementationName(current.descriptor)) with \(current.layouts)")
                    dnnl_primitive_desc_destroy(current.descriptor)
                }
                best = (descriptor, kernel, choice)
            }
            if kernel == .jit { break }
        }
        guard let best else {
            throw firstError ?? TensorError.dnnl(op: kind, status: "no layout to try")
        }
        let primitive: Primitive
        do {
            primitive = try Primitive(kind: kind, descriptor: best.descriptor)
        } catch {
            dnnl_primitive_desc_destroy(best.descriptor)
            throw error
        }
        let choice = KernelChoice(
            kind: kind, implementation: primitive.implementation, signature: signature(best.descriptor),
            layouts: best.layouts.description, alternatives: alternatives)
        choices.append(choice)
        if best.kernel != .jit {
            engineLog.debug(
                "\(choice.kind): oneDNN has no JIT kernel on \(Engine.cpuISA) for \(choice.signature) in any layout tried; using \(choice.implementation)"
            )
        } else if !alternatives.isEmpty {
            engineLog.debug(
                "\(choice.kind): \(choice.implementation) with \(best.layouts) for \(choice.signature) (also tried: \(alternatives.joined(separator: "; ")))"
            )
        }
        return primitive
    }

    /// Every primitive created so far, in order of creation.
    static func kernelChoices() throws -> [KernelChoice] {
        try DNNL.instance().run { choices }
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
