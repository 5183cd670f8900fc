/// A sentence frame for concepts, as `a photo of {}`: each concept replaces `{}`.
public struct PromptTemplate: Sendable, Hashable {
    /// The frame as written.
    public let text: String

    /// The frame `text`.
    ///
    /// - Throws: ``ModelError/invalidTemplate(_:)`` when `text` has no `{}`.
    public init(_ text: String) throws {
        guard text.contains("{}") else { throw ModelError.invalidTemplate(text) }
        self.text = text
    }

    /// Each concept in the frame.
    public func sentences(_ concepts: [String]) -> [String] {
        concepts.map { text.replacingOccurrences(of: "{}", with: $0) }
    }
}
