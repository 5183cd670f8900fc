import Foundation
import Testing

@testable import LoupeNotebook

/// Notebooks built to exhaust memory are refused before they are planned, with their size and
/// the variable that raises the limit.
@Suite struct NotebookLimitsTests {
    private func plan(_ text: String) throws -> Plan {
        try Planner(registry: .standard).plan(text, source: "big.md", baseDirectory: URL(fileURLWithPath: "/tmp"))
    }

    private func cells(_ count: Int) -> String {
        (0..<count).map { "```{model} m\($0)\n:name: efficientnet-lite0\n```\n" }.joined(separator: "\n")
    }

    @Test func tooManyCellsAreRefusedAndTheLimitIsAllowed() throws {
        #expect(NotebookLimits.maximumCells == 2_000)
        #expect(try plan(cells(NotebookLimits.maximumCells)).cells.count == NotebookLimits.maximumCells)
        #expect(throws: NotebookError.tooLarge(file: "big.md", size: "has 2001 directive cells", limit: "2000 (LOUPE_MAX_CELLS sets it)")) {
            try plan(cells(NotebookLimits.maximumCells + 1))
        }
        let message = NotebookError.tooLarge(file: "big.md", size: "has 2001 directive cells", limit: "2000 (LOUPE_MAX_CELLS sets it)")
        #expect(
            message.description
                == "big.md: error: the notebook has 2001 directive cells; Loupe reads at most 2000 (LOUPE_MAX_CELLS sets it)")
    }

    @Test func directiveFencesAreCountedWithoutParsing() {
        #expect(NotebookLimits.fenceCount(cells(5)) == 5)
        #expect(NotebookLimits.fenceCount("   ~~~~{show}\n    ```{show}\n``{show}\n```python\n`~~{x}\n```{x}") == 2)
        #expect(NotebookLimits.fenceCount("") == 0)
    }

    @Test func aHugeLineIsRefusedBeforeParsing() throws {
        let text = "# " + String(repeating: "x", count: NotebookLimits.maximumBytes) + "\n"
        #expect(
            throws: NotebookError.tooLarge(
                file: "big.md", size: "is 16777219 bytes", limit: "16777216 bytes (LOUPE_MAX_NOTEBOOK_BYTES sets it)")
        ) {
            try plan(text)
        }
    }

    @Test func theVariablesTakeWholeNumbersInRange() {
        #expect(NotebookLimits.limit(nil, default: 7, ceiling: 10) == 7)
        #expect(NotebookLimits.limit(" 9 ", default: 7, ceiling: 10) == 9)
        #expect(NotebookLimits.limit("11", default: 7, ceiling: 10) == 7)
        #expect(NotebookLimits.limit("0", default: 7, ceiling: 10) == 7)
        #expect(NotebookLimits.limit("2e3", default: 7, ceiling: 10) == 7)
    }
}
