import Foundation

/// Wall-clock timing for benchmarks: warm up, then repeat until enough time has passed, and
/// report the median.
public enum Timing {
    /// Seconds since an arbitrary origin, monotonic.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// The median duration of `body` in seconds, after `warmup` untimed calls, over at least
    /// `minimumRepetitions` calls and at least `budget` seconds.
    public static func median(
        warmup: Int = 2, minimumRepetitions: Int = 3, budget: Double = 0.3,
        _ body: () throws -> Void
    ) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var samples: [Double] = []
        let start = now()
        while samples.count < minimumRepetitions || now() - start < budget {
            let t0 = now()
            try body()
            samples.append(now() - t0)
            if samples.count >= 1000 { break }
        }
        samples.sort()
        return samples[samples.count / 2]
    }
}
