import Foundation
import LoupeImage

@testable import LoupeNotebook

/// Small deterministic reports for the report tests.
enum ReportSampleData {
    static let hostile = "<script>alert('x')</script> & \"quoted\""

    /// A 24×24 RGB test pattern as an image output.
    static func pattern(caption: String, shift: Int = 0) throws -> ImageOutput {
        let size = 24
        var pixels = [UInt8]()
        for y in 0..<size {
            for x in 0..<size {
                pixels += [UInt8((x * 10 + shift) % 256), UInt8((y * 10) % 256), UInt8(((x + y) * 5 + shift) % 256)]
            }
        }
        return try ImageOutput(RGBImage(width: size, height: size, pixels: pixels), caption: caption, alt: caption)
    }

    /// A bump `1 / (1 + r² / size)`, `size × size`, peaking at the centre; plain arithmetic (no
    /// libm) so the snapshot is the same on every platform.
    static func bump(size: Int) -> [Float] {
        var values = [Float]()
        let centre = Float(size - 1) / 2
        for y in 0..<size {
            for x in 0..<size {
                let dx = Float(x) - centre, dy = Float(y) - centre
                values.append(1 / (1 + (dx * dx + dy * dy) / Float(size)))
            }
        }
        return values
    }

    /// A small report that uses every output kind.
    static func small() throws -> Report {
        let signed = bump(size: 12).enumerated().map { index, value in index % 12 < 6 ? -value : value * 0.5 }
        return Report(
            title: "Saliency on a tiny CNN",
            authors: ["Ada Lovelace", "Alan Turing"],
            description: "A sample report that shows every kind of cell output.",
            cells: [
                CellResult(
                    id: "intro",
                    source: "",
                    outputs: [
                        .prose(
                            html:
                                "<h1>Introduction</h1>\n<p>We look at <em>where</em> the model looks.</p>\n<h2>Setup &amp; data</h2>\n<p>One image, one model.</p>"
                        )
                    ]
                ),
                CellResult(
                    id: "predict",
                    heading: "Top classes",
                    source: "```{predict}\n:model: tinycnn\n:image: images/cat.png\n:top: 3\n```",
                    outputs: [
                        .table(
                            Table(
                                caption: "tinycnn top-3 classes for images/cat.png",
                                columns: ["Rank", "Class", "Probability"],
                                rows: [["1", "tabby cat", "0.8123"], ["2", "tiger cat", "0.1002"], ["3", "lynx", "0.0311"]]
                            ))
                    ],
                    duration: 0.0421,
                    cached: true
                ),
                CellResult(
                    id: "saliency",
                    heading: "Saliency",
                    source: "```{saliency}\n:model: tinycnn\n:target: tabby cat\n```",
                    outputs: [
                        .images(
                            [try pattern(caption: "input"), try pattern(caption: "input, shifted", shift: 90)],
                            caption: "Input image and a shifted copy"),
                        .heatmap(
                            try HeatmapFigure(
                                Heatmap(values: bump(size: 16), width: 16, height: 16, colorMap: .viridis),
                                caption: "Saliency, tinycnn, target tabby cat")),
                        .heatmap(
                            try HeatmapFigure(
                                Heatmap(values: signed, width: 12, height: 12, colorMap: .coolwarm, gamma: 0.5),
                                caption: "Integrated gradients (signed), layer conv2")),
                        .text("steps: 32\nbaseline: zeros"),
                    ],
                    duration: 1.5
                ),
                CellResult(
                    id: "broken",
                    heading: "A failing cell",
                    source: "```{gradcam}\n:layer: layer9\n```",
                    outputs: [],
                    duration: 0.003,
                    status: .failed("unknown layer 'layer9': expected one of conv1, conv2, fc")
                ),
                CellResult(id: "later", source: "```{lucent}\n```", outputs: [], status: .skipped("depends on a failed cell")),
            ],
            provenance: Provenance(
                loupeVersion: "0.1.0",
                models: [.init(name: "tinycnn", sha256: String(repeating: "ab", count: 32))],
                images: [.init(path: "images/cat.png", sha256: String(repeating: "0f", count: 32))]
            )
        )
    }

    /// A report with `hostile` text in every user-controlled field.
    static func hostileReport() throws -> Report {
        Report(
            title: hostile,
            authors: [hostile],
            description: hostile,
            cells: [
                CellResult(
                    id: hostile,
                    heading: hostile,
                    source: hostile,
                    outputs: [
                        .table(Table(caption: hostile, columns: [hostile], rows: [[hostile]])),
                        .image(try pattern(caption: hostile)),
                        .images([try pattern(caption: hostile)], caption: hostile),
                        .heatmap(try HeatmapFigure(Heatmap(values: [0, 1, 2, 3], width: 2, height: 2), caption: hostile)),
                        .text(hostile),
                        .error(hostile),
                    ],
                    status: .failed(hostile)
                ),
                CellResult(id: "s", source: hostile, outputs: [], status: .skipped(hostile)),
            ],
            provenance: Provenance(
                loupeVersion: hostile, models: [.init(name: hostile, sha256: hostile)], images: [.init(path: hostile, sha256: hostile)])
        )
    }
}
