import Foundation
import Testing

@testable import LoupeNotebook

@Suite struct PlannerTests {
    let base = URL(fileURLWithPath: "/tmp")

    func plan(_ text: String, overrides: [NamedValue] = []) throws -> Plan {
        try Planner(registry: .testing, overrides: overrides).plan(text, source: "nb.md", baseDirectory: base)
    }

    func directive(_ plan: Plan, _ id: String) throws -> PlannedDirective {
        let cell = try #require(plan.cells.first { $0.id == id }, "no cell \(id) in \(plan.cells.map(\.id))")
        guard case let .directive(planned) = cell.content else {
            Issue.record("cell \(id) is not a directive")
            throw CellError.invalid("not a directive")
        }
        return planned
    }

    @Test func namesResolveToEarlierCellsInOrder() throws {
        let plan = try plan(
            """
            # Sums

            ```{number} a
            :value: 1
            ```

            ```{number} b
            :value: 2
            ```

            ```{sum} total
            :of: b, a
            ```
            """)
        #expect(plan.cells.map(\.id) == ["prose-1", "a", "b", "total"])
        let total = try directive(plan, "total")
        #expect(total.error == nil)
        #expect(total.dependencies == [2, 1])
        #expect(total.definedName == "total")
    }

    @Test func aLaterCellCannotBeReadEarlier() throws {
        let plan = try plan("```{sum}\n:of: late\n```\n\n```{number} late\n:value: 1\n```\n")
        let sum = try directive(plan, "sum-1")
        #expect(sum.error == .unknownReference(option: "of", name: "late", kind: NumberValue.kind, available: []))
    }

    @Test func paramsAreSubstitutedAndOverridden() throws {
        let text = "---\nparams:\n  n: 3\n---\n```{number} x\n:value: \"{{ n }}\"\n```\n"
        #expect(try directive(try plan(text), "x").block.option("value") == "3")
        let overridden = try plan(text, overrides: [NamedValue(name: "n", value: "7")])
        #expect(try directive(overridden, "x").block.option("value") == "7")
        #expect(try directive(overridden, "x").source.contains("{{ n }}"), "the report shows the cell as written")
    }

    @Test func anOverrideOfAnUnknownParamSuggestsTheClosest() throws {
        let text = "---\nparams:\n  photo: a.jpg\n---\n"
        #expect(throws: NotebookError.unknownParam(file: "nb.md", name: "phtoo", suggestions: ["photo"])) {
            try plan(text, overrides: [NamedValue(name: "phtoo", value: "b.jpg")])
        }
    }

    @Test func anUnknownParamInACellFailsThatCell() throws {
        let plan = try plan("---\nparams:\n  count: 3\n---\n```{number} x\n:value: \"{{ cuont }}\"\n```\n")
        #expect(try directive(plan, "x").error == .unknownParam("cuont", suggestions: ["count"]))
    }

    @Test func unknownDirectivesAndOptionsSuggestTheClosestName() throws {
        let plan = try plan("```{numbr} x\n:value: 1\n```\n\n```{number} y\n:valeu: 1\n```\n")
        #expect(try directive(plan, "x").error == .unknownDirective("numbr", suggestions: ["number"]))
        #expect(try directive(plan, "y").error == .unknownOption("valeu", directive: "number", suggestions: ["value"]))
        #expect(CellError.unknownDirective("numbr", suggestions: ["number"]).description.contains("did you mean 'number'?"))
    }

    @Test func valuesAreTypeCheckedBeforeAnythingRuns() throws {
        let plan = try plan("```{number} x\n:value: five\n```\n\n```{number} y\n:value: 5000\n```\n\n```{number} z\n```\n")
        #expect(try directive(plan, "x").error == .badValue(option: "value", value: "five", expected: "an integer from -1000 to 1000"))
        #expect(try directive(plan, "y").error != nil)
        #expect(try directive(plan, "z").error == .missingOption("value"))
    }

    @Test func frontMatterDefaultsFillOptionsACellLeavesOut() throws {
        let plan = try plan("---\ndefaults:\n  of: a\n---\n```{number} a\n:value: 1\n```\n\n```{sum}\n```\n")
        let sum = try directive(plan, "sum-1")
        #expect(sum.error == nil)
        #expect(sum.dependencies == [0])
    }

    @Test func aNameDefinedTwiceFailsTheSecondCell() throws {
        let plan = try plan("```{number} a\n:value: 1\n```\n\n```{number} a\n:value: 2\n```\n")
        #expect(plan.cells.map(\.id) == ["a", "a-2"])
        #expect(try directive(plan, "a-2").error == .duplicateName("a", firstLine: 1))
    }

    @Test func argumentsAreCheckedAgainstTheDirective() throws {
        let plan = try plan("```{number}\n:value: 1\n```\n\n```{checksum} c\n:src: x\n```\n")
        #expect(try directive(plan, "number-1").error == .missingArgument(directive: "number", kind: NumberValue.kind))
        #expect(try directive(plan, "c").error == .unexpectedArgument(directive: "checksum", argument: "c"))
    }

    @Test func aMissingFileFailsItsCellAndNamesIt() throws {
        let plan = try plan("```{checksum}\n:src: /nonexistent/a.txt\n```\n")
        #expect(
            try directive(plan, "checksum-1").error == .unreadableFile(option: "src", path: "/nonexistent/a.txt", reason: "no such file"))
    }

    @Test func cacheKeysFollowTextInputsAndDependencies() throws {
        let one = try plan("```{number} a\n:value: 1\n```\n\n```{sum} s\n:of: a\n```\n\n```{number} b\n:value: 5\n```\n")
        let two = try plan("```{number} a\n:value: 2\n```\n\n```{sum} s\n:of: a\n```\n\n```{number} b\n:value: 5\n```\n")
        let keys = { (plan: Plan) in plan.cells.map { $0.cacheKey ?? "-" } }
        #expect(keys(one)[0] != keys(two)[0], "the changed cell")
        #expect(keys(one)[1] != keys(two)[1], "its dependant, although its own text is the same")
        #expect(keys(one)[2] == keys(two)[2], "an unrelated cell")
        #expect(keys(one) == keys(try plan("```{number} a\n:value: 1\n```\n\n```{sum} s\n:of: a\n```\n\n```{number} b\n:value: 5\n```\n")))
    }

    @Test func unicodeNamesAndValuesSurvive() throws {
        let plan = try plan(
            "---\ntitle: Größe 🐕\nparams:\n  n: \"4\"\n---\n```{number} größe\n:value: \"{{ n }}\"\n```\n\n```{sum} σ\n:of: größe\n```\n")
        #expect(plan.document.frontMatter.title == "Größe 🐕")
        #expect(try directive(plan, "σ").error == nil)
        #expect(try directive(plan, "σ").dependencies == [0])
    }
}
