import Foundation

/// OpenAI's prompt engineering for ImageNet zero-shot classification: its 80 templates, its
/// 7-template subset and its 1,000 cleaned class names, read from `open_clip/zero_shot_metadata.py`
/// in the `open_clip_torch` wheel (the file is parsed as text, never run).
public struct ZeroShotPrompts: Sendable {
    /// The 80 templates of OpenAI's notebook (`a bad photo of a {}.`, …).
    public let templates: [PromptTemplate]
    /// The 7 templates OpenAI found to do as well (`itap of a {}.`, …).
    public let simpleTemplates: [PromptTemplate]
    /// The 1,000 ImageNet classes as OpenAI renamed them for prompts, in index order.
    public let classNames: [String]

    /// The wheel file, pinned by its SHA-256.
    public static let metadataFile = PackageFiles(
        name: "clip-zero-shot", package: "open-clip-torch==3.3.0",
        files: [
            .init(
                pathInWheel: "open_clip/zero_shot_metadata.py",
                sha256: "3bd8adb168bdf80fd681a71258e67f2c4d0f8ed73eae9b504ed5063e1726bbe9")
        ])

    /// The prompts, fetched on first use into `$LOUPE_HOME/tokenizers/clip-zero-shot/`.
    ///
    /// - Parameters:
    ///   - home: the store's root.
    ///   - progress: one-line status messages while the file is fetched.
    /// - Returns: the templates and class names.
    /// - Throws: ``ModelError/store(model:reason:)`` when the file cannot be fetched,
    ///   ``ModelError/invalidVocabulary(file:reason:)`` when it does not parse.
    public static func pretrained(home: URL = ModelStore().home, progress: (String) -> Void = { _ in }) throws -> ZeroShotPrompts {
        let folder = home.appendingPathComponent("tokenizers/clip-zero-shot")
        let urls = try metadataFile.install(into: folder, scratch: home.appendingPathComponent("tmp"), progress: progress)
        guard let text = String(data: try Data(contentsOf: urls[0]), encoding: .utf8) else {
            throw ModelError.invalidVocabulary(file: urls[0].path, reason: "not UTF-8")
        }
        return try ZeroShotPrompts(source: text, file: urls[0].path)
    }

    /// The names of the template sets ``templates(_:home:progress:)`` expands.
    public static let setNames = ["openai-80", "openai-7"]

    /// Prompt templates as a user writes them: frames with `{}`, or one of ``setNames`` for
    /// OpenAI's 80 or 7 templates (fetched on first use).
    ///
    /// - Parameters:
    ///   - texts: the frames, or a set's name.
    ///   - home: the store's root.
    ///   - progress: one-line status messages while the file is fetched.
    /// - Returns: the templates.
    /// - Throws: ``ModelError/invalidTemplate(_:)`` for a frame without `{}`, and the errors of
    ///   ``pretrained(home:progress:)``.
    public static func templates(_ texts: [String], home: URL = ModelStore().home, progress: (String) -> Void = { _ in }) throws
        -> [PromptTemplate]
    {
        guard texts.count == 1, let set = setNames.firstIndex(of: texts[0]) else { return try texts.map(PromptTemplate.init) }
        let prompts = try pretrained(home: home, progress: progress)
        return set == 0 ? prompts.templates : prompts.simpleTemplates
    }

    /// The prompts in the text of `zero_shot_metadata.py`.
    ///
    /// - Throws: ``ModelError/invalidVocabulary(file:reason:)`` naming the block that is missing
    ///   or holds another number of entries than 80, 7 and 1,000.
    public init(source: String, file: String) throws {
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        func block(_ name: String) throws -> [Substring] {
            guard let start = lines.firstIndex(where: { $0.hasPrefix(name + " = (") }),
                let end = lines[start...].firstIndex(where: { $0 == ")" })
            else { throw ModelError.invalidVocabulary(file: file, reason: "no \(name) = ( … ) block") }
            return Array(lines[(start + 1)..<end])
        }
        func templates(_ name: String, count: Int) throws -> [PromptTemplate] {
            let found = try block(name).compactMap { line -> PromptTemplate? in
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                guard trimmed.hasPrefix("lambda c: f'"), trimmed.hasSuffix("',") else { return nil }
                let body = trimmed.dropFirst("lambda c: f'".count).dropLast(2)
                return try PromptTemplate(body.replacingOccurrences(of: "{c}", with: "{}"))
            }
            guard found.count == count else {
                throw ModelError.invalidVocabulary(file: file, reason: "\(name) has \(found.count) templates, expected \(count)")
            }
            return found
        }
        self.templates = try templates("OPENAI_IMAGENET_TEMPLATES", count: 80)
        simpleTemplates = try templates("SIMPLE_IMAGENET_TEMPLATES", count: 7)
        let names = try block("IMAGENET_CLASSNAMES").joined(separator: "\n")
            .split(separator: "\"", omittingEmptySubsequences: false).enumerated().compactMap {
                $0.offset % 2 == 1 ? String($0.element) : nil
            }
        guard names.count == 1000 else {
            throw ModelError.invalidVocabulary(file: file, reason: "IMAGENET_CLASSNAMES has \(names.count) names, expected 1000")
        }
        classNames = names
    }
}
