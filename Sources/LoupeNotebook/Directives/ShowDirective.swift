import LoupeImage

/// `{show}`: images side by side with captions.
struct ShowDirective: Directive {
    static let name = "show"
    static let summary = "Shows one or more images side by side, each with a caption, optionally as a model sees them."
    static let example = """
        ```{show}
        :images: photo, blend
        :captions: the photo | half photo, half cat
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The image cells to show, comma-separated, left to right.")
        var images: CellNames<LoadedImage>
        @CellOption(help: "One caption per image, separated by `|`; by default each image's source.")
        var captions: [String]?
        @CellOption(help: "A caption for the whole row.")
        var caption: String?
        @CellOption(help: "Show the images as this model sees them: after its resize and centre crop.")
        var model: CellName<LoadedModel>?
        @CellOption(range: 16...1024, help: "The height, in pixels, every image is scaled to.")
        var height = 224
    }

    private let options: Options

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
        if let captions = options.captions, captions.count != options.images.names.count {
            throw CellError.invalid(
                "':captions:' has \(captions.count) captions for \(options.images.names.count) images; separate one per image with '|'")
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let model = try options.model.map { try context.value($0) }
        let height = options.height
        var shown: [ImageOutput] = []
        for (offset, loaded) in try context.values(options.images).enumerated() {
            let image = try model.map { try loaded.modelView(for: $0.model) } ?? loaded.image
            let width = max(1, Int((Double(image.width) * Double(height) / Double(image.height)).rounded()))
            let scaled = image.height == height ? image : try image.resized(width: width, height: height)
            let text = options.captions?[offset] ?? loaded.source
            shown.append(try ImageOutput(scaled, caption: text, alt: text))
        }
        var group = options.caption ?? options.images.names.joined(separator: ", ")
        if let model, options.caption == nil { group += ", as \(model.caption) sees them" }
        return CellRun(outputs: [.images(shown, caption: group)])
    }
}
