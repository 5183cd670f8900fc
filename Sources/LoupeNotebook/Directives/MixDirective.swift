import LoupeImage

/// `{mix} blend`: the weighted average of two images' pixels, the lecture's exercise.
struct MixDirective: Directive {
    static let name = "mix"
    static let summary = "Blends two images pixel by pixel (a weighted average of their RGB values) into a new image."
    static let argument = ArgumentSpec.requiredName(.image)
    static let options = [
        OptionSpec("images", .references(.image), help: "The two image cells to blend; the second is resized to the first's size."),
        OptionSpec("weight", .number(0...1), default: "0.5", help: "The first image's share; the second gets 1 − weight."),
        OptionSpec("show", .flag, default: "true", help: "Whether to show the blend in the report."),
    ]
    static let example = """
        ```{mix} blend
        :images: photo, cat
        :weight: 0.5
        ```
        """

    private let first: String
    private let second: String
    private let weight: Double
    private let show: Bool

    init(_ options: CellOptions) throws {
        let names = try options.references("images")
        guard names.count == 2 else {
            throw CellError.invalid("':images:' needs exactly two image cells to blend, found \(names.count)")
        }
        (first, second) = (names[0], names[1])
        weight = try options.number("weight")
        show = try options.flag("show")
    }

    func run(_ context: CellContext) throws -> CellRun {
        let a = try context.value(LoadedImage.self, named: first)
        let b = try context.value(LoadedImage.self, named: second)
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
