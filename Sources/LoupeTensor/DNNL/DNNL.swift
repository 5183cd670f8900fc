import CDNNL
import Foundation

/// The process-wide oneDNN CPU engine and stream, and the lock that serialises execution.
///
/// oneDNN parallelises each primitive over all cores with OpenMP, so running two primitives at
/// once would only oversubscribe the machine; execution is therefore serialised. Everything
/// that touches oneDNN goes through this type and through ``check(_:op:)``.
final class DNNL: @unchecked Sendable {
    static let shared: DNNL? = try? DNNL()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    let lock = NSRecursiveLock()
    private(set) var counters: [String: Int] = [:]

    private init() throws {
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), op: "dnnl_engine_create")
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), op: "dnnl_stream_create")
        guard let engine, let stream else { throw TensorError.dnnl(op: "dnnl_engine_create", status: "no engine") }
        self.engine = engine
        self.stream = stream
    }

    /// The engine, or a thrown error if oneDNN could not start.
    static func instance() throws -> DNNL {
        guard let shared else { throw TensorError.dnnl(op: "dnnl_engine_create", status: "no CPU engine") }
        return shared
    }

    func count(_ kind: String) {
        counters[kind, default: 0] += 1
    }
}

/// Throws ``TensorError/dnnl(op:status:)`` unless `status` is `dnnl_success`.
@inline(__always)
func check(_ status: dnnl_status_t, op: String) throws {
    guard status == dnnl_success else {
        throw TensorError.dnnl(op: op, status: statusName(status))
    }
}

private func statusName(_ status: dnnl_status_t) -> String {
    switch status {
    case dnnl_out_of_memory: return "out of memory"
    case dnnl_invalid_arguments: return "invalid arguments"
    case dnnl_unimplemented: return "no implementation for these shapes and attributes"
    case dnnl_iterator_ends: return "iterator ends"
    case dnnl_runtime_error: return "runtime error"
    case dnnl_not_required: return "not required"
    default: return "status \(status.rawValue)"
    }
}

/// Counts of oneDNN primitive executions by kind since the process started.
///
/// Kinds are the primitive names used in the cache, such as `"conv_fwd"`,
/// `"conv_bwd_data"` and `"conv_bwd_weights"`. Tests use this to show that an input gradient
/// never runs a weight-gradient kernel.
public enum KernelCounters {
    /// A snapshot of the counters.
    public static func snapshot() -> [String: Int] {
        guard let dnnl = DNNL.shared else { return [:] }
        dnnl.lock.lock()
        defer { dnnl.lock.unlock() }
        return dnnl.counters
    }
}
