import Foundation
import LoupeImage
import LoupeModels

/// `{image} cat`: decodes a photo, optionally resizing it to a model input size.
struct ImageDirective: Directive {
    static let name = "image"
    static let summary = "Decodes a JPEG or PNG file and shows it; other cells read it by name."
    static let argument = ArgumentSpec.requiredName(.image)
    static let example = """
        ```{image} photo
        :src: images/dog.jpg
        :size: 224
        :resize: exact
        ```
        """

    enum Resize: String, ChoiceOption { case crop, exact }

    struct Options: DirectiveOptions {
        @CellOption(help: "The image file, relative to the notebook; `{{ photo }}` lets `--set photo=…` replace it.")
        var src: FilePath
        @CellOption(
            range: 8...4096,
            help:
                "Resize to this input size now; cells then only normalise it (as `loupe predict --no-resize`). Unset: each model applies its own resize and crop."
        )
        var size: Int?
        @CellOption(
            help:
                "With `size`: `crop` scales the shorter side to `size` and crops the centre; `exact` squashes the whole photo to `size`×`size`, as the lecture does."
        )
        var resize = Resize.crop
        @CellOption(help: "Whether to show the image in the report.")
        var show = true
        @CellOption(help: "The caption; by default the file name and size.")
        var caption: String?
    }

    private let options: Options
    private var url: URL { options.src.url }
    private var path: String { options.src.path }
    private var size: Int? { options.size }
    private var resize: Resize { options.resize }
    private var show: Bool { options.show }
    private var caption: String? { options.caption }

    init(_ cell: DirectiveCell<Options>) throws {
        options = cell.options
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
        let sha256 = SHA256Digest.hex(of: data)
        return CellRun(outputs: outputs, value: loaded, provenance: CellProvenance(images: [Provenance.Image(path: path, sha256: sha256)]))
    }
}
