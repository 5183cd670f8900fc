import Foundation
import LoupeModels
import LoupeTensor
import LoupeText

/// How fast a CLIP embeds images and texts: what `loupe bench clip` prints and
/// `Scripts/bench/clip_vs_torch.py` puts next to open_clip on PyTorch.
public enum CLIPBenchmark {
    /// One run's figures (snake_case keys, as the Python side reads them).
    public struct Result: Codable, Sendable {
        /// The variant, as `ViT-B/32`.
        public var variant: String
        /// Reading and checking the weights, in seconds.
        public var load_seconds: Double
        /// The median time of one image, `[1, 3, S, S]`, in seconds.
        public var image_batch1_seconds: Double
        /// The median time of 32 images in one batch, in seconds.
        public var image_batch32_seconds: Double
        /// How many prompts were embedded (labels × templates).
        public var prompts: Int
        /// Token ids in all the prompts, start and end included.
        public var prompt_tokens: Int
        /// Tokenizing and embedding every prompt once (kernels already made), in seconds.
        public var text_seconds: Double
        /// Of which tokenizing, in seconds.
        public var tokenize_seconds: Double
        /// The process's peak resident memory after the measurements.
        public var peak_rss_mib: Double
    }

    /// Loads the CLIP at `weights`, times images at batch 1 and 32 (random inputs, seeded) and
    /// the embedding of every label in every template (none when `labels` is empty).
    ///
    /// - Parameters:
    ///   - weights: the checkpoint.
    ///   - activation: the MLPs' function, or the file's.
    ///   - labels: the class names.
    ///   - templates: the prompt frames.
    ///   - textBatch: prompts per forward pass.
    /// - Returns: the figures.
    /// - Throws: the model's and tokenizer's errors.
    public static func run(
        weights: URL, activation: LinearActivation?, labels: [String], templates: [PromptTemplate], textBatch: Int
    ) throws -> Result {
        var start = Timing.now()
        let model = try CLIPModel(weights: weights, activation: activation)
        let load = Timing.now() - start
        let tokenizer = try CLIPTokenizer.pretrained(contextLength: model.configuration.contextLength)
        let size = model.configuration.imageSize
        var rng = SplitMix64(seed: 1)
        let one = try Tensor.randomNormal([1, 3, size, size], standardDeviation: 1, using: &rng)
        let many = try Tensor.randomNormal([32, 3, size, size], standardDeviation: 1, using: &rng)
        let single = try Timing.median(warmup: 2, minimumRepetitions: 5, budget: 1) { _ = try model.imageEmbeddings(one) }
        let batch = try Timing.median(warmup: 1, minimumRepetitions: 3, budget: 1) { _ = try model.imageEmbeddings(many) }
        let prompts = labels.flatMap { label in templates.map { $0.sentences([label])[0] } }
        var (rows, tokenize, text) = ([[Int]](), 0.0, 0.0)
        if !prompts.isEmpty {
            // Kernels for the text tower are made on a first, small pass.
            _ = try model.textEmbeddings(prompts.prefix(textBatch).map { tokenizer.encode($0).ids }, batchSize: textBatch)
            start = Timing.now()
            rows = prompts.map { tokenizer.encode($0).ids }
            tokenize = Timing.now() - start
            _ = try model.textEmbeddings(rows, batchSize: textBatch)
            text = Timing.now() - start
        }
        return Result(
            variant: model.configuration.variantName, load_seconds: load, image_batch1_seconds: single, image_batch32_seconds: batch,
            prompts: prompts.count, prompt_tokens: rows.reduce(0) { $0 + $1.count }, text_seconds: text, tokenize_seconds: tokenize,
            peak_rss_mib: ModelBenchmark.peakResidentMiB())
    }
}
