/// The part of ftfy's `fix_text` (ftfy 6.3.1, default settings) that Loupe reproduces.
///
/// `fix_text` cuts the text after each newline and fixes each piece until a pass changes nothing;
/// a pass runs, in this order: `unescape_html` (only while no piece so far has held a `<`),
/// `fix_encoding`, `fix_c1_controls`, `fix_latin_ligatures`, `fix_character_width`,
/// `uncurl_quotes`, `fix_line_breaks`, `fix_surrogates`, `remove_terminal_escapes`,
/// `remove_control_chars` and NFC. All of them are reproduced (`fix_encoding`, the mojibake
/// repair, in ``Mojibake``) but `fix_surrogates`, which has nothing to do: a Swift string cannot
/// hold a surrogate.
extension CLIPTextCleaner {
    /// ftfy's `fix_text`.
    static func ftfyFix(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var unescape = true
        var start = 0
        while start < text.count {
            var end = text[start...].firstIndex(of: "\n").map { $0 + 1 } ?? text.count
            end = min(end, start + 1_000_000)
            let piece = Array(text[start..<end])
            // ftfy's "auto": once a piece holds '<' (markup), no later piece is unescaped either.
            if unescape, piece.contains("<") { unescape = false }
            result += fixPiece(piece, unescape: unescape)
            start = end
        }
        return result
    }

    private static func fixPiece(_ piece: [Unicode.Scalar], unescape: Bool) -> [Unicode.Scalar] {
        var text = piece
        while true {
            let original = text
            if unescape { text = ftfyUnescape(text) }
            text = Mojibake.fixEncoding(text)
            text = text.map(c1Control)
            text = text.flatMap { latinLigatures[$0.value] ?? [$0] }
            text = text.flatMap { CLIPTables.width[$0.value] ?? [$0] }
            text = text.map(uncurled)
            text = unixLineBreaks(text)
            text = withoutTerminalEscapes(text)
            text.removeAll(where: isRemovedControl)
            text = CLIPNormalization.nfc(text)
            if text == original { return text }
        }
    }

    /// `fix_c1_controls`: a C1 control (U+0080–U+009F) read as the Windows-1252 byte it is,
    /// except the five bytes Windows-1252 leaves undefined.
    static func c1Control(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        guard (0x80...0x9F).contains(scalar.value) else { return scalar }
        let windows1252: [UInt32] = [
            0x20AC, 0x81, 0x201A, 0x192, 0x201E, 0x2026, 0x2020, 0x2021, 0x2C6, 0x2030, 0x160, 0x2039, 0x152, 0x8D, 0x17D, 0x8F,
            0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x2DC, 0x2122, 0x161, 0x203A, 0x153, 0x9D, 0x17E, 0x178,
        ]
        return Unicode.Scalar(windows1252[Int(scalar.value - 0x80)]) ?? scalar
    }

    /// `fix_latin_ligatures`: ftfy's table of Latin ligatures and legacy digraphs.
    private static let latinLigatures: [UInt32: [Unicode.Scalar]] = [
        0x132: ["I", "J"], 0x133: ["i", "j"], 0x149: ["\u{2BC}", "n"], 0x1F1: ["D", "Z"], 0x1F2: ["D", "z"], 0x1F3: ["d", "z"],
        0x1C4: ["D", "\u{17D}"], 0x1C5: ["D", "\u{17E}"], 0x1C6: ["d", "\u{17E}"], 0x1C7: ["L", "J"], 0x1C8: ["L", "j"],
        0x1C9: ["l", "j"], 0x1CA: ["N", "J"], 0x1CB: ["N", "j"], 0x1CC: ["n", "j"], 0xFB00: ["f", "f"], 0xFB01: ["f", "i"],
        0xFB02: ["f", "l"], 0xFB03: ["f", "f", "i"], 0xFB04: ["f", "f", "l"], 0xFB05: ["\u{17F}", "t"], 0xFB06: ["s", "t"],
    ]

    /// `uncurl_quotes`: U+02BC and U+2018–U+201B become `'`, U+201C–U+201F become `"`.
    private static func uncurled(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        switch scalar.value {
        case 0x2BC, 0x2018...0x201B: return "'"
        case 0x201C...0x201F: return "\""
        default: return scalar
        }
    }

    /// `fix_line_breaks`: CRLF, CR, U+2028, U+2029 and U+0085 become `\n`.
    private static func unixLineBreaks(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        var index = 0
        while index < text.count {
            switch text[index] {
            case "\r" where index + 1 < text.count && text[index + 1] == "\n":
                result.append("\n")
                index += 1
            case "\r", "\u{2028}", "\u{2029}", "\u{85}":
                result.append("\n")
            default:
                result.append(text[index])
            }
            index += 1
        }
        return result
    }

    /// `remove_terminal_escapes`: `ESC [`, decimal digits (any script's, as Python's `\d`) and
    /// `;`, then an ASCII letter.
    private static func withoutTerminalEscapes(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        guard text.contains("\u{1B}") else { return text }
        var result: [Unicode.Scalar] = []
        var index = 0
        while index < text.count {
            if text[index] == "\u{1B}", index + 1 < text.count, text[index + 1] == "[" {
                var end = index + 2
                while end < text.count, text[end] == ";" || text[end].properties.numericType == .decimal { end += 1 }
                if end < text.count, text[end].isASCII, text[end].properties.isAlphabetic {
                    index = end + 1
                    continue
                }
            }
            result.append(text[index])
            index += 1
        }
        return result
    }

    /// `remove_control_chars`: C0 controls but tab, newline, form feed and carriage return;
    /// DEL; U+206A–U+206F; the byte order mark; U+FFF9–U+FFFC.
    private static func isRemovedControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x206A...0x206F, 0xFEFF, 0xFFF9...0xFFFC: return true
        default: return false
        }
    }
}
