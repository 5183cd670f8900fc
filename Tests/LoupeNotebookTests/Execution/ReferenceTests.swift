import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct ReferenceTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theCommittedReferenceIsGeneratedFromTheRegistry() throws {
        let committed = try String(contentsOf: Self.root.appendingPathComponent("docs/directives.md"), encoding: .utf8)
        #expect(
            committed == DirectiveRegistry.standard.referenceMarkdown(),
            "docs/directives.md is stale: run `swift run loupe directives --markdown > docs/directives.md`")
    }

    @Test func everyDirectiveDocumentsEveryOptionAndHasAnExampleThatPlans() throws {
        let registry = DirectiveRegistry.standard
        #expect(
            registry.names == [
                "model", "image", "predict", "show", "mix", "attribute", "sanity-check", "deletion", "examples", "ablate", "filters",
                "features", "visualize", "dream", "concepts", "embed", "similarity", "couple", "describe", "consolidate", "steer", "guide",
                "clip", "classify", "typographic", "dissect", "written",
            ])
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

    /// Every example, after cells that define the names it reads, plans without an error: its
    /// options exist, have the right types and name cells of the right kinds.
    @Test(arguments: DirectiveRegistry.standard.names)
    func theExamplePlans(name: String) throws {
        let registry = DirectiveRegistry.standard
        let directive = try #require(registry.directive(named: name))
        let (example, _) = try Document.parse(directive.example, source: "example")
        let defined = example.directives.first?.argument
        let preamble = [
            ("net", "```{model} net\n:name: efficientnet-lite0\n```"),
            ("photo", "```{image} photo\n:src: images/dog.jpg\n```"),
            ("cat", "```{image} cat\n:src: images/chelsea.png\n```"),
            ("blend", "```{image} blend\n:src: images/eagle.jpg\n```"),
            ("dog", "```{image} dog\n:src: images/dog.jpg\n```"),
            ("eagle", "```{image} eagle\n:src: images/eagle.jpg\n```"),
            ("clip", "```{clip} clip\n:weights: ../Tests/LoupeModelsTests/Fixtures/clip/tiny-vit.safetensors\n```"),
            ("zeroshot", "```{classify} zeroshot\n:clip: clip\n:images: dog\n:labels: a dog | a cat\n```"),
            ("pets", "```{embed} pets\na dog on a bench\n```"),
            ("classes", "```{concepts} classes\n:vocabulary: imagenet\n```"),
            ("words", "```{concepts} words\n:vocabulary: english-20k\n```"),
            (
                "words15",
                "```{model} coupled\n:name: efficientnet-lite0\n```\n\n```{couple} words15\n:model: coupled\n:layer: _blocks.15\n:captions: images/coupling/captions.json\n```"
            ),
        ].filter { $0.0 != defined && !(defined == "clip" && $0.0 == "zeroshot") }.map(\.1)
        let text = (preamble + [directive.example]).joined(separator: "\n\n")
        let plan = try Planner(registry: registry).plan(
            text, source: "\(name).md", baseDirectory: Self.root.appendingPathComponent("Notebooks"))
        for cell in plan.cells {
            if case let .directive(planned) = cell.content {
                let message = planned.error.map(String.init(describing:)) ?? ""
                // {clip}'s example names the user's own file, which the repository does not hold.
                if name == "clip", cell.id == "clip", message.contains("':weights:'"), message.contains("no such file") { continue }
                #expect(planned.error == nil, "{\(name)} example, cell \(cell.id): \(message)")
                #expect(planned.directive != nil)
            }
        }
    }

    /// A declared option reaches the directive under its key, typed, and an unset optional one
    /// stays `nil`: the declarations and the filled values are one thing.
    @Test func optionsAreFilledFromTheirDeclarations() throws {
        let specs = AttributeDirective.options.map(\.name)
        #expect(specs.starts(with: ["model", "image", "method", "target", "layer", "signed", "steps"]))
        #expect(DeletionDirective.options.map(\.name).contains("ig-steps"), "the group's steps are renamed in {deletion}")
        #expect(Set(DeletionDirective.options.map(\.name)).count == DeletionDirective.options.count, "keys are unique")
        let options = try AttributeDirective.Options.filled(
            from: ["model": "net", "image": "photo", "method": "gradcam", "steps": "7", "show": "overlay", "gamma": "0.6"],
            baseDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(options.model.name == "net")
        #expect(options.attribution.method == .gradcam)
        #expect(options.attribution.steps == 7)
        #expect(options.attribution.samples == 5, "defaults are kept")
        #expect(options.show == .overlay)
        #expect(options.gamma == 0.6)
        #expect(options.colormap == nil)
        let deletion = try DeletionDirective.Options.filled(
            from: ["model": "m", "image": "i", "ig-steps": "9", "steps": "11"],
            baseDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(deletion.attribution.steps == 9)
        #expect(deletion.steps == 11)
    }
}
