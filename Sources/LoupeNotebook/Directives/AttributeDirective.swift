import Foundation
import LoupeImage
import LoupeInterp
import LoupeModels

/// `{attribute}`: which pixels made the model say that — saliency, SmoothGrad, Integrated
/// Gradients, Grad-CAM, guided backpropagation, Guided Grad-CAM or occlusion, computed like
/// Captum (`LoupeInterp`), shown as a heatmap with a colour bar.
struct AttributeDirective: Directive {
    static let name = "attribute"
    static let summary =
        "Attribution map for an image: saliency (the lecture's), SmoothGrad, Integrated Gradients, Grad-CAM, guided backprop, Guided Grad-CAM or occlusion, computed like Captum."
    static let example = """
        ```{attribute}
        :model: net
        :image: photo
        :method: gradcam
        :target: German shepherd
        :show: overlay
        ```
        """

    /// How the map is shown.
    enum Display: String, ChoiceOption {
        /// The map alone.
        case map
        /// The map over the photo.
        case overlay
        /// The photo, then the map.
        case sideBySide = "side-by-side"
    }

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        var attribution = AttributionOptions()
        @CellOption(range: 0...Int(Int32.max), help: "Seed for SmoothGrad's noise and the noise baseline.")
        var seed = 0
        @CellOption(help: "`map` alone, `overlay` on the photo, or the photo and the map `side-by-side`.")
        var show = Display.sideBySide
        @CellOption(help: "Default: viridis, or coolwarm for signed maps; `gray` is the grey-scale variant.")
        var colormap: ColorMap?
        @CellOption(range: 0.01...100, help: "Applied to the normalised map (the lecture shows `sal ** 0.6`).")
        var gamma: Float?
        @CellOption(range: 0...1, help: "The map's opacity in an overlay.")
        var alpha: Float = 0.6
        @CellOption(help: "The caption; by default method, model, layer and target.")
        var caption: String?
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(options.model)
        let picture = try context.value(options.image)
        let run = try options.attribution.attribute(loaded, picture, seed: options.seed)
        let text = options.caption ?? AttributionOptions.describe(run.attribution, target: run.target, model: loaded, image: picture)
        let heatmap = run.heatmap(colorMap: options.colormap, gamma: options.gamma)
        switch options.show {
        case .overlay:
            return CellRun(outputs: [.heatmap(try HeatmapFigure(heatmap, caption: text, underlay: run.input.seen, opacity: options.alpha))])
        case .sideBySide:
            let photo = try ImageOutput(run.input.seen, caption: "\(picture.source) as \(loaded.caption) sees it", alt: picture.source)
            return CellRun(outputs: [.image(photo), .heatmap(try HeatmapFigure(heatmap, caption: text))])
        case .map:
            return CellRun(outputs: [.heatmap(try HeatmapFigure(heatmap, caption: text))])
        }
    }
}
