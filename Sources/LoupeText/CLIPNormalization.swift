/// Unicode's canonical composition (NFC) with Python 3.11's tables (Unicode 14.0), as ftfy's
/// `unicodedata.normalize("NFC", …)` does it.
///
/// Foundation's `precomposedStringWithCanonicalMapping` is not used: its tables are another Unicode
/// version (it reorders marks Python 3.11 does not know yet, such as Nag Mundari's) and it drops
/// scalars from long runs of combining marks (U+0340 and U+0341 in the run U+0300–U+036F).
/// The algorithm is the standard one: full canonical decomposition, canonical ordering of marks,
/// then canonical composition, with Hangul syllables composed and decomposed arithmetically.
enum CLIPNormalization {
    /// The NFC of `text`.
    static func nfc(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Below U+0300 every scalar is a starter that is already composed and composes with
        // nothing below U+0300.
        guard !text.allSatisfy({ $0.value < 0x300 }) else { return text }
        return composed(ordered(decomposed(text)))
    }

    private static let hangulBase: UInt32 = 0xAC00
    private static let leadingBase: UInt32 = 0x1100
    private static let vowelBase: UInt32 = 0x1161
    private static let trailingBase: UInt32 = 0x11A7
    private static let vowelCount: UInt32 = 21
    private static let trailingCount: UInt32 = 28
    private static let syllableCount: UInt32 = 11_172

    private static func decomposed(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for scalar in text {
            let index = scalar.value &- hangulBase
            if index < syllableCount {
                let leading = leadingBase + index / (vowelCount * trailingCount)
                let vowel = vowelBase + index % (vowelCount * trailingCount) / trailingCount
                let trailing = trailingBase + index % trailingCount
                result += [leading, vowel].compactMap(Unicode.Scalar.init)
                if trailing != trailingBase, let trailing = Unicode.Scalar(trailing) { result.append(trailing) }
            } else if let mapping = CLIPTables.decompositions[scalar.value] {
                result += mapping
            } else {
                result.append(scalar)
            }
        }
        return result
    }

    /// Each run of marks (combining class above 0) sorted by class, keeping the order of equal classes.
    private static func ordered(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result = text
        var start = 0
        while start < result.count {
            guard combiningClass(result[start]) != 0 else {
                start += 1
                continue
            }
            var end = start
            while end < result.count, combiningClass(result[end]) != 0 { end += 1 }
            if end - start > 1 {
                let run = result[start..<end].enumerated().sorted {
                    (combiningClass($0.element), $0.offset) < (combiningClass($1.element), $1.offset)
                }
                result.replaceSubrange(start..<end, with: run.map(\.element))
            }
            start = end
        }
        return result
    }

    private static func composed(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var starter: Int?
        var lastClass = 0
        for scalar in text {
            let scalarClass = combiningClass(scalar)
            if let position = starter {
                // A scalar between the starter and this one blocks it if its class is 0 or not below this one's.
                let adjacent = position == result.count - 1
                if adjacent || (lastClass != 0 && lastClass < scalarClass), let composite = compose(result[position], scalar) {
                    result[position] = composite
                    continue
                }
            }
            if scalarClass == 0 { starter = result.count }
            lastClass = scalarClass
            result.append(scalar)
        }
        return result
    }

    private static func compose(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
        let leading = first.value &- leadingBase
        let vowel = second.value &- vowelBase
        if leading < 19, vowel < vowelCount {
            return Unicode.Scalar(hangulBase + (leading * vowelCount + vowel) * trailingCount)
        }
        let syllable = first.value &- hangulBase
        let trailing = second.value &- trailingBase
        if syllable < syllableCount, syllable % trailingCount == 0, trailing > 0, trailing < trailingCount {
            return Unicode.Scalar(first.value + trailing)
        }
        return CLIPTables.compositions[UInt64(first.value) << 32 | UInt64(second.value)]
    }

    private static func combiningClass(_ scalar: Unicode.Scalar) -> Int {
        scalar.value < 0x300 ? 0 : CLIPTables.combiningClasses[scalar.value] ?? 0
    }
}
