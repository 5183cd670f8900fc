import Foundation
import LoupeModels
import LoupeTensor

/// One group of photos' activation of the chosen channels, before and after fine-tuning.
public struct ChannelResponse: Sendable, Equatable {
    /// The mean over the photos of the channels' mean standardised activation (in σ over the
    /// coupling probes), before.
    public let before: Double
    /// The same after.
    public let after: Double
}

/// What sensitising did, measured on photos it did not train on.
public struct SensitiseRun: Sendable {
    /// The sentence the channels were taught.
    public let sentence: String
    /// The layer and the channels taught.
    public let layer: String, channels: [Int]
    /// The parameters trained (the layer's own).
    public let keys: [String]
    /// Each step's loss terms: `target` is how far the batch still is from its goals (its
    /// described photos `goal` σ above where they started, the others not above), and
    /// `logProbability` is the batch's mean standardised activation of the channels on the photos
    /// the sentence describes.
    public let steps: [GuideStep]
    /// On held-out photos the sentence describes.
    public let described: ChannelResponse
    /// On the other held-out photos.
    public let others: ChannelResponse
    /// How well the channels' activation tells the held-out described photos from the others
    /// (ROC AUC: 0.5 is chance), before and after.
    public let aucBefore: Double, aucAfter: Double
    /// The share of held-out photos whose top class is the original model's.
    public let agreement: Double
    /// For each held-out photo whose top class changed, the original top class's lead over the second.
    public let changedMargins: [Double]
    /// Photos trained on (described, others) and held out (described, others).
    public let training: (described: Int, others: Int), heldOut: (described: Int, others: Int)
    /// The settings.
    public let settings: GuideSettings
    /// The trained values, by key.
    public let edited: [String: Tensor]
}

extension SentenceGuide {
    /// Teaches `channels` of ``layer`` to respond to a sentence (the proposal's *sensitise*:
    /// "require that some filters respond strongly to the mapped sentence"): the layer's own
    /// parameters are trained so that the channels' mean standardised activation rises by
    /// `settings.goal` σ on the photos the sentence describes and does not rise on the others,
    /// with the retention term on the model's class probabilities.
    ///
    /// A photo is *described* when `relevance` (one score per photo: how well its annotation
    /// matches the sentence, as ``CouplingSet/relevance(of:embedder:)`` gives) is in the top
    /// `describedFraction` of the photos. The adaptor gives each channel's mean and σ. Each
    /// photo comes with its variants (`photos[i][0]` the whole photo, then seeded crops of it, as
    /// ``SentenceGuide/inputs(_:preprocessing:crops:seed:)`` makes them): training uses every
    /// variant of the training photos, and effects are measured on the whole held-out photos.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for bad settings, channels out of range,
    ///   too few photos of either kind, or a step that diverges; the original weights are kept.
    public func sensitise(
        channels: [Int], sentence: String, relevance: [Double], adaptor: Adaptor, photos: [[Tensor]], describedFraction: Double = 0.25,
        settings: GuideSettings
    ) throws -> SensitiseRun {
        try settings.validate()
        guard relevance.count == photos.count, photos.allSatisfy({ !$0.isEmpty }) else {
            throw InterpError.invalidParameter("\(relevance.count) relevance scores for \(photos.count) photos")
        }
        let count = adaptor.activationMean.count
        guard !channels.isEmpty, channels.allSatisfy({ (0..<count).contains($0) }) else {
            throw InterpError.invalidParameter("choose channels of \(layer) between 0 and \(count - 1), got \(channels)")
        }
        guard describedFraction > 0, describedFraction < 1 else {
            throw InterpError.invalidParameter("the described share must be between 0 and 1, got \(describedFraction)")
        }
        let threshold = relevance.sorted(by: >)[max(0, Int((Double(photos.count) * describedFraction).rounded()) - 1)]
        let isDescribed = relevance.map { $0 >= threshold }
        let (training, heldOut) = split(photos.count, settings: settings)
        for (part, indices) in [("training", training), ("held-out", heldOut)] {
            let described = indices.filter { isDescribed[$0] }.count
            guard described >= 1, described < indices.count else {
                throw InterpError.invalidParameter(
                    "the \(part) photos need some the sentence describes and some it does not; found \(described) of \(indices.count)")
            }
        }
        let keys = try ParameterTraining.keys(inside: layer, in: model.network)

        // z(x): the chosen channels' mean of (spatial mean − μ) / σ.
        let weights = (0..<count).map {
            channels.contains($0) ? Float(1 / (Double(channels.count) * max(adaptor.activationStd[$0], 1e-12))) : 0
        }
        let offset = channels.reduce(0) { $0 + adaptor.activationMean[$1] / max(adaptor.activationStd[$1], 1e-12) } / Double(channels.count)
        let layerName = layer
        func pass(_ input: Tensor) throws -> (z: Tensor, logits: Tensor) {
            var captured: Tensor?
            let logits = try model(input, observing: [layerName]) { name, output in
                if name == layerName { captured = output }
                return output
            }
            guard let activation = captured, activation.rank == 4 || activation.rank == 2, activation.shape[1] == count else {
                throw InterpError.notAFeatureMap(layer: layerName, shape: captured?.shape ?? [])
            }
            let means = activation.rank == 4 ? try activation.mean(axes: [2, 3]) : activation
            let z = try (means * Tensor(shape: [1, count], scalars: weights)).sum(axes: [1]) - Float(offset)
            return (z, logits)
        }
        // Training units: every variant of every training photo; unit u shows photo unitPhoto[u].
        let units = training.flatMap { photo in photos[photo].map { (photo: photo, input: $0) } }
        let unitPhoto = units.map(\.photo)
        func batched(_ inputs: [Tensor]) throws -> Tensor { try Tensor.concatenate(inputs, axis: 0) }
        func zValues(_ inputs: [Tensor]) throws -> [Double] {
            var z: [Double] = []
            for start in stride(from: 0, to: inputs.count, by: 16) {
                let chunk = Array(inputs[start..<min(start + 16, inputs.count)])
                let (values, _) = try GradMode.withoutGrad { try pass(try batched(chunk)) }
                z += try values.scalars.map(Double.init)
            }
            return z
        }
        let wholeHeldOut = heldOut.map { photos[$0][0] }
        func measure() throws -> (z: [Double], top: [TopClass]) { (try zValues(wholeHeldOut), try topClasses(wholeHeldOut)) }

        let before = try measure()
        let startZ = try zValues(units.map(\.input)).map(Float.init)
        var originalLogP: [[Float]] = []
        for start in stride(from: 0, to: units.count, by: 16) {
            let chunk = units[start..<min(start + 16, units.count)].map(\.input)
            let logP = try GradMode.withoutGrad { try model(try batched(chunk)).logSoftmax(axis: 1) }
            let classes = logP.shape[1], values = try logP.scalars
            originalLogP += (0..<chunk.count).map { Array(values[($0 * classes)..<(($0 + 1) * classes)]) }
        }

        let trainer = try ParameterTraining(
            network: model.network, keys: keys, update: settings.update, learningRate: settings.learningRate)
        let isDescribedUnit = { (unit: Int) in isDescribed[unitPhoto[unit]] }
        let steps = try Self.train(trainer, units: Array(units.indices), settings: settings) { batch in
            let n = batch.count
            let (z, logits) = try pass(try batched(batch.map { units[$0].input }))
            // Described photos: how far below start + goal; the others: how far above start.
            let sign = batch.map { isDescribedUnit($0) ? Float(-1) : 1 }
            let goals = batch.map { startZ[$0] + (isDescribedUnit($0) ? Float(settings.goal) : 0) }
            let gaps = try ((z - Tensor(shape: [n], scalars: goals)) * Tensor(shape: [n], scalars: sign)).relu()
            let described = batch.filter(isDescribedUnit).count
            let perRow = batch.map { isDescribedUnit($0) ? 1 / Float(max(described, 1)) : 1 / Float(max(n - described, 1)) }
            let target = try (gaps * Tensor(shape: [n], scalars: perRow)).sum()
            let retention = try Self.divergence(from: batch.map { originalLogP[$0] }, to: logits.logSoftmax(axis: 1))
            let zValues = try z.scalars
            let describedMean = batch.indices.filter { isDescribedUnit(batch[$0]) }.reduce(0) { $0 + Double(zValues[$1]) }
            return (target, retention, describedMean / Double(max(described, 1)))
        }
        let edited = Dictionary(uniqueKeysWithValues: zip(trainer.keys, try trainer.tensors))
        let after: (z: [Double], top: [TopClass])
        do {
            after = try measure()
        } catch {
            try trainer.restore()
            throw error
        }
        try trainer.restore()
        let heldDescribed = heldOut.map { isDescribed[$0] }
        func mean(_ values: [Double], _ keep: Bool) -> Double {
            let chosen = zip(values, heldDescribed).filter { $0.1 == keep }.map(\.0)
            return chosen.reduce(0, +) / Double(max(chosen.count, 1))
        }
        return SensitiseRun(
            sentence: sentence, layer: layer, channels: channels, keys: keys, steps: steps,
            described: ChannelResponse(before: mean(before.z, true), after: mean(after.z, true)),
            others: ChannelResponse(before: mean(before.z, false), after: mean(after.z, false)),
            aucBefore: Self.auc(before.z, positive: heldDescribed), aucAfter: Self.auc(after.z, positive: heldDescribed),
            agreement: Retention(before: before.top, after: after.top).agreement,
            changedMargins: Retention(before: before.top, after: after.top).changedMargins,
            training: (training.filter { isDescribed[$0] }.count, training.filter { !isDescribed[$0] }.count),
            heldOut: (heldDescribed.filter { $0 }.count, heldDescribed.filter { !$0 }.count), settings: settings, edited: edited)
    }

    /// ROC AUC of `scores` for `positive` against the rest (NaN without both kinds).
    static func auc(_ scores: [Double], positive: [Bool]) -> Double {
        let pos = zip(scores, positive).filter(\.1).map(\.0), neg = zip(scores, positive).filter { !$0.1 }.map(\.0)
        return RankCorrelation.auc(positives: pos, negatives: neg) ?? .nan
    }
}

extension SensitiseRun {
    /// What the edit was, for the edited model's safetensors metadata (as
    /// ``GuideRun/metadata(model:)``).
    ///
    /// - Parameter model: the model that was guided (with its original weights loaded).
    /// - Returns: string keys and values, all prefixed `loupe_`.
    /// - Throws: when the model's weights cannot be read.
    public func metadata(model: Model) throws -> [String: String] {
        [
            "loupe_edit": "sensitise", "loupe_base_model": model.name, "loupe_base_architecture": model.architectureName,
            "loupe_base_fingerprint": try ModelFingerprint.of(model), "loupe_sentence": sentence, "loupe_layer": layer,
            "loupe_channels": channels.map(String.init).joined(separator: ","), "loupe_trained": keys.joined(separator: ","),
            "loupe_steps": "\(steps.count)", "loupe_optimizer": settings.update.description,
            "loupe_learning_rate": "\(settings.learningRate)", "loupe_raise": "\(settings.goal)",
            "loupe_retention": "\(settings.retention)",
            "loupe_seed": "\(settings.seed)",
            "loupe_effect": String(
                format: "described %+.3f -> %+.3f, others %+.3f -> %+.3f sigma; AUC %.3f -> %.3f", described.before, described.after,
                others.before, others.after, aucBefore, aucAfter),
            "loupe_agreement": String(format: "%.4f", agreement),
        ]
    }
}

extension CouplingSet {
    /// How well each photo's captions match `sentence`: the largest cosine between the
    /// sentence's vector and the photo's captions' vectors, one score per photo of ``photos``.
    ///
    /// - Throws: the encoder's errors.
    public func relevance(of sentence: String, embedder: TextEmbedder) throws -> [Double] {
        let all = captions.flatMap { $0 }
        let vectors = try embedder.embed([sentence] + all).vectors
        let query = vectors[0]
        var scores: [Double] = []
        var next = 1
        for photo in captions {
            let cosines = vectors[next..<(next + photo.count)].map { v in zip(query, v).reduce(0) { $0 + Double($1.0 * $1.1) } }
            scores.append(cosines.max() ?? -1)
            next += photo.count
        }
        return scores
    }
}
