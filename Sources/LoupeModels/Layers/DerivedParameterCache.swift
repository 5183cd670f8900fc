import Foundation

/// Values computed from a module's parameters (a batch norm folded into the convolution before
/// it, attention projections stacked into one weight), each kept under a slot and valid while
/// the parameters' ``Parameter/generation``s are the ones it was made from.
///
/// Models are shared between threads, hence the lock; two threads that miss at once both make
/// the value, and the last one is kept.
final class DerivedParameterCache<Slot: Hashable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Slot: (generations: [Int], value: Value)] = [:]

    /// The value in `slot` if it was made from `generations`, otherwise `make()`'s, which is kept.
    func value(for generations: [Int], _ slot: Slot, make: () throws -> Value) rethrows -> Value {
        lock.lock()
        if let entry = entries[slot], entry.generations == generations {
            lock.unlock()
            return entry.value
        }
        lock.unlock()
        let value = try make()
        lock.lock()
        entries[slot] = (generations, value)
        lock.unlock()
        return value
    }
}
