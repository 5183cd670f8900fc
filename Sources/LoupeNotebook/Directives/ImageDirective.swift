import Foundation
import LoupeImage

/// `{image} cat`: decodes a photo, optionally resizing it to a model input size.
struct ImageDirective: Directive {
    static let name = "image"
    static let summary = "Decodes a JPEG or PNG file and shows it; other cells read it by name."
    static let argument = ArgumentSpec.requiredName(.image)
    static let options = [
        OptionSpec("src", .file, help: "The image file, relative to the notebook; `{{ photo }}` lets `--set photo=…` replace it."),
        OptionSpec("size", .integer(8...4096), optional: true,
                   help: "Resize to this input size now; cells then only normalise it (as `loupe predict --no-resize`). Unset: each model applies its own resize and crop."),
        OptionSpec("resize", .choice(["crop", "exact"]), default: "crop",
                   help: "With `size`: `crop` scales the shorter side to `size` and crops the centre; `exact` squashes the whole photo to `size`×`size`, as the lecture does."),
        OptionSpec("show", .flag, default: "true", help: "Whether to show the image in the report."),
        OptionSpec("caption", .text, optional: true, help: "The caption; by default the file name and size."),
    ]
    static let example = """
        ```{image} photo
        :src: images/dog.jpg
        :size: 224
        :resize: exact
        ```
        """

    private enum Resize: String { case crop, exact }

    private let url: URL
    private let path: String
    private let size: Int?
    private let resize: Resize
    private let show: Bool
    private let caption: String?

    init(_ options: CellOptions) throws {
        url = try options.file("src")
        path = try options.filePath("src")
        size = try options.optionalInteger("size")
        resize = try options.choice("resize")
        show = try options.flag("show")
        caption = try options.optionalText("caption")
    }

    func run(_ context: CellContext) throws -> CellRun {
        let data = try Data(contentsOf: url)
        let decoded = try RGBImage(data: data, name: path)
        var image = decoded
        if let size {
            switch resize {
            case .exact: image = try decoded.resized(width: size, height: size)
            case .crop: image = try decoded.resized(shorterSide: size).centerCropped(width: size, height: size)
            }
        }
        let name = (path as NSString).lastPathComponent
        let loaded = LoadedImage(image: image, source: name, isPrepared: size != nil)
        var outputs: [CellOutput] = []
        if show {
            var text = caption ?? "\(name), \(decoded.width)×\(decoded.height)"
            if caption == nil, let size {
                text += resize == .exact ? ", resized to \(size)×\(size)" : ", resized and centre-cropped to \(size)×\(size)"
            }
            outputs.append(.image(try ImageOutput(try image.fittingDisplay(), caption: text, alt: "photo \(name)")))
        }
        let sha256 = SHA256Hex.digest(data)
        return CellRun(outputs: outputs, value: loaded, provenance: CellProvenance(images: [Provenance.Image(path: path, sha256: sha256)]))
    }
}
