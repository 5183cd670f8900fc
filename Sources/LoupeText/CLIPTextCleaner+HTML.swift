/// HTML character references, as Python's `html.unescape` and ftfy's `unescape_html` read them.
extension CLIPTextCleaner {
    /// Python's `html.unescape`: named references with or without their semicolon (the longest
    /// html5 name that prefixes the text, as HTML 5 says), decimal and hexadecimal references,
    /// with HTML 5's replacements for invalid ones.
    ///
    /// A reference is `&` then `#` and decimal digits, `#x` and hexadecimal digits, or 1 to 32
    /// scalars other than tab, newline, form feed, space, `<`, `&`, `#` and `;`; then an optional `;`.
    static func htmlUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            guard text[index] == "&", let match = reference(in: text, at: index) else {
                result.append(text[index])
                index += 1
                continue
            }
            result += match.replacement
            index = match.end
        }
        return result
    }

    /// The reference starting with the `&` at `start`: where it ends and what replaces it, or
    /// `nil` when no reference starts there.
    private static func reference(in text: [Unicode.Scalar], at start: Int) -> (end: Int, replacement: [Unicode.Scalar])? {
        var index = start + 1
        guard index < text.count else { return nil }
        if text[index] == "#" {
            index += 1
            var radix: UInt32 = 10
            if index + 1 < text.count, text[index] == "x" || text[index] == "X", text[index + 1].properties.isASCIIHexDigit {
                radix = 16
                index += 1
            }
            let digitsStart = index
            var number: UInt32 = 0
            while index < text.count, let digit = digitValue(text[index], radix: radix) {
                // Past U+10FFFF every number is replaced the same way, so the value saturates.
                number = min(number * radix + digit, 0x11_0000)
                index += 1
            }
            guard index > digitsStart else { return nil }
            if index < text.count, text[index] == ";" { index += 1 }
            return (index, numericReplacement(number))
        }
        let nameStart = index
        while index < text.count, index - nameStart < 32, !"\t\n\u{C} <&#;".unicodeScalars.contains(text[index]) {
            index += 1
        }
        guard index > nameStart else { return nil }
        if index < text.count, text[index] == ";" { index += 1 }
        let name = Array(text[nameStart..<index])
        if let value = CLIPTables.entities[CLIPTables.string(name)] { return (index, Array(value.unicodeScalars)) }
        // The longest name of at least two scalars that prefixes it, the rest kept as it is.
        for length in stride(from: name.count - 1, through: 2, by: -1) {
            if let value = CLIPTables.entities[CLIPTables.string(Array(name[..<length]))] {
                return (index, Array(value.unicodeScalars) + name[length...])
            }
        }
        return nil
    }

    private static func digitValue(_ scalar: Unicode.Scalar, radix: UInt32) -> UInt32? {
        switch scalar.value {
        case 0x30...0x39: return scalar.value - 0x30
        case 0x61...0x66 where radix == 16: return scalar.value - 0x61 + 10
        case 0x41...0x46 where radix == 16: return scalar.value - 0x41 + 10
        default: return nil
        }
    }

    /// What `html.unescape` puts for the numeric reference `number`.
    private static func numericReplacement(_ number: UInt32) -> [Unicode.Scalar] {
        if let replacement = CLIPTables.invalidReferences[number] { return Array(replacement.unicodeScalars) }
        if (0xD800...0xDFFF).contains(number) || number > 0x10_FFFF { return ["\u{FFFD}"] }
        if CLIPTables.invalidCodePoints.contains(number) { return [] }
        return Unicode.Scalar(number).map { [$0] } ?? ["\u{FFFD}"]
    }

    /// ftfy's `unescape_html`: only references that end in `;` (`&#?[0-9A-Za-z]{1,24};`): html5's
    /// names, ftfy's all-caps names (`&EACUTE;`) and numeric references that `html.unescape`
    /// reads whole; anything else is kept.
    static func ftfyUnescape(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("&") else { return text }
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            guard text[index] == "&", let end = ftfyReferenceEnd(in: text, at: index) else {
                result.append(text[index])
                index += 1
                continue
            }
            let reference = Array(text[index..<end])
            let name = CLIPTables.string(Array(reference.dropFirst()))
            if let value = CLIPTables.entities[name] ?? CLIPTables.capitalEntities[name] {
                result += value.unicodeScalars
            } else if reference[1] == "#" {
                let unescaped = htmlUnescape(reference)
                result += unescaped.contains(";") ? reference : unescaped
            } else {
                result += reference
            }
            index = end
        }
        return result
    }

    /// The end (after the `;`) of the match of `&#?[0-9A-Za-z]{1,24};` at `start`, or `nil`.
    private static func ftfyReferenceEnd(in text: [Unicode.Scalar], at start: Int) -> Int? {
        var index = start + 1
        if index < text.count, text[index] == "#" { index += 1 }
        let nameStart = index
        while index < text.count, text[index].isASCII, text[index].properties.isAlphabetic || ("0"..."9").contains(text[index]) {
            index += 1
        }
        let length = index - nameStart
        guard (1...24).contains(length), index < text.count, text[index] == ";" else { return nil }
        return index + 1
    }
}
