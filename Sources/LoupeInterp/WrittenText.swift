import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// Text-side probing: which written texts excite a channel most.
///
/// Each text is drawn on a blank canvas and shown to the network — the test Goh et al. (2021)
/// used to find CLIP's multimodal neurons, which answer to a concept's photos and to its name
/// in letters alike.
///
/// Letters alone can excite a channel (strokes, edges, the shape of a capital), so each text is
/// measured next to two controls: the blank canvas, and the same text with the letters of each
/// word shuffled (seeded). A channel that reads a word should answer to the word more than to
/// its anagram; how many texts beat their anagrams is the channel's summary.
public struct WrittenText: Sendable {
    /// One text's measurement.
    public struct Reading: Sendable, Hashable {
        /// The text as given.
        public let text: String
        /// The text with the letters of each word shuffled.
        public let scrambled: String
        /// The channel's mean activation over its map for the text.
        public let activation: Double
        /// The same for the scrambled text.
        public let scrambledActivation: Double
    }

    /// The readings, in the order of the texts.
    public let readings: [Reading]
    /// The channel's activation on the blank canvas.
    public let blank: Double
    /// How the texts were drawn (their em size is ``TextStyle/pixelSize``).
    public let style: TextStyle
    /// The canvas side in pixels (the model's input size).
    public let side: Int

    /// How each text is drawn: black DejaVu Sans Bold, centred on a white square canvas the
    /// size of the model's input, one em size for all, the largest (at most a fifth of the
    /// side) at which the widest text fits in nine tenths of the side.
    ///
    /// - Parameters:
    ///   - texts: The texts, on one line each.
    ///   - side: The canvas side.
    /// - Returns: The style and the blank canvas.
    /// - Throws: ``LoupeImage/ImageError`` when the font cannot be read.
    public static func style(for texts: [String], side: Int) throws -> (style: TextStyle, canvas: RGBImage) {
        let canvas = try blankCanvas(side: side)
        var size = max(8, side / 5)
        while size > 8 {
            let style = TextStyle(pixelSize: size)
            let widest = try texts.map { try canvas.textBounds($0, style: style)?.width ?? 0 }.max() ?? 0
            if Double(widest) <= 0.9 * Double(side) { break }
            size = max(8, size * 9 / 10)
        }
        return (TextStyle(pixelSize: size), canvas)
    }

    /// A white square of `side` pixels.
    ///
    /// - Parameter side: The side, at least 1.
    /// - Returns: The canvas.
    /// - Throws: ``LoupeImage/ImageError`` for a side below 1.
    public static func blankCanvas(side: Int) throws -> RGBImage {
        try RGBImage(width: side, height: side, pixels: [UInt8](repeating: 255, count: max(0, side * side * 3)))
    }

    /// The text with the letters inside each word shuffled by `rng`, spaces and punctuation in
    /// place; a word whose shuffle would give it back unchanged is rotated by one letter when
    /// it has two different letters, and kept otherwise.
    ///
    /// - Parameters:
    ///   - text: The text.
    ///   - rng: The generator.
    /// - Returns: The scrambled text.
    public static func scrambled(_ text: String, using rng: inout SplitMix64) -> String {
        var out = ""
        var word: [Character] = []
        func flush() {
            guard word.count > 1 else {
                out += String(word)
                word = []
                return
            }
            var shuffled = word
            shuffled.shuffle(using: &rng)
            if shuffled == word { shuffled = Array(word.dropFirst()) + [word[0]] }
            out += String(shuffled)
            word = []
        }
        for character in text {
            if character.isLetter {
                word.append(character)
            } else {
                flush()
                out.append(character)
            }
        }
        flush()
        return out
    }

    /// Draws every text and its anagram, runs `model` to `layer` and reads `channel`'s mean.
    ///
    /// - Parameters:
    ///   - model: The network.
    ///   - layer: The layer, by its dotted name: a feature map `[N, C, H, W]` or a vector
    ///     `[N, C]` (an embedding, a logit layer).
    ///   - channel: The channel.
    ///   - texts: The texts, at least one.
    ///   - seed: The anagrams' seed.
    ///   - batchSize: Canvases per forward pass.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for no texts;
    ///   ``InterpError/channelOutOfRange(layer:channel:channels:)``;
    ///   ``InterpError/notAFeatureMap(layer:shape:)`` for a layer of another rank;
    ///   ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)``; the font's errors.
    public init(model: Model, layer: String, channel: Int, texts: [String], seed: UInt64 = 0, batchSize: Int = 16) throws {
        guard !texts.isEmpty else { throw InterpError.invalidParameter("text-side probing needs at least one text") }
        let side = model.preprocessing.size
        var rng = SplitMix64(seed: seed)
        let anagrams = texts.map { Self.scrambled($0, using: &rng) }
        let (style, canvas) = try Self.style(for: texts + anagrams, side: side)
        let images = try [canvas] + (texts + anagrams).map { try canvas.drawingText($0, style: style) }
        let first = try model.preprocessing.input(from: canvas, fit: .asIs).tensor
        let probe = try ForwardProbe(model: model, layers: [layer], needsLogits: false, sample: first)
        var values: [Double] = []
        for start in stride(from: 0, to: images.count, by: max(1, batchSize)) {
            let batch = try images[start..<min(images.count, start + max(1, batchSize))].map {
                try model.preprocessing.input(from: $0, fit: .asIs).tensor
            }
            let output = try GradMode.withoutGrad { try probe.run(try Tensor.concatenate(batch, axis: 0)) }
            guard let activation = output.activations[layer] else {
                throw InterpError.invalidParameter("layer '\(layer)' of \(model.name) gave no output")
            }
            values += try Self.channelMeans(activation, layer: layer, channel: channel)
        }
        let count = texts.count
        readings = texts.indices.map { i in
            Reading(text: texts[i], scrambled: anagrams[i], activation: values[1 + i], scrambledActivation: values[1 + count + i])
        }
        blank = values[0]
        self.style = style
        self.side = side
    }

    /// The mean of `channel` over each sample's positions, for a `[N, C, H, W]` or `[N, C]` output.
    static func channelMeans(_ output: Tensor, layer: String, channel: Int) throws -> [Double] {
        let shape = output.shape
        guard shape.count == 4 || shape.count == 2 else { throw InterpError.notAFeatureMap(layer: layer, shape: shape) }
        guard (0..<shape[1]).contains(channel) else {
            throw InterpError.channelOutOfRange(layer: layer, channel: channel, channels: shape[1])
        }
        let positions = shape.count == 4 ? shape[2] * shape[3] : 1
        let values = try output.scalars
        return (0..<shape[0]).map { n in
            let start = (n * shape[1] + channel) * positions
            return values[start..<(start + positions)].reduce(0.0) { $0 + Double($1) } / Double(positions)
        }
    }

    /// How many texts excite the channel more than their anagrams do.
    public var beatingAnagrams: Int { readings.filter { $0.activation > $0.scrambledActivation }.count }
}
