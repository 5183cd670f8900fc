import CDNNL
import Foundation
import Logging
import Synchronization

/// The engine's log (`loupe.engine`): at debug level, every primitive for which oneDNN offered
/// no JIT kernel, and every layout Loupe changed to get one.
let engineLog = Logger(label: "loupe.engine")

/// The process-wide oneDNN CPU engine and stream, and the one thread that talks to them.
///
/// oneDNN parallelises each primitive over all cores with OpenMP, and both OpenMP's thread team
/// and oneDNN's scratchpads belong to the calling thread. Calls arriving from whichever Swift
/// worker thread a task happens to run on made gemm-based convolutions fail at random, so every
/// primitive is created and executed on one long-lived thread, one call at a time. Everything
/// that touches oneDNN goes through ``run(_:)`` and ``check(_:op:)``.
final class DNNL: @unchecked Sendable {
    static let shared: DNNL? = try? DNNL()

    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    private let worker: SerialThread

    private init() throws {
        worker = SerialThread(name: "loupe.onednn")
        var engine: dnnl_engine_t?
        var stream: dnnl_stream_t?
        try worker.run {
            try check(dnnl_engine_create(&engine, dnnl_cpu, 0), op: "dnnl_engine_create")
            try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), op: "dnnl_stream_create")
        }
        guard let engine, let stream else { throw TensorError.dnnl(op: "dnnl_engine_create", status: "no engine") }
        self.engine = engine
        self.stream = stream
    }

    /// The engine, or a thrown error if oneDNN could not start.
    static func instance() throws -> DNNL {
        guard let shared else { throw TensorError.dnnl(op: "dnnl_engine_create", status: "no CPU engine") }
        return shared
    }

    /// Runs `body` on the oneDNN thread (inline when already there) and returns its result.
    ///
    /// The caller's task-local state (gradient mode, kernel counter) goes with it.
    func run<R>(_ body: () throws -> R) throws -> R {
        if worker.isCurrent { return try body() }
        let gradEnabled = GradMode.isEnabled
        let counter = KernelCounter.current
        return try worker.run {
            try GradMode.$isEnabled.withValue(gradEnabled) {
                try KernelCounter.$current.withValue(counter, operation: body)
            }
        }
    }
}

/// Access to the thread that runs every oneDNN primitive.
public enum Engine {
    /// Runs `body` on the oneDNN thread, so that the operations inside it run there directly
    /// instead of each being handed over from the calling thread.
    ///
    /// Every operation is correct without this; it is a speed-up for sequences of operations,
    /// such as a network's forward pass or a backward pass. Nested calls run inline.
    public static func run<R>(_ body: () throws -> R) throws -> R {
        try DNNL.instance().run(body)
    }

    /// The instruction set oneDNN generates kernels for: the CPU's best, or less when
    /// `ONEDNN_MAX_CPU_ISA` (or `DNNL_MAX_CPU_ISA`) limits it (`avx2`, `avx512_core`, …).
    public static var cpuISA: String {
        guard let name = dnnl_cpu_isa2str(dnnl_get_effective_cpu_isa()) else { return "unknown" }
        let full = String(cString: name)
        return full.hasPrefix("cpu_isa_") ? String(full.dropFirst("cpu_isa_".count)) : full
    }

    /// Every oneDNN primitive this process has created, with the implementation oneDNN chose
    /// for it and the layouts it was created with, in order of creation.
    ///
    /// A primitive is created once per shape and reused, so this lists each distinct kernel a
    /// workload ran. `loupe bench kernels` prints it; tests use it to show that no pass runs a
    /// reference kernel on any instruction set.
    public static func kernelChoices() throws -> [KernelChoice] {
        try PrimitiveCache.kernelChoices()
    }
}

/// A thread that runs submitted closures one at a time, in order; callers block until theirs is done.
///
/// Handing work over costs two thread wake-ups. Most ops take microseconds, so both sides first
/// poll briefly (yielding the core) and only then sleep on a condition variable; the polling is
/// bounded in time so that a long convolution never competes with a spinning caller.
final class SerialThread: @unchecked Sendable {
    private enum State: Int { case idle, submitted, finished }

    private let state = Atomic<Int>(State.idle.rawValue)
    private let workerSleeping = Atomic<Bool>(false)
    private let callerSleeping = Atomic<Bool>(false)
    private let condition = NSCondition()
    private let submit = NSLock()
    private var job: (() -> Void)?
    private var thread: Thread?

    /// How long each side polls before it sleeps.
    private static let pollSeconds = 30e-6

    init(name: String) {
        let thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Waits until `state` holds `target`, polling first, then sleeping; `sleeping` tells the
    /// other side to wake us.
    private func wait(for target: State, sleeping: borrowing Atomic<Bool>) {
        let deadline = monotonicSeconds() + Self.pollSeconds
        while state.load(ordering: .sequentiallyConsistent) != target.rawValue {
            if monotonicSeconds() < deadline {
                sched_yield()
                continue
            }
            condition.lock()
            sleeping.store(true, ordering: .sequentiallyConsistent)
            while state.load(ordering: .sequentiallyConsistent) != target.rawValue { condition.wait() }
            sleeping.store(false, ordering: .sequentiallyConsistent)
            condition.unlock()
        }
    }

    private func publish(_ newState: State, waking sleeping: borrowing Atomic<Bool>) {
        state.store(newState.rawValue, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) {
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
    }

    private func loop() {
        while true {
            wait(for: .submitted, sleeping: workerSleeping)
            var current = job
            current?()
            current = nil  // the caller's closure must not outlive its call
            job = nil
            publish(.finished, waking: callerSleeping)
        }
    }

    /// Whether the calling thread is this one.
    var isCurrent: Bool { Thread.current === thread }

    func run<R>(_ body: () throws -> R) throws -> R {
        if isCurrent { return try body() }
        submit.lock()
        defer { submit.unlock() }
        var result: Result<R, Error>?
        withoutActuallyEscaping(body) { body in
            let work = { result = Result { try body() } }
            withoutActuallyEscaping(work) { work in
                job = work
                publish(.submitted, waking: workerSleeping)
                wait(for: .finished, sleeping: callerSleeping)
                state.store(State.idle.rawValue, ordering: .sequentiallyConsistent)
            }
        }
        guard let result else { throw TensorError.dnnl(op: "run", status: "the oneDNN thread returned no result") }
        return try result.get()
    }
}

private func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
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

/// Counts oneDNN primitive executions by kind while a body runs.
///
/// Kinds are the primitive names of the cache: `"conv_fwd"`, `"conv_bwd_data"`,
/// `"conv_bwd_weights"`, `"reorder"`, `"eltwise_fwd"`, …. Counting is scoped to the calling task,
/// so concurrent work elsewhere in the process does not show up. Tests use it to show that an
/// input gradient never runs a weight-gradient kernel, and that activations stay in oneDNN's
/// layout between consecutive ops.
public final class KernelCounter: @unchecked Sendable {
    @TaskLocal static var current: KernelCounter?
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    /// Runs `body` and returns its result with the kernels it executed.
    public static func counting<R>(_ body: () throws -> R) rethrows -> (result: R, kernels: [String: Int]) {
        let counter = KernelCounter()
        let result = try $current.withValue(counter, operation: body)
        return (result, counter.snapshot())
    }

    func record(_ kind: String) {
        lock.lock()
        counts[kind, default: 0] += 1
        lock.unlock()
    }

    func snapshot() -> [String: Int] {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }
}
