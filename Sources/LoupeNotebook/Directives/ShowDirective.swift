import LoupeImage

/// `{show}`: images side by side with captions.
struct ShowDirective: Directive {
    static let name = "show"
    static let summary = "Shows one or more images side by side, each with a caption, optionally as a model sees them."
    static let options = [
        OptionSpec("images", .references(.image), help: "The image cells to show, comma-separated, left to right."),
        OptionSpec("captions", .list, optional: true, help: "One caption per image, separated by `|`; by default each image's source."),
        OptionSpec("caption", .text, optional: true, help: "A caption for the whole row."),
        OptionSpec("model", .reference(.model), optional: true,
                   help: "Show the images as this model sees them: after its resize and centre crop."),
        OptionSpec("height", .integer(16...1024), default: "224", help: "The height, in pixels, every image is scaled to."),
    ]
    static let example = """
        ```{show}
        :images: photo, blend
        :captions: the photo | half photo, half cat
        ```
        """

    private let imageNames: [String]
    private let captions: [String]
    private let caption: String?
    private let modelName: String?
    private let height: Int

    init(_ options: CellOptions) throws {
        imageNames = try options.references("images")
        captions = try options.list("captions")
        caption = try options.optionalText("caption")
        modelName = options.has("model") ? try options.reference("model") : nil
        height = try options.integer("height")
        if !captions.isEmpty, captions.count != imageNames.count {
            throw CellError.invalid("':captions:' has \(captions.count) captions for \(imageNames.count) images; separate one per image with '|'")
        }
    }

    func run(_ context: CellContext) throws -> CellRun {
        let model = try modelName.map { try context.value(LoadedModel.self, named: $0) }
        var shown: [ImageOutput] = []
        for (offset, name) in imageNames.enumerated() {
            let loaded = try context.value(LoadedImage.self, named: name)
            let image = try model.map { try loaded.modelView(for: $0.model) } ?? loaded.image
            let width = max(1, Int((Double(image.width) * Double(height) / Double(image.height)).rounded()))
            let scaled = image.height == height ? image : try image.resized(width: width, height: height)
            let text = captions.isEmpty ? loaded.source : captions[offset]
            shown.append(try ImageOutput(scaled, caption: text, alt: text))
        }
        var group = caption ?? imageNames.joined(separator: ", ")
        if let model, caption == nil { group += ", as \(model.caption) sees them" }
        return CellRun(outputs: [.images(shown, caption: group)])
    }
}
