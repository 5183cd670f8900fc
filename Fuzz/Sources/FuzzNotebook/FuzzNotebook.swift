import Foundation
import FuzzSupport
import LoupeNotebook

private let planner = Planner(overrides: [NamedValue(name: "photo", value: "dog.jpg")])
private let base = URL(fileURLWithPath: "/nonexistent-loupe-fuzz")

/// One input: parsed and planned as a notebook; errors are expected, crashes are not.
///
/// Planning reads the front matter, the cells, their options and `{{ param }}`s; nothing runs.
private func fuzzNotebook(_ input: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: input, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    if let plan = try? planner.plan(text, source: "fuzz.md", baseDirectory: base) {
        _ = plan.inputFiles(baseDirectory: base)
    }
    return 0
}

@main
enum FuzzNotebook {
    static func main() { fuzzMain { fuzzNotebook($0, $1) } }
}
