import CPeakFLOPS
import Foundation

/// The machine's measured single-precision peak: every core running independent fused
/// multiply-adds on its widest vector unit at once.
public enum PeakThroughput {
    /// GFLOP/s summed over `threads` threads, best of three rounds of about 0.2 s.
    public static func measure(threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> Double {
        var best = 0.0
        for _ in 0..<3 {
            let group = DispatchGroup()
            let total = FlopCount()
            let start = Timing.now()
            for _ in 0..<threads {
                group.enter()
                Thread.detachNewThread {
                    var sink: Float = 0
                    total.add(loupe_fma_burn(40_000_000, &sink))
                    group.leave()
                }
            }
            group.wait()
            best = max(best, Double(total.value) / (Timing.now() - start) / 1e9)
        }
        return best
    }

    /// Whether the peak kernel used AVX2 and FMA.
    public static var usesAVX2: Bool { loupe_has_avx2_fma() != 0 }
}

private final class FlopCount: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var value: UInt64 = 0
    func add(_ n: UInt64) { lock.lock(); value += n; lock.unlock() }
}
