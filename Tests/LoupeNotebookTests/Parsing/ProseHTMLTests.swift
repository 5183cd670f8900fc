import LoupeNotebook
import Testing

extension Parsing {
    @Suite("proseHTML and slug(for:)")
    struct ProseHTMLTests {
        @Test("renders CommonMark")
        func rendersCommonMark() throws {
            let html = try proseHTML("# Title\n\nSome *emphasis* and `code`.\n")
            #expect(html == "<h1>Title</h1>\n<p>Some <em>emphasis</em> and <code>code</code>.</p>\n")
        }

        @Test("keeps Unicode text")
        func keepsUnicode() throws {
            #expect(try proseHTML("Chat noir — été 🐈 猫") == "<p>Chat noir — été 🐈 猫</p>\n")
        }

        @Test("escapes special characters in text")
        func escapesText() throws {
            #expect(try proseHTML("a < b & c > \"d\"") == "<p>a &lt; b &amp; c &gt; &quot;d&quot;</p>\n")
        }

        @Test(
            "suppresses raw HTML and script URLs",
            arguments: [
                "<script>alert(1)</script>",
                "Text <script>alert(1)</script> inline.",
                "<img src=x onerror=alert(1)>",
                "Inline <img src=x onerror=alert(1)> image.",
                "[x](javascript:alert(1))",
                "[x](JavaScript:alert(1))",
                "![x](javascript:alert(1))",
                "<javascript:alert(1)>",
                "[x][ref]\n\n[ref]: javascript:alert(1)",
                "<div onclick=\"alert(1)\">hi</div>",
                "<a href=\"javascript:alert(1)\">x</a>",
                "[x](vbscript:msgbox(1))",
            ])
        func suppressesUnsafe(_ markdown: String) throws {
            let html = try proseHTML(markdown).lowercased()
            #expect(!html.contains("<script"))
            #expect(!html.contains("<img src=x"))
            #expect(!html.contains("onerror="))
            #expect(!html.contains("onclick="))
            #expect(!html.contains("<div"))
            for attribute in ["href=\"", "src=\""] {
                #expect(!html.contains(attribute + "javascript:"))
                #expect(!html.contains(attribute + "vbscript:"))
            }
        }

        @Test("raw HTML becomes a comment and a script link loses its href")
        func safeModeOutputs() throws {
            #expect(try !proseHTML("[x](javascript:alert(1))").contains("javascript"))
            #expect(try !proseHTML("<img src=x onerror=alert(1)>").contains("onerror"))
            #expect(try proseHTML("<script>alert(1)</script>") == "<!-- raw HTML omitted -->\n")
            #expect(try proseHTML("[x](javascript:alert(1))") == "<p><a href=\"\">x</a></p>\n")
            #expect(try proseHTML("[x](https://example.org)") == "<p><a href=\"https://example.org\">x</a></p>\n")
        }

        @Test(
            "slug(for:)",
            arguments: [
                ("Saliency maps", "saliency-maps"),
                ("  Grad-CAM: how it works!  ", "grad-cam-how-it-works"),
                ("Été  à Paris", "été-à-paris"),
                ("猫の写真 1", "猫の写真-1"),
                ("snake_case Title", "snake_case-title"),
                ("!!!", "section"),
                ("", "section"),
            ])
        func slugs(_ heading: String, _ expected: String) {
            #expect(slug(for: heading) == expected)
        }
    }
}
