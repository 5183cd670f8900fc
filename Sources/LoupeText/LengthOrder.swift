/// An order of items by length, longest first, and its inverse.
///
/// Batching texts of similar length wastes little on padding; sentence-transformers sorts its
/// input by length the same way before batching and puts the embeddings back in the caller's
/// order afterwards. Ties keep their original order, so the order is deterministic.
public struct LengthOrder: Sendable, Equatable {
    /// `permutation[k]` is the original position of the `k`-th longest item.
    public let permutation: [Int]

    /// The order of items with the given lengths.
    ///
    /// - Parameter lengths: one length per item, in the caller's order.
    public init(lengths: [Int]) {
        permutation = lengths.indices.sorted { lengths[$0] != lengths[$1] ? lengths[$0] > lengths[$1] : $0 < $1 }
    }

    /// `items` rearranged longest first.
    ///
    /// - Parameter items: one value per item, in the caller's order (as many as lengths).
    /// - Returns: the same values, longest item first.
    public func sorted<T>(_ items: [T]) -> [T] {
        precondition(items.count == permutation.count, "LengthOrder: \(items.count) items for \(permutation.count) lengths")
        return permutation.map { items[$0] }
    }

    /// Values in longest-first order put back in the caller's order: the inverse of ``sorted(_:)``.
    ///
    /// - Parameter sortedItems: one value per item, longest first (as many as lengths).
    /// - Returns: the same values in the caller's order.
    public func restored<T>(_ sortedItems: [T]) -> [T] {
        precondition(sortedItems.count == permutation.count, "LengthOrder: \(sortedItems.count) items for \(permutation.count) lengths")
        var positions = [Int](repeating: 0, count: permutation.count)
        for (rank, original) in permutation.enumerated() { positions[original] = rank }
        return positions.map { sortedItems[$0] }
    }
}
