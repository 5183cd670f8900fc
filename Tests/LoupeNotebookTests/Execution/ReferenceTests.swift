import Foundation
import Testing
@testable import LoupeNotebook

@Suite struct ReferenceTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theCommittedReferenceIsGeneratedFromTheRegistry() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/directives.md"), encoding: .utf8)
        #expect(committed == DirectiveRegistry.standard.referenceMarkdown(),
                "docs/directives.md is stale: run `swift run loupe directives --markdown > docs/directives.md`")
    }

    @Test func everyDirectiveDocumentsEveryOptionAndHasAnExampleThatPlans() throws {
        let registry = DirectiveRegistry.standard
        #expect(registry.names == ["model", "image", "predict", "show", "mix", "attribute", "sanity-check", "deletion", "examples", "ablate", "filters", "features", "visualize", "dream"])
        #expect(Set(registry.names).count == registry.names.count, "names are unique")
        let reference = registry.referenceMarkdown()
        for directive in registry.directives {
            #expect(reference.contains("## \(directive.name)\n"))
            for option in directive.options {
                #expect(reference.contains("| `\(option.name)` |"), "{\(directive.name)} :\(option.name): is not documented")
                #expect(!option.help.isEmpty)
            }
            // The example names the directive and parses to exactly one directive block.
            let (document, diagnostics) = try Document.parse(directive.example, source: "example")
            #expect(diagnostics.isEmpty, "{\(directive.name)} example: \(diagnostics)")
            #expect(document.directives.map(\.name) == [directive.name])
            for option in document.directives[0].options {
                #expect(directive.options.contains { $0.name == option.name }, "{\(directive.name)} example uses unknown :\(option.name):")
            }
        }
    }
}
