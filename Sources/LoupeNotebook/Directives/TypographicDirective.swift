import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{typographic}`: a word written onto a photo, and what it does to a classifier.
///
/// This is the typographic attack of Goh et al. on CLIP (an "iPod" label on an apple), for any model.
struct TypographicDirective: Directive {
    static let name = "typographic"
    static let summary =
        "A typographic attack: writes a word onto a photo (FreeType, DejaVu Sans Bold by default), classifies the photo before and after, and shows where the winning label's logit comes from in both."
    static let argument = ArgumentSpec.optionalName(.image)
    static let example = """
        ```{typographic} labelled
        :model: zeroshot
        :image: dog
        :text: cat
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The classifier: a named `{classify}` (CLIP zero-shot) or any `{model}`.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The photo to write on.")
        var image: CellName<LoadedImage>
        @CellOption(help: "The word or words to write.")
        var text: String
        @CellOption(range: 0.01...1, help: "The text's height as a fraction of the photo's shorter side.")
        var size: Float = 0.12
        @CellOption(help: "Where the centre of the text goes, as `x, y` fractions of the photo's width and height.")
        var position = "0.5, 0.8"
        @CellOption(help: "The text's colour as `#rrggbb`.")
        var color = "#000000"
        @CellOption(range: 0...1, help: "The text's opacity (0 leaves the photo unchanged).")
        var opacity: Float = 1
        @CellOption(help: "Write on an opaque white label, as the classic attacks do; `false` writes on the photo itself.")
        var label = true
        @CellOption(help: "A TrueType or OpenType font file; DejaVu Sans Bold (Debian `fonts-dejavu-core`) when unset.")
        var font: FilePath?
        @CellOption(range: 1...100, help: "How many labels to list, the largest after the attack first.")
        var top = 5
        @CellOption(help: "The attribution method for the maps; the target is the top label after the attack.")
        var method = AttributionMethod.saliency
        @CellOption(range: 0...1, help: "The maps' opacity over the photos.")
        var alpha: Float = 0.6
    }

    private let options: Options
    private let style: TextStyle

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        let parts = options.position.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let x = parts[0], let y = parts[1], (0...1).contains(x), (0...1).contains(y) else {
            throw CellError.invalid("`position` must be two fractions `x, y` in 0…1, got \"\(options.position)\"")
        }
        let hex = options.color.trimmingCharacters(in: .whitespaces)
        guard hex.count == 7, hex.hasPrefix("#"), let rgb = UInt32(hex.dropFirst(), radix: 16) else {
            throw CellError.invalid("`color` must be `#rrggbb`, got \"\(options.color)\"")
        }
        guard !options.text.trimmingCharacters(in: .whitespaces).isEmpty else { throw CellError.invalid("`text` is empty") }
        var style = TextStyle(
            center: [x, y], color: [UInt8(rgb >> 16 & 0xFF), UInt8(rgb >> 8 & 0xFF), UInt8(rgb & 0xFF)], opacity: Double(options.opacity),
            background: options.label ? .label : nil)
        if let font = options.font { style.fontPath = font.url.path }
        self.style = style
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let picture = try context.value(options.image)
        let model = loaded.model
        var style = self.style
        style.pixelSize = Swift.max(6, Int((Double(options.size) * Double(Swift.min(picture.image.width, picture.image.height))).rounded()))
        let attacked = LoadedImage(
            image: try picture.image.drawingText(options.text, style: style), source: "\(picture.source) with \"\(options.text)\"",
            isPrepared: picture.isPrepared)
        let before = try model.topClasses(for: try picture.input(for: model), count: model.labels.count)
        let after = try model.topClasses(for: try attacked.input(for: model), count: model.labels.count)
        guard let winnerBefore = before.first, let winnerAfter = after.first else {
            throw CellError.invalid("\(loaded.caption) has no classes")
        }
        let probabilityBefore = Dictionary(uniqueKeysWithValues: before.map { ($0.index, $0.probability) })
        let shown =
            after.prefix(options.top).map(\.index)
            + (after.prefix(options.top).contains { $0.index == winnerBefore.index } ? [] : [winnerBefore.index])
        let rows = shown.compactMap { index -> [String]? in
            guard let score = after.first(where: { $0.index == index }), let old = probabilityBefore[index] else { return nil }
            return [
                score.label, String(format: "%.4f", old), String(format: "%.4f", score.probability),
                String(format: "%+.4f", score.probability - old),
            ]
        }
        let verdict =
            winnerBefore.index == winnerAfter.index
            ? "The top label stays \(winnerBefore.label) (\(String(format: "%.3f", winnerBefore.probability)) → \(String(format: "%.3f", after.first { $0.index == winnerBefore.index }?.probability ?? 0)))."
            : "The top label flips from \(winnerBefore.label) (\(String(format: "%.3f", winnerBefore.probability))) to \(winnerAfter.label) (\(String(format: "%.3f", winnerAfter.probability)))."
        let table = Table(
            caption: "\(loaded.caption) on \(picture.source) before and after writing \"\(options.text)\" on it. \(verdict)",
            columns: ["Label", "Before", "After", "Change"], rows: rows)

        // Where the winning label's logit comes from, on both photos.
        var settings = AttributionSettings()
        settings.seed = 0
        let attributor = Attributor(model: model)
        var figures: [CellOutput] = []
        for (photo, name) in [(picture, "before"), (attacked, "after")] {
            let run = try attributor.attribute(
                options.method, input: try photo.modelInput(for: model), target: .classIndex(winnerAfter.index), settings: settings)
            figures.append(
                .heatmap(
                    try HeatmapFigure(
                        run.heatmap(), caption: "\(options.method) for \(winnerAfter.label), \(name) the attack (\(photo.source))",
                        underlay: run.input.seen, opacity: options.alpha)))
        }
        let seen = try ImageOutput(
            try attacked.modelView(for: model), caption: "\(attacked.source), as \(loaded.caption) sees it", alt: attacked.source)
        return CellRun(outputs: [.image(seen), .table(table)] + figures, value: attacked)
    }
}
