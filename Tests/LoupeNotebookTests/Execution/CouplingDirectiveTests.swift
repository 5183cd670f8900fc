import Foundation
import Testing

@testable import LoupeNotebook

/// `{couple}` and `{describe}` on the real Lite0, MiniLM and the shipped captioned photos.
@Suite struct CouplingDirectiveTests {
    let tests = DirectiveTests()

    @Test func aLayerIsCoupledAndItsChannelsDescribedWithTheirEvidence() throws {
        let rendering = try tests.render(
            """
            ```{model} net
            :name: efficientnet-lite0
            ```

            ```{couple} words
            :layer: _blocks.15
            :captions: {{ images }}/coupling/captions.json
            :crops: 1
            :permutations: 50
            :show: 5
            ```

            ```{embed} phrases
            green leaves and moss in a forest
            a red bus on a street
            a bird with spread wings
            a plate of food on a table
            ```

            ```{describe}
            :adaptor: words
            :texts: phrases
            :top: 2
            :limit: 3
            ```

            ```{describe}
            :adaptor: words
            :texts: phrases
            :channels: 320
            ```

            ```{describe}
            :adaptor: words
            :texts: phrases
            :template: a photo of
            ```

            ```{consolidate}
            :adaptor: words
            :texts: phrases
            :channels: 0-63
            :threshold: 0.3
            ```

            ```{couple} nothing
            :layer: _blocks.15
            :captions: missing.json
            ```

            ```{couple} badlayer
            :layer: _blocks.99
            :captions: {{ images }}/coupling/captions.json
            ```

            ```{couple} both
            :layer: _blocks.15
            :captions: {{ images }}/coupling/captions.json
            :file: {{ images }}/coupling/captions.json
            ```

            ```{clip} clip
            :weights: \(CLIPDirectiveTests.weights.path)
            :activation: quickgelu
            ```

            ```{describe}
            :adaptor: words
            :texts: phrases
            :top: 2
            :limit: 3
            :examples: 0
            :clip: clip
            ```
            """)
        let couple = try tests.cell(rendering, "words")
        #expect(couple.status == .ok)
        guard couple.outputs.count == 2, case let .table(summary) = couple.outputs[0], case let .table(channels) = couple.outputs[1] else {
            Issue.record("expected two tables, found \(couple.outputs)")
            return
        }
        #expect(summary.rows[0][0] == "320")
        // Far more coupled channels than the 5 % chance would give (≈ 16).
        let coupled = try #require(Int(summary.rows[0][1].prefix { $0.isNumber }))
        #expect(coupled > 48, "\(coupled) coupled")
        #expect(summary.caption.contains("128 probes (64 photos × 2)"))
        let rs = channels.rows.compactMap { Double($0[1]) }
        #expect(rs.count == 5 && rs == rs.sorted(by: >))
        #expect(channels.rows.allSatisfy { row in ((Double(row[1]) ?? 0) > (Double(row[2]) ?? 1)) == (row[4] == "yes") })

        let described = try tests.cell(rendering, "describe-1")
        #expect(described.status == .ok)
        guard case let .table(words)? = described.outputs.first else {
            Issue.record("no description table")
            return
        }
        #expect(words.rows.count == 3)
        // Under the table, each channel's four most activating photos.
        #expect(described.outputs.count == 4)
        for output in described.outputs.dropFirst() {
            guard case let .images(photos, caption) = output else {
                Issue.record("expected a row of photos, found \(output)")
                continue
            }
            #expect(photos.count == 4 && caption.contains("of 64 photos it responds to most"))
        }
        for row in words.rows {
            #expect(row[1].hasPrefix("coupled: r "))
            #expect(row[2].hasPrefix("median "))
            #expect(row[3].split(separator: ";").count == 2)
            // SoftWPMI's three best texts and the channel's median score.
            #expect(row[4].split(separator: ";").count == 4 && row[4].contains("median"))
        }
        // The same channels dissected with CLIP reading the probes: the adaptor's columns are
        // unchanged, the dissection column has its own scores.
        let clipDescribed = try tests.cell(rendering, "describe-4")
        guard case let .table(clipWords)? = clipDescribed.outputs.first else {
            Issue.record("no CLIP description table: \(clipDescribed.status)")
            return
        }
        #expect(clipDescribed.outputs.count == 1)
        #expect(clipWords.caption.contains("as CLIP sees the probe"))
        #expect(clipWords.rows.map { Array($0.prefix(4)) } == words.rows.map { Array($0.prefix(4)) })
        #expect(clipWords.rows.allSatisfy { $0[4].split(separator: ";").count == 4 && $0[4].contains("median") })
        #expect(clipWords.rows.map { $0[4] } != words.rows.map { $0[4] })
        let consolidated = try tests.cell(rendering, "consolidate-1")
        #expect(consolidated.status == .ok)
        guard case let .table(groups)? = consolidated.outputs.first else {
            Issue.record("no consolidation table")
            return
        }
        #expect(groups.caption.contains("64 channels of _blocks.15"))
        // Every channel of the batch is in exactly one group (long groups are abbreviated).
        #expect(!groups.rows.isEmpty)
        for row in groups.rows {
            let parts = row[4].components(separatedBy: " vs ")
            let (r, null) = (try #require(Double(parts[0])), try #require(Double(parts[1])))
            if row[2] == "nothing explains it" {
                #expect(row[3] == "—" && row[5] == "—" && !(r > 0 && r > null))
            } else {
                #expect(r > null && row[5].hasSuffix("%"))
            }
        }
        guard case let .failed(channel) = try tests.cell(rendering, "describe-2").status,
            case let .failed(template) = try tests.cell(rendering, "describe-3").status,
            case let .failed(missing) = try tests.cell(rendering, "nothing").status,
            case let .failed(layer) = try tests.cell(rendering, "badlayer").status,
            case let .failed(both) = try tests.cell(rendering, "both").status
        else {
            Issue.record("bad options must fail their cells")
            return
        }
        #expect(channel.contains(":channels:") && channel.contains("320"))
        #expect(template.contains(":template:") && template.contains("{}"))
        #expect(missing.contains(":captions:") && missing.contains("missing.json"))
        #expect(layer.contains(":layer:") && layer.contains("_blocks.99"))
        #expect(both.contains("either ':captions:' or ':file:'"))
    }
}
