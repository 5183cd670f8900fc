import Foundation
import Testing

@testable import LoupeNotebook

/// Every notebook in Notebooks/ plans without an error: its front matter parses, its directives
/// and options exist with the right types, and every name it reads is defined by an earlier cell.
/// (CI renders them; this catches a broken notebook in `swift test`, in a fraction of a second.)
@Suite struct ShippedNotebookTests {
    static let folder = ReferenceTests.root.appendingPathComponent("Notebooks")
    static let notebooks = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".md") }
        .sorted()

    @Test func theNotebooksAreThere() {
        #expect(Self.notebooks == ["attribution.md", "clip.md", "language.md", "lecture.md", "sample.md"])
    }

    /// Params a notebook needs a file for that the repository does not ship (the user's own
    /// CLIP weights): a tiny CLIP from the test fixtures stands in.
    static let overrides = [
        "clip.md": [
            NamedValue(name: "weights", value: "../Tests/LoupeModelsTests/Fixtures/clip/tiny-vit.safetensors"),
            NamedValue(name: "resnet", value: "../Tests/LoupeModelsTests/Fixtures/clip/tiny-rn.safetensors"),
        ]
    ]

    @Test(arguments: notebooks)
    func plansWithoutErrors(name: String) throws {
        let text = try String(contentsOf: Self.folder.appendingPathComponent(name), encoding: .utf8)
        let plan = try Planner(registry: .standard, overrides: Self.overrides[name] ?? []).plan(
            text, source: name, baseDirectory: Self.folder)
        var directives = 0
        for cell in plan.cells {
            if case let .directive(planned) = cell.content {
                directives += 1
                #expect(planned.error == nil, "\(name), cell \(cell.id): \(planned.error.map(String.init(describing:)) ?? "")")
            }
        }
        #expect(directives > 0)
    }
}
