import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{written}`: text-side probing — which written texts excite a channel most, each drawn on a
/// blank canvas, next to the blank canvas and the text's anagram.
struct WrittenDirective: Directive {
    static let name = "written"
    static let summary =
        "Text-side probing: draws each text on a blank canvas and ranks the texts by a channel's mean activation, each next to its anagram (the letters of each word shuffled) and the blank canvas, with how many texts beat their anagram."
    static let example = """
        ```{written}
        :model: net
        :layer: _blocks.15
        :channel: 19
        :words: forest | moss | leaf | bus | cat | ocean | pizza | guitar
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(
            help:
                "The layer, by its PyTorch dotted name: a feature map (its channel's mean over positions is read) or a vector such as a zero-shot model's `classifier`."
        )
        var layer: String
        @CellOption(range: 0...65_535, help: "The channel.")
        var channel: Int
        @CellOption(help: "The texts: a `{concepts}` or `{embed}` cell; or give `words`.")
        var texts: CellName<TextList>?
        @CellOption(help: "Instead of `texts`: the texts, separated by `|`.")
        var words: String?
        @CellOption(range: 1...100, help: "Texts listed, best first.")
        var top = 10
        @CellOption(range: 0...12, help: "The best texts drawn as the model saw them (0: none).")
        var examples = 4
        @CellOption(range: 0...1_000_000, help: "The anagrams' seed.")
        var seed = 0
    }

    private let options: Options
    private let words: [String]?

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        words = options.words.map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        switch (options.texts, words) {
        case (nil, nil): throw CellError.badOption(option: "words", reason: "give `texts` (a cell) or `words` (texts separated by |)")
        case (.some, .some): throw CellError.badOption(option: "words", reason: "give `texts` or `words`, not both")
        case (nil, let list?) where list.isEmpty: throw CellError.badOption(option: "words", reason: "no text between the |")
        default: break
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let (texts, source): ([String], String)
        if let name = options.texts {
            let list = try context.value(name)
            (texts, source) = (list.texts, list.source)
        } else {
            (texts, source) = (words ?? [], "listed in the cell")
        }
        let layer = options.layer.trimmingCharacters(in: .whitespaces)
        let probed: WrittenText
        do {
            probed = try WrittenText(model: loaded.model, layer: layer, channel: options.channel, texts: texts, seed: UInt64(options.seed))
        } catch let error as ModelError {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        } catch let error as InterpError {
            switch error {
            case .channelOutOfRange: throw CellError.badOption(option: "channel", reason: "\(error)")
            default: throw CellError.badOption(option: "layer", reason: "\(error)")
            }
        }
        let values = probed.readings.map(\.activation)
        let mean = values.reduce(0, +) / Double(values.count)
        let std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
        let sorted = values.sorted()
        let median = sorted[sorted.count / 2]
        let best = probed.readings.indices.sorted { a, b in
            values[a] != values[b] ? values[a] > values[b] : a < b
        }.prefix(options.top)
        let format = { (x: Double) in String(format: "%.3f", x) }
        let table = Table(
            caption:
                "Channel \(options.channel) of \(layer) (\(loaded.caption)) on written texts: each of \(texts.count) texts (\(source)) drawn in "
                + "black at \(probed.style.pixelSize) px on a white \(probed.side)×\(probed.side) canvas, ranked by the channel's mean activation. "
                + "Baselines: the blank canvas \(format(probed.blank)), the median text \(format(median)); σ is over the texts. "
                + "Each text's anagram (the letters of each word shuffled) controls for letter shapes: \(probed.beatingAnagrams) of "
                + "\(texts.count) texts excite the channel more than their anagram.",
            columns: ["Text", "Activation", "σ", "Anagram", "Its activation"],
            rows: best.map { i in
                let r = probed.readings[i]
                return [
                    r.text, format(r.activation), String(format: "%+.1f", std > 0 ? (r.activation - mean) / std : 0), r.scrambled,
                    format(r.scrambledActivation),
                ]
            })
        var outputs: [CellOutput] = [.table(table)]
        if options.examples > 0 {
            let canvas = try WrittenText.blankCanvas(side: probed.side)
            let images = try best.prefix(options.examples).map { i in
                let text = probed.readings[i].text
                return try ImageOutput(
                    try canvas.drawingText(text, style: probed.style), caption: "\"\(text)\": \(format(values[i]))",
                    alt: "the text \"\(text)\" drawn as channel \(options.channel) of \(layer) saw it")
            }
            outputs += ExamplesDirective.rows(images, caption: "The best texts as the model saw them")
        }
        return CellRun(
            outputs: outputs, provenance: CellProvenance(models: [Provenance.Model(name: loaded.caption, sha256: loaded.sha256)]))
    }
}
