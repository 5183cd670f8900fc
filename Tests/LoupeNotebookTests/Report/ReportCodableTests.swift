import Foundation
import LoupeImage
import Testing

@testable import LoupeNotebook

@Suite struct ReportCodableTests {
    private func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(value)
    }

    private func roundTrip<T: Codable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: try encode(value))
    }

    @Test func sampleReportRoundTrips() throws {
        let report = try ReportSampleData.small()
        let decoded = try roundTrip(report)
        #expect(decoded == report)
        // Encoding is deterministic, and the decoded report encodes to the same bytes.
        #expect(try encode(decoded) == (try encode(report)))
        #expect(HTMLRenderer().render(decoded) == HTMLRenderer().render(report))
    }

    /// A feature-map tile keeps its value grid through the cell cache, and a grid whose range is
    /// reversed is refused.
    @Test func valueGridsRoundTrip() throws {
        let grid = try #require(try ValueGrid(Heatmap(values: [-1, 0.5, 2, 3], width: 2, height: 2), label: "channel <7>"))
        let tile = ImageOutput(png: Data([1, 2, 3]), width: 2, height: 2, caption: "c", alt: "a", values: grid)
        #expect(try roundTrip(tile) == tile)
        #expect(try roundTrip(ImageOutput(png: Data([1]), width: 1, height: 1, caption: "c", alt: "a")).values == nil)
        let html = HTMLRenderer().render(
            Report(
                title: "t", cells: [CellResult(id: "f", source: "", outputs: [.images([tile], caption: "")])],
                provenance: Provenance(loupeVersion: "v")))
        #expect(html.contains("data-low=\"-1.0\" data-high=\"3.0\" data-label=\"channel &lt;7&gt;\""), "the label is escaped")
        #expect(html.contains("<output class=\"probe\"></output>") && html.contains("<script>\(HTMLRenderer.probeScript)</script>"))
        let reversed = #"{"alt":"a","caption":"c","height":1,"png":"AQ==","values":{"high":0,"low":1,"png":"AQ=="},"width":1}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ImageOutput.self, from: Data(reversed.utf8)) }
    }

    @Test func hostileReportRoundTrips() throws {
        let report = try ReportSampleData.hostileReport()
        #expect(try roundTrip(report) == report)
    }

    @Test func cellOutputsRoundTripOneByOne() throws {
        let report = try ReportSampleData.small()
        let outputs = report.cells.flatMap(\.outputs) + [.error("boom"), .image(try ReportSampleData.pattern(caption: "one"))]
        #expect(Set(outputs.map(\.kind)) == [.prose, .table, .image, .images, .heatmap, .text, .error])
        for output in outputs {
            #expect(try roundTrip(output) == output)
        }
        #expect(try roundTrip(outputs) == outputs)
    }

    @Test func formatIsTaggedAndStable() throws {
        let table = CellOutput.table(Table(caption: "c", columns: ["a"], rows: [["1"]]))
        #expect(
            String(decoding: try encode(table), as: UTF8.self)
                == #"{"kind":"table","table":{"caption":"c","columns":["a"],"rows":[["1"]]}}"#)
        #expect(String(decoding: try encode(CellOutput.error("e")), as: UTF8.self) == #"{"kind":"error","message":"e"}"#)
        let image = CellOutput.image(ImageOutput(png: Data([1, 2, 3]), width: 1, height: 2, caption: "c", alt: "a"))
        #expect(
            String(decoding: try encode(image), as: UTF8.self)
                == #"{"image":{"alt":"a","caption":"c","height":2,"png":"AQID","width":1},"kind":"image"}"#)
        // 1.0 = 0x3F800000 and -2.0 = 0xC0000000, little-endian.
        let heatmap = CellOutput.heatmap(
            try HeatmapFigure(Heatmap(values: [1, -2], width: 2, height: 1, colorMap: .coolwarm, range: -1...1, gamma: 0.5), caption: "h"))
        #expect(
            String(decoding: try encode(heatmap), as: UTF8.self)
                == #"{"heatmap":{"caption":"h","colorMap":"coolwarm","gamma":0.5,"height":1,"range":{"lower":-1,"upper":1},"values":"AACAPwAAAMA=","width":2},"kind":"heatmap"}"#
        )
        let cell = CellResult(id: "x", source: "s", outputs: [], status: .skipped("why"))
        #expect(
            String(decoding: try encode(cell), as: UTF8.self)
                == #"{"cached":false,"id":"x","outputs":[],"source":"s","status":{"kind":"skipped","reason":"why"}}"#)
    }

    @Test func nonFiniteNumbersRoundTripBitForBit() throws {
        let values: [Float] = [.nan, .infinity, -.infinity, -0.0, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 0.1]
        let figure = try HeatmapFigure(Heatmap(values: values, width: 7, height: 1, range: -1...1, gamma: 0.5), caption: "c")
        let decoded = try roundTrip(figure)
        #expect(decoded.heatmap.values.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(decoded.heatmap.range == -1...1)
        #expect(decoded.heatmap.gamma == 0.5)

        let cell = CellResult(id: "x", source: "", outputs: [], duration: .infinity)
        #expect(try roundTrip(cell).duration == .infinity)
        let unknownDuration = CellResult(id: "x", source: "", outputs: [], duration: nil)
        #expect(try roundTrip(unknownDuration) == unknownDuration)
    }

    @Test(arguments: [
        // Unknown kind, and a kind whose payload is missing or of the wrong type.
        #"{"kind":"video","url":"x"}"#,
        #"{"kind":"table"}"#,
        #"{"kind":"text","text":42}"#,
        #"{"text":"no kind"}"#,
        #"[]"#,
        // Truncated and invalid JSON.
        #"{"kind":"text","te"#,
        "",
        // Bad base64, and a heatmap whose bytes are not whole binary32 values.
        #"{"kind":"image","image":{"alt":"a","caption":"c","height":2,"png":"***","width":1}}"#,
        #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"viridis","height":1,"values":"AAAA","width":1}}"#,
        // A reversed or NaN range would trap in ClosedRange.init; it must throw instead.
        #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"viridis","height":1,"range":{"lower":2,"upper":1},"values":"","width":0}}"#,
        #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"viridis","height":1,"range":{"lower":"nan","upper":1},"values":"","width":0}}"#,
        #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"viridis","gamma":"huge","height":1,"values":"","width":0}}"#,
        #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"jet","height":1,"values":"","width":0}}"#,
    ])
    func corruptOutputThrowsDecodingError(json: String) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CellOutput.self, from: Data(json.utf8))
        }
    }

    @Test func corruptStatusAndCellThrowDecodingError() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CellResult.Status.self, from: Data(#"{"kind":"exploded"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CellResult.Status.self, from: Data(#"{"kind":"failed"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(CellResult.self, from: Data(#"{"id":"x","source":"","outputs":[],"cached":false}"#.utf8))
        }
    }

    @Test func hugeDecodedHeatmapSizeThrowsInsteadOfOverflowing() throws {
        // width × height overflows Int: decoding must refuse it, not trap.
        let json =
            #"{"kind":"heatmap","heatmap":{"caption":"h","colorMap":"viridis","height":2,"values":"AACAPw==","width":9223372036854775807}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(CellOutput.self, from: Data(json.utf8)) }
    }
}
