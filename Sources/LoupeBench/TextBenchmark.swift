import Foundation
import LoupeModels

/// How fast the text encoder embeds a list of texts: what `loupe bench text` prints and
/// `Scripts/bench/text_vs_onnxruntime.py` puts next to ONNX Runtime and PyTorch.
public enum TextBenchmark {
    /// One run's figures (snake_case keys, as the Python side reads them).
    public struct Result: Codable, Sendable {
        /// The store name of the encoder.
        public var model: String
        /// How many texts were embedded per pass.
        public var texts: Int
        /// Token ids in all, `[CLS]` and `[SEP]` included.
        public var tokens: Int
        /// Texts per forward pass.
        public var batch: Int
        /// Reading the weights and vocabulary, in seconds.
        public var load_seconds: Double
        /// The first embedding of the texts (kernels created on first use), in seconds.
        public var first_seconds: Double
        /// The median of `repetitions` warm embeddings of all the texts, in seconds.
        public var seconds: Double
        /// How many warm passes the median is taken over.
        public var repetitions: Int
        /// The process's peak resident memory after the measurements.
        public var peak_rss_mib: Double
    }

    /// Embeds `texts` with the store's `model` `repetitions` times after a first pass (never
    /// from the embedding cache) and reports the median.
    ///
    /// - Throws: the embedder's errors.
    public static func run(model: String, texts: [String], batch: Int, repetitions: Int) throws -> Result {
        var start = ProcessInfo.processInfo.systemUptime
        let embedder = try TextEmbedder(named: model)
        _ = try embedder.encoder()
        let load = ProcessInfo.processInfo.systemUptime - start
        start = ProcessInfo.processInfo.systemUptime
        _ = try embedder.embed(texts, batchSize: batch, cache: nil)
        let first = ProcessInfo.processInfo.systemUptime - start
        var times: [Double] = []
        for _ in 0..<max(1, repetitions) {
            start = ProcessInfo.processInfo.systemUptime
            _ = try embedder.embed(texts, batchSize: batch, cache: nil)
            times.append(ProcessInfo.processInfo.systemUptime - start)
        }
        let tokens = texts.reduce(0) { $0 + embedder.tokenizer.encode($1).count }
        return Result(
            model: embedder.name, texts: texts.count, tokens: tokens, batch: batch, load_seconds: load, first_seconds: first,
            seconds: times.sorted()[times.count / 2], repetitions: times.count, peak_rss_mib: ModelBenchmark.peakResidentMiB())
    }
}
