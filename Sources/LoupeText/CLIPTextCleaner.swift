/// CLIP's text cleaning before its pre-tokenizer, as open_clip's `SimpleTokenizer` does it
/// with `clean='lower'`: `whitespace_clean(basic_clean(text)).lower()`.
///
/// 1. `basic_clean`: ftfy's `fix_text` (every fix, the mojibake repair included: see
///    `CLIPTextCleaner+FTFY.swift` and ``Mojibake``), then Python's `html.unescape` twice (`&amp;amp;` → `&`),
///    then whitespace stripped from both ends.
/// 2. `whitespace_clean`: every run of whitespace becomes one space (Python's `str.split()`:
///    the scalars of `str.isspace()`, which include U+001C–U+001F and U+0085).
/// 3. Python's `str.lower()`: full lowercase mappings (`İ` → `i̇`) and a final capital sigma
///    becomes `ς`.
///
/// The Unicode tables are Python 3.11's (Unicode 14.0), not the Swift toolchain's (``CLIPTables``),
/// NFC included (``CLIPNormalization``).
public struct CLIPTextCleaner: Sendable {
    /// A cleaner; it has no settings.
    public init() {}

    /// The cleaned text.
    public func clean(_ text: String) -> String {
        CLIPTables.string(clean(Array(text.unicodeScalars)))
    }

    /// The cleaned scalars.
    public func clean(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var scalars = Self.ftfyFix(text)
        scalars = Self.htmlUnescape(Self.htmlUnescape(scalars))
        return Self.lowercased(Self.collapsedWhitespace(scalars))
    }

    /// Python's `" ".join(text.split())`, which also strips both ends.
    static func collapsedWhitespace(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var pendingSpace = false
        for scalar in text {
            if isSpace(scalar) {
                pendingSpace = !result.isEmpty
            } else {
                if pendingSpace { result.append(" ") }
                pendingSpace = false
                result.append(scalar)
            }
        }
        return result
    }

    /// Python's `str.isspace()`.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x20, 0x09...0x0D: return true
        case 0x21...0x7E: return false
        default: return CLIPTables.spaces.contains(scalar.value)
        }
    }

    /// Python's `str.lower()`.
    static func lowercased(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for (index, scalar) in text.enumerated() {
            switch scalar.value {
            case 0x41...0x5A: result.append(Unicode.Scalar(scalar.value + 0x20) ?? scalar)
            case 0...0x7F: result.append(scalar)
            case 0x3A3: result.append(isFinalSigma(in: text, at: index) ? "\u{3C2}" : "\u{3C3}")
            default: result += CLIPTables.lowercase[scalar.value] ?? [scalar]
            }
        }
        return result
    }

    /// Python's `Final_Sigma` test for the capital sigma at `index`: a cased scalar before it and
    /// none after it, skipping case-ignorable scalars both ways.
    private static func isFinalSigma(in text: [Unicode.Scalar], at index: Int) -> Bool {
        guard let before = text[..<index].last(where: { !$0.properties.isCaseIgnorable }), before.properties.isCased else {
            return false
        }
        guard let after = text[(index + 1)...].first(where: { !$0.properties.isCaseIgnorable }) else { return true }
        return !after.properties.isCased
    }
}
