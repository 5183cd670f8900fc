import Foundation
import Testing

@testable import LoupeText

/// ftfy's mojibake heuristic and repair against ftfy itself, on `ftfy_mojibake.json`: seeded
/// mojibake of hand-written phrases in ftfy's ten encodings (with no-break spaces lost, bytes lost
/// to U+FFFD, mojibake twice over or inside good text, CESU-8, Java's C0 80, C1 controls) and
/// seeded short strings over every scalar the heuristic looks at.
@Suite struct MojibakeTests {
    /// One row: the text, ftfy's `is_bad` and ftfy's `fix_encoding`.
    struct Row: Decodable {
        let text: String
        let isBad: Bool
        let fixed: String

        init(from decoder: Decoder) throws {
            var container = try decoder.unkeyedContainer()
            text = try container.decode(String.self)
            isBad = try container.decode(Bool.self)
            fixed = try container.decode(String.self)
        }
    }

    struct File: Decodable {
        let texts: [Row]
    }

    static let rows = Result { try Fixtures.load("ftfy_mojibake.json", as: File.self).texts }

    @Test func badnessIsFTFYs() throws {
        let rows = try Self.rows.get()
        #expect(rows.count >= 2_800)
        #expect(rows.filter(\.isBad).count >= 1_000, "the fixture holds bad texts")
        let differing = rows.filter { Mojibake.isBad(Array($0.text.unicodeScalars)) != $0.isBad }
        #expect(differing.isEmpty, "\(differing.count) texts: \(differing.prefix(10).map { String(reflecting: $0.text) })")
    }

    @Test func repairIsFTFYs() throws {
        let rows = try Self.rows.get()
        #expect(rows.filter { $0.fixed != $0.text }.count >= 500, "the fixture holds texts ftfy repairs")
        var differing: [String] = []
        for row in rows {
            let fixed = CLIPTables.string(Mojibake.fixEncoding(Array(row.text.unicodeScalars)))
            if fixed != row.fixed {
                differing.append("\(String(reflecting: row.text)) → \(String(reflecting: fixed)), ftfy \(String(reflecting: row.fixed))")
            }
        }
        #expect(differing.isEmpty, "\(differing.count) texts: \(differing.prefix(10))")
    }

    @Test func knownRepairs() {
        func fixed(_ text: String) -> String { CLIPTables.string(Mojibake.fixEncoding(Array(text.unicodeScalars))) }
        #expect(fixed("caf\u{C3}\u{A9}") == "café")
        #expect(fixed("voil\u{C3} le travail") == "voilà le travail")
        #expect(fixed("\u{E2}\u{20AC}\u{153}quoted\u{E2}\u{20AC}\u{9D}") == "\u{201C}quoted\u{201D}")
        #expect(fixed("caf\u{E9} na\u{EF}ve") == "caf\u{E9} na\u{EF}ve", "text that is fine stays")
        #expect(fixed("\u{93}quoted\u{94}") == "\u{201C}quoted\u{201D}", "C1 controls are Windows-1252")
        #expect(Mojibake.decodeUTF8Variants([0x61, 0xC0, 0x80, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80]) == ["a", "\u{0}", "\u{1F600}"])
        #expect(Mojibake.decodeUTF8Variants([0xED, 0xA0, 0x80]) == nil, "a lone surrogate does not decode")
        #expect(Mojibake.decodeUTF8Variants([0xC3]) == nil)
    }
}
