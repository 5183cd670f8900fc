import Foundation
import LoupeInterp
import LoupeModels

/// The options `{describe}` and `{consolidate}` share: which adaptor, which texts to describe
/// with, and which channels — a group inside each directive's options.
struct CorpusOptions: DirectiveOptions {
    @CellOption(help: "The `{couple}` cell's adaptor (fitted in this render).")
    var adaptor: CellName<FittedAdaptor>
    @CellOption(help: "The corpus: a `{concepts}` or `{embed}` cell.")
    var texts: CellName<TextList>
    @CellOption(help: "Wrap each text, e.g. `a photo of {}` (`{}` is replaced by the text).")
    var template: String?
    @CellOption(help: "Channels (`3,7,58` or `0-31`); each directive says what it takes when unset.")
    var channels: String?

    /// The adaptor, the corpus (templated) with its vectors and description, and the channels
    /// (`fallback` when the cell sets none).
    struct Resolved {
        let fitted: FittedAdaptor
        let corpus: [String]
        let vectors: [[Float]]
        let source: String
        let channels: [Int]
    }

    /// Checks the template when the cell is planned.
    ///
    /// - Throws: ``CellError/badOption(option:reason:)`` for a template without `{}`.
    func validate() throws {
        _ = try prompt()
    }

    /// The template, checked.
    private func prompt() throws -> PromptTemplate? {
        do {
            return try template.map(PromptTemplate.init)
        } catch {
            throw CellError.badOption(option: "template", reason: "\(error)")
        }
    }

    /// Reads the cells this group names and embeds the corpus.
    ///
    /// - Throws: ``CellError/badOption(option:reason:)`` for a bad channel list; the encoder's
    ///   errors.
    func resolve(_ context: CellContext, fallback: (Adaptor) -> [Int]) throws -> Resolved {
        let fitted = try context.value(adaptor)
        let list = try context.value(texts)
        let corpus = try prompt()?.sentences(list.texts) ?? list.texts
        let selected: [Int]
        do {
            selected = try channels.map { try IndexList.parse($0, option: "channels") } ?? fallback(fitted.adaptor)
        } catch {
            throw CellError.badOption(option: "channels", reason: "\(error)")
        }
        return Resolved(
            fitted: fitted, corpus: corpus, vectors: try fitted.embedder.embed(corpus).vectors,
            source: template.map { "\"\($0)\" over \(list.source)" } ?? list.source, channels: selected)
    }
}
