import LoupeImage

/// `{mix} blend`: the weighted average of two images' pixels, the lecture's exercise.
struct MixDirective: Directive {
    static let name = "mix"
    static let summary = "Blends two images pixel by pixel (a weighted average of their RGB values) into a new image."
    static let argument = ArgumentSpec.requiredName(.image)
    static let example = """
        ```{mix} blend
        :images: photo, cat
        :weight: 0.5
        ```
        """

    struct Options: DirectiveOptions {
        @CellOption(help: "The two image cells to blend; the second is resized to the first's size.")
        var images: CellNames<LoadedImage>
        @CellOption(range: 0...1, help: "The first image's share; the second gets 1 − weight.")
        var weight = 0.5
        @CellOption(help: "Whether to show the blend in the report.")
        var show = true
    }

    private let first: CellName<LoadedImage>
    private let second: CellName<LoadedImage>
    private let weight: Double
    private let show: Bool

    init(_ cell: DirectiveCell<Options>) throws {
        let names = cell.options.images.names
        guard names.count == 2 else {
            throw CellError.invalid("':images:' needs exactly two image cells to blend, found \(names.count)")
        }
        (first, second) = (CellName(names[0]), CellName(names[1]))
        weight = cell.options.weight
        show = cell.options.show
    }

    func run(_ context: CellContext) throws -> CellRun {
        let a = try context.value(first)
        let b = try context.value(second)
        let blended = try Self.blend(a.image, b.image, weight: Float(weight))
        let source = "mix of \(a.source) and \(b.source)"
        let loaded = LoadedImage(image: blended, source: source, isPrepared: a.isPrepared)
        var outputs: [CellOutput] = []
        if show {
            let caption = "\(source): \(Self.percent(weight)) \(a.source), \(Self.percent(1 - weight)) \(b.source)"
            outputs.append(.image(try ImageOutput(try blended.fittingDisplay(), caption: caption, alt: source)))
        }
        return CellRun(outputs: outputs, value: loaded)
    }

    /// `weight·a + (1 − weight)·b`, rounded to the nearest 8-bit value; `b` is first resized to
    /// `a`'s size.
    static func blend(_ a: RGBImage, _ b: RGBImage, weight: Float) throws -> RGBImage {
        let other = a.width == b.width && a.height == b.height ? b : try b.resized(width: a.width, height: a.height)
        let pixels = zip(a.pixels, other.pixels).map { x, y in
            UInt8(min(255, max(0, (weight * Float(x) + (1 - weight) * Float(y)).rounded())))
        }
        return try RGBImage(width: a.width, height: a.height, pixels: pixels)
    }

    private static func percent(_ share: Double) -> String {
        "\(Int((share * 100).rounded())) %"
    }
}
