import Foundation

/// A list of channel or filter indices as people write them: `3,7,58`, `0-31`, or a mix
/// (`0-7, 12, 40-43`).
///
/// Ranges include both ends; order and repeats are kept as written.
public enum IndexList {
    /// The indices `text` lists.
    ///
    /// - Parameters:
    ///   - text: The list as written, as `0-7, 12, 40-43`.
    ///   - option: How errors name the option (`filters`, `--channels`).
    /// - Returns: The indices in the order written, ranges expanded, repeats kept.
    /// - Throws: ``InterpError/invalidParameter(_:)`` naming the option and the bad part.
    public static func parse(_ text: String, option: String) throws -> [Int] {
        var indices: [Int] = []
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        for part in parts {
            func bad(_ why: String) -> InterpError {
                .invalidParameter("\(option) '\(text)': \(why); write indices like 3,7,58 or ranges like 0-31")
            }
            if part.isEmpty { throw bad("empty entry") }
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            switch bounds.count {
            case 1:
                guard let index = Int(part), index >= 0 else { throw bad("'\(part)' is not a non-negative integer") }
                indices.append(index)
            case 2:
                guard let low = Int(bounds[0]), let high = Int(bounds[1]), low >= 0 else {
                    throw bad("'\(part)' is not a range of non-negative integers")
                }
                guard low <= high else { throw bad("the range '\(part)' runs backwards") }
                guard high - low < 100_000 else { throw bad("the range '\(part)' is too long") }
                indices += Array(low...high)
            default:
                throw bad("'\(part)' is not an index or a range")
            }
        }
        return indices
    }

    /// `indices` written compactly: consecutive runs of three or more as ranges (`0–31`), the
    /// rest comma-separated, for captions.
    public static func describe(_ indices: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        while i < indices.count {
            var j = i
            while j + 1 < indices.count, indices[j + 1] == indices[j] + 1 { j += 1 }
            if j - i >= 2 {
                parts.append("\(indices[i])–\(indices[j])")
            } else {
                parts += indices[i...j].map(String.init)
            }
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }
}
