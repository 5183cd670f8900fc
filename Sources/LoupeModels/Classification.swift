import LoupeTensor

/// One class of a prediction: index, label, logit and softmax probability.
public struct ClassScore: Sendable, Equatable {
    /// The class index.
    public let index: Int
    /// The class name from the model's labels (`class N` when there is none).
    public let label: String
    /// The raw score.
    public let logit: Float
    /// The softmax probability over all classes.
    public let probability: Float
}

extension ClassScore {
    /// The `count` highest of one image's `logits`, highest first, with their softmax
    /// probabilities over all classes and their `labels` (`class N` past the end).
    ///
    /// - Throws: ``TensorError`` when `logits` is empty.
    public static func ranking(_ logits: [Float], labels: [String], count: Int) throws -> [ClassScore] {
        let tensor = try Tensor(shape: [1, logits.count], scalars: logits)
        let probabilities = try tensor.softmax(axis: -1).scalars
        let (values, indices) = try tensor.topK(min(max(count, 1), logits.count), axis: -1)
        return try zip(values.scalars, indices).map { logit, index in
            ClassScore(
                index: index, label: index < labels.count ? labels[index] : "class \(index)", logit: logit,
                probability: probabilities[index])
        }
    }
}

extension Model {
    /// The `count` most likely classes for a batch of one image, most likely first.
    ///
    /// - Parameters:
    ///   - input: A `[1, 3, H, W]` normalised image.
    ///   - count: How many classes, clamped to `1…classes`.
    /// - Returns: The classes with their index, label, logit and softmax probability.
    /// - Throws: ``TensorError`` when the input does not fit the network.
    public func topClasses(for input: Tensor, count: Int) throws -> [ClassScore] {
        let logits = try GradMode.withoutGrad { try self(input) }
        return try ClassScore.ranking(logits.scalars, labels: labels, count: count)
    }
}
