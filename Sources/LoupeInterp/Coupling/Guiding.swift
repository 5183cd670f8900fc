import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// How a sentence-guided fine-tuning runs.
public struct GuideSettings: Sendable, Equatable {
    /// The strength α of the sentence's pattern added to the layer (as `{steer}` adds it).
    public var alpha: Double
    /// Optimiser steps.
    public var steps: Int
    /// The optimiser's step size.
    public var learningRate: Float
    /// The optimiser.
    public var update: ParameterUpdate
    /// λ, the weight of the retention term (the KL divergence from the original model's
    /// class probabilities on the training photos, without the sentence).
    public var retention: Float
    /// The share of photos held out of training, on which every effect is measured.
    public var heldOutFraction: Double
    /// Seeds the split of the photos and the order of the batches.
    public var seed: UInt64
    /// Photos per step; each runs twice, with the pattern and without.
    public var batchSize: Int
    /// What counts as done, per training photo.
    ///
    /// Suppressing: the fraction of its original probability (with the sentence) the class is
    /// lowered to on each training photo. Sensitising: how many σ the channels rise on the photos
    /// the sentence describes. A photo already at its goal adds nothing to the loss, so training
    /// stops pushing once the goal is met instead of going further than asked.
    public var goal: Double

    /// Settings with the defaults unless given.
    public init(
        alpha: Double = 8, steps: Int = 40, learningRate: Float = 3e-5, update: ParameterUpdate = .adam, retention: Float = 1,
        heldOutFraction: Double = 0.5, seed: UInt64 = 0, batchSize: Int = 32, goal: Double = 0.5
    ) {
        self.goal = goal
        self.alpha = alpha
        self.steps = steps
        self.learningRate = learningRate
        self.update = update
        self.retention = retention
        self.heldOutFraction = heldOutFraction
        self.seed = seed
        self.batchSize = batchSize
    }

    /// Refuses settings that cannot train.
    func validate() throws {
        guard alpha.isFinite, alpha > 0 else { throw InterpError.invalidParameter("alpha must be a positive number, got \(alpha)") }
        guard (1...10_000).contains(steps) else { throw InterpError.invalidParameter("steps must be 1 to 10000, got \(steps)") }
        guard retention.isFinite, retention >= 0 else {
            throw InterpError.invalidParameter("the retention weight must be 0 or more, got \(retention)")
        }
        guard heldOutFraction > 0, heldOutFraction < 1 else {
            throw InterpError.invalidParameter("the held-out share must be between 0 and 1, got \(heldOutFraction)")
        }
        guard goal.isFinite, goal > 0 else { throw InterpError.invalidParameter("the goal must be a positive number, got \(goal)") }
        guard batchSize >= 1 else { throw InterpError.invalidParameter("the batch size must be at least 1, got \(batchSize)") }
    }
}

/// One optimiser step's loss terms (before the step).
public struct GuideStep: Sendable, Equatable {
    /// The step, from 1.
    public let step: Int
    /// The mean log-probability of the class on the training batch with the sentence's pattern
    /// added (what suppressing lowers).
    public let logProbability: Double
    /// The target term: the mean over the batch of how far each photo's log-probability is
    /// above its goal (`log(goal × original)`), 0 for photos already below it.
    public let target: Double
    /// The retention term: the mean KL divergence from the original model's probabilities on
    /// the same photos without the pattern.
    public let retention: Double
    /// `target + λ·retention`, the loss minimised (0 once every photo is at its goal and the
    /// model is unchanged without the sentence).
    public let loss: Double
    /// Wall-clock seconds of the step: the forward pass of the batch with and without the
    /// pattern, the weight gradients and the update.
    public let seconds: Double
}

/// The mean probability of the class over the held-out photos, with one sentence's pattern
/// added (or none), before and after fine-tuning.
public struct GuideEffect: Sendable, Equatable {
    /// The sentence, or `nil` for the photos as they are.
    public let sentence: String?
    /// Before fine-tuning.
    public let before: Double
    /// After fine-tuning.
    public let after: Double
    /// `after / before`: 0.5 is halved.
    public var ratio: Double { before > 0 ? after / before : .nan }
}

/// What a sentence-guided fine-tuning did, measured on photos it did not train on.
public struct GuideRun: Sendable {
    /// The class whose response to the sentence was lowered.
    public let target: ResolvedTarget
    /// The sentence.
    public let sentence: String
    /// The layer the pattern was added to.
    public let layer: String
    /// The parameters trained (dotted keys).
    public let keys: [String]
    /// Each step's loss terms.
    ///
    /// Fewer than the settings' steps when every training photo
    /// reached its goal earlier (the last entry's target term is then 0, and no update followed it).
    public let steps: [GuideStep]
    /// The class's probability with the sentence's pattern, on held-out photos.
    public let effect: GuideEffect
    /// The same on the training photos.
    public let trainingEffect: GuideEffect
    /// The class's probability on held-out photos with each control sentence's pattern, and
    /// with none (the first entry).
    public let controls: [GuideEffect]
    /// The share of held-out photos whose top class is the original model's.
    public let agreement: Double
    /// For each held-out photo whose top class changed: how far ahead of its second class the
    /// original top class was (probability), so a flip between near-ties can be told apart from a
    /// damaged class.
    public let changedMargins: [Double]
    /// Photos trained on, and held out.
    public let trainingPhotos: Int, heldOutPhotos: Int
    /// The settings.
    public let settings: GuideSettings
    /// The trained parameters' values after fine-tuning, by key.
    public let edited: [String: Tensor]
}

/// Fine-tunes a model through a coupling adaptor so that a class responds less to a sentence
/// (the proposal's *suppress*: "minimise the response of the reindeer class to *a reindeer
/// without antlers*").
///
/// The sentence's pattern (``SentencePattern``, α × z × σ per coupled channel) is added to the
/// layer for every training photo, and the layers after it are trained to lower the class's
/// log-probability there, while a retention term keeps the model's probabilities on the same
/// photos without the pattern (KL divergence to the original model). Effects are measured on
/// held-out photos: the class's probability with the sentence, with control sentences and with
/// none, and the agreement of the top class with the original model.
public struct SentenceGuide {
    /// The model; its parameters are changed while training and put back afterwards.
    public let model: Model
    /// The layer the pattern is added to.
    public let layer: String

    /// Guiding through `layer` of `model`.
    ///
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)``.
    public init(model: Model, layer: String) throws {
        _ = try model.layer(named: layer)
        self.model = model
        self.layer = layer
    }

    /// Lowers `target`'s response to `pattern` by training the layers after ``layer`` on
    /// `photos` (each `[1, 3, H, W]`, preprocessed).
    ///
    /// The model's parameters are the original ones again when this returns or throws; the
    /// edited values are in ``GuideRun/edited``.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for bad settings, fewer than 4 photos, a
    ///   pattern for another layer, or a step that diverges (a loss or parameter that is not
    ///   finite: the step is named and the original weights are kept).
    public func suppress(
        _ target: ResolvedTarget, pattern: SentencePattern, controls: [SentencePattern], photos: [Tensor], settings: GuideSettings
    ) throws -> GuideRun {
        try settings.validate()
        guard settings.goal < 1 else {
            throw InterpError.invalidParameter("suppressing lowers the class to a fraction of its probability: the goal must be below 1")
        }
        guard let classIndex = target.classIndex else {
            throw InterpError.invalidParameter("suppressing needs a class, not \(target)")
        }
        guard photos.count >= 4 else {
            throw InterpError.invalidParameter("guiding needs at least 4 photos (half are held out), got \(photos.count)")
        }
        let (training, heldOut) = split(photos.count, settings: settings)
        let intervention = LayerIntervention(model: model, layer: layer)
        let (_, runs, clean) = try intervention.observe(photos[0])
        guard let clean, clean.rank == 4 || clean.rank == 2 else {
            throw InterpError.notAFeatureMap(layer: layer, shape: clean?.shape ?? [])
        }
        for p in [pattern] + controls where p.values.count != clean.shape[1] {
            throw InterpError.invalidParameter(
                "the pattern of “\(p.sentence)” has \(p.values.count) channels; \(layer) has \(clean.shape[1]): the adaptor was fitted for another layer"
            )
        }
        let keys = try ParameterTraining.keys(after: layer, in: model.network)
        let spatial = clean.rank == 4 ? [1, 1] : []

        // The changes added to the layer: α × pattern for rows with the sentence, 0 for the others.
        func delta(_ pattern: SentencePattern?, rows: Int, plainRows: Int = 0) throws -> Tensor {
            let channels = clean.shape[1]
            let row = pattern.map { $0.values.map { Float(settings.alpha) * $0 } } ?? [Float](repeating: 0, count: channels)
            let zeros = [Float](repeating: 0, count: channels)
            return try Tensor(
                shape: [rows + plainRows, channels] + spatial,
                scalars: Array((0..<rows).map { _ in row }.joined()) + Array((0..<plainRows).map { _ in zeros }.joined()))
        }
        func batched(_ indices: [Int]) throws -> Tensor { try Tensor.concatenate(indices.map { photos[$0] }, axis: 0) }
        // Mean probability of the class over `indices` with `pattern` added (nil: as they are).
        func probability(_ pattern: SentencePattern?, _ indices: [Int]) throws -> Double {
            var total = 0.0
            for start in stride(from: 0, to: indices.count, by: 16) {
                let chunk = Array(indices[start..<min(start + 16, indices.count)])
                let change = try delta(pattern, rows: chunk.count)
                let logits = try intervention.logits(try batched(chunk), runs: runs) { try $0 + change }
                let p = try logits.softmax(axis: 1).scalars
                let classes = logits.shape[1]
                total += chunk.indices.reduce(0) { $0 + Double(p[$1 * classes + classIndex]) }
            }
            return total / Double(indices.count)
        }
        func topClasses(_ indices: [Int]) throws -> [TopClass] { try self.topClasses(indices.map { photos[$0] }) }

        let before = (
            target: try probability(pattern, heldOut), training: try probability(pattern, training),
            controls: try ([nil] + controls).map { try probability($0, heldOut) }, top: try topClasses(heldOut)
        )
        // The original model's log-probabilities on the training photos, for retention, and
        // its log-probability of the class with the pattern, for each photo's goal.
        var originalLogP: [Int: [Float]] = [:], goalLogP: [Int: Float] = [:]
        let change = try delta(pattern, rows: 1)
        for index in training {
            let logits = try GradMode.withoutGrad { try model(photos[index]) }
            originalLogP[index] = try logits.logSoftmax(axis: 1).scalars
            let steered = try intervention.logits(photos[index], runs: runs) { try $0 + change }
            goalLogP[index] = try steered.logSoftmax(axis: 1).scalars[classIndex] + Float(Foundation.log(settings.goal))
        }

        let trainer = try ParameterTraining(
            network: model.network, keys: keys, update: settings.update, learningRate: settings.learningRate)
        let steps = try Self.train(trainer, units: training, settings: settings) { batch in
            let n = batch.count
            let input = try batched(batch + batch)
            let change = try delta(pattern, rows: n, plainRows: n)
            let logits = try intervention.logits(input, runs: runs, recordingGradients: true) { try $0 + change }
            let classes = logits.shape[1]
            let logP = try logits.logSoftmax(axis: 1)
            // Target: mean over the rows with the pattern of how far log p(class) is above the goal.
            let pick = try Tensor(
                shape: [2 * n, classes],
                scalars: (0..<(2 * n)).flatMap { row in (0..<classes).map { row < n && $0 == classIndex ? 1 : 0 } })
            let classLogP = try (logP * pick).sum(axes: [1]).slice(axis: 0, 0..<n)
            let goals = try Tensor(shape: [n], scalars: batch.map { goalLogP[$0] ?? 0 })
            let target = try (classLogP - goals).relu().mean()
            // Retention on the rows without it.
            let retention = try Self.divergence(from: batch.map { originalLogP[$0] ?? [] }, to: logP.slice(axis: 0, n..<(2 * n)))
            let meanLogP = try classLogP.scalars.reduce(0) { $0 + Double($1) } / Double(n)
            return (target, retention, meanLogP)
        }
        let edited = Dictionary(uniqueKeysWithValues: zip(trainer.keys, try trainer.tensors))
        let after: (target: Double, training: Double, controls: [Double], top: [TopClass])
        do {
            after = (
                target: try probability(pattern, heldOut), training: try probability(pattern, training),
                controls: try ([nil] + controls).map { try probability($0, heldOut) }, top: try topClasses(heldOut)
            )
        } catch {
            try trainer.restore()
            throw error
        }
        try trainer.restore()
        let retained = Retention(before: before.top, after: after.top)
        return GuideRun(
            target: target, sentence: pattern.sentence, layer: layer, keys: keys, steps: steps,
            effect: GuideEffect(sentence: pattern.sentence, before: before.target, after: after.target),
            trainingEffect: GuideEffect(sentence: pattern.sentence, before: before.training, after: after.training),
            controls: zip([nil] + controls, zip(before.controls, after.controls)).map {
                GuideEffect(sentence: $0?.sentence, before: $1.0, after: $1.1)
            },
            agreement: retained.agreement, changedMargins: retained.changedMargins, trainingPhotos: training.count,
            heldOutPhotos: heldOut.count, settings: settings, edited: edited)
    }

    /// Each photo's top class under the model as it is now, and how far ahead of the second it was.
    func topClasses(_ photos: [Tensor]) throws -> [TopClass] {
        try stride(from: 0, to: photos.count, by: 16).flatMap { start in
            let chunk = Array(photos[start..<min(start + 16, photos.count)])
            let p = try GradMode.withoutGrad { try model(try Tensor.concatenate(chunk, axis: 0)).softmax(axis: 1) }
            let classes = p.shape[1]
            let values = try p.scalars
            return (0..<chunk.count).map { row in
                let probabilities = values[(row * classes)..<((row + 1) * classes)]
                let best = probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? row * classes
                let second = probabilities.indices.filter { $0 != best }.map { probabilities[$0] }.max() ?? 0
                return TopClass(index: best - row * classes, margin: Double(probabilities[best] - second))
            }
        }
    }

    /// The training loop of both forms.
    ///
    /// Seeded batches over `units` (indices the loss reads), one optimiser step per batch on
    /// `target + λ·retention`, until `settings.steps` or until a whole pass over the units has a
    /// target term of 0 (every unit at its goal: stopping keeps the optimiser's momentum from
    /// going further than asked). The trained values stop recording gradients at the end; on any
    /// error the original values are put back.
    ///
    /// - Parameters:
    ///   - trainer: the parameters trained and their optimiser.
    ///   - units: what a batch is drawn from.
    ///   - settings: steps, batch size, retention weight and seed.
    ///   - loss: for a batch, its target term, its retention term (scalars recording gradients)
    ///     and the number the curve shows for it.
    /// - Returns: each step's terms.
    /// - Throws: ``InterpError/invalidParameter(_:)`` naming the step whose loss is not finite;
    ///   `loss`'s and the optimiser's errors.
    static func train(
        _ trainer: ParameterTraining, units: [Int], settings: GuideSettings,
        loss: (_ batch: [Int]) throws -> (target: Tensor, retention: Tensor, shown: Double)
    ) throws -> [GuideStep] {
        var steps: [GuideStep] = []
        var rng = SplitMix64(seed: settings.seed &+ 1)
        var order: [Int] = []
        var atGoal = 0
        do {
            for step in 1...settings.steps {
                let size = min(settings.batchSize, units.count)
                if order.count < size { order += shuffled(units, using: &rng) }
                let batch = Array(order.prefix(size))
                order.removeFirst(batch.count)
                let started = Date()
                let (target, retention, shown) = try loss(batch)
                let total = try target + retention * settings.retention
                let (t, r, l) = (Double(try target.scalars[0]), Double(try retention.scalars[0]), Double(try total.scalars[0]))
                guard l.isFinite else {
                    throw InterpError.invalidParameter(
                        "the loss is not finite at step \(step): training diverged (lower the learning rate)")
                }
                atGoal = t == 0 ? atGoal + batch.count : 0
                if atGoal >= units.count {
                    steps.append(GuideStep(step: step, logProbability: shown, target: t, retention: r, loss: l, seconds: 0))
                    break
                }
                try trainer.step(gradients: try grad(of: total, wrt: try trainer.tensors))
                steps.append(
                    GuideStep(
                        step: step, logProbability: shown, target: t, retention: r, loss: l, seconds: Date().timeIntervalSince(started)))
            }
            try trainer.finish()
        } catch {
            try trainer.restore()
            throw error
        }
        return steps
    }

    /// The mean KL divergence from the original model's log-probabilities (`original`, one row
    /// per photo, constants) to `logP` (`[n, classes]`, recording gradients): the retention term.
    static func divergence(from original: [[Float]], to logP: Tensor) throws -> Tensor {
        let (n, classes) = (logP.shape[0], logP.shape[1])
        let flat = original.flatMap { $0 }
        let p0 = try Tensor(shape: [n, classes], scalars: flat.map { Foundation.exp($0) / Float(n) })
        return try (p0 * (Tensor(shape: [n, classes], scalars: flat) - logP)).sum()
    }

    /// Every photo in `files` as a model input `[1, 3, H, W]`, fitted as the model fits photos.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a file that is not a photo; the decoders' errors.
    public static func inputs(_ files: [URL], preprocessing: Preprocessing) throws -> [Tensor] {
        try inputs(files, preprocessing: preprocessing, crops: 0, seed: 0).map { $0[0] }
    }

    /// Every photo in `files` with `crops` seeded crops of it (as ``ProbeSet`` crops them), each
    /// as a model input `[1, 3, H, W]`: `result[i][0]` is photo `i` fitted as the model fits
    /// photos, the rest its crops resized to the input.
    ///
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a file that is not a photo; the decoders' errors.
    public static func inputs(_ files: [URL], preprocessing: Preprocessing, crops: Int, seed: UInt64) throws -> [[Tensor]] {
        var inputs = [[Tensor]](repeating: [], count: files.count)
        let set = try ProbeSet(files: files, cropsPerPhoto: crops, seed: seed)
        if let skipped = set.skipped.first {
            throw InterpError.invalidParameter("\(skipped.file.path) cannot be used: \(skipped.reason)")
        }
        try set.forEachBatch(preprocessing: preprocessing, batchSize: 16) { indices, batch in
            for (row, probe) in indices.enumerated() {
                inputs[set.probes[probe].photo].append(try batch.slice(axis: 0, row..<(row + 1)))
            }
        }
        return inputs
    }

    /// Training and held-out photo indices, split by the seed.
    func split(_ count: Int, settings: GuideSettings) -> (training: [Int], heldOut: [Int]) {
        var rng = SplitMix64(seed: settings.seed)
        let order = Self.shuffled(Array(0..<count), using: &rng)
        let held = min(count - 2, max(2, Int((Double(count) * settings.heldOutFraction).rounded())))
        return (Array(order[held...]).sorted(), Array(order[..<held]).sorted())
    }

    /// A Fisher–Yates shuffle driven by `rng` alone, so that a seed gives the same order on
    /// every platform and Swift version.
    static func shuffled(_ values: [Int], using rng: inout SplitMix64) -> [Int] {
        var out = values
        guard out.count > 1 else { return out }
        for i in stride(from: out.count - 1, to: 0, by: -1) {
            let j = Int(rng.next() % UInt64(i + 1))
            out.swapAt(i, j)
        }
        return out
    }
}

/// A photo's top class and its lead over the second, in probability.
struct TopClass: Equatable {
    let index: Int
    let margin: Double
}

/// How many photos keep their top class after an edit, and how close the ones that changed were.
struct Retention {
    let agreement: Double
    let changedMargins: [Double]

    init(before: [TopClass], after: [TopClass]) {
        let pairs = zip(before, after)
        agreement = Double(pairs.filter { $0.index == $1.index }.count) / Double(max(before.count, 1))
        changedMargins = pairs.filter { $0.index != $1.index }.map(\.0.margin)
    }

}

extension GuideRun {
    /// What the edit was, for the `__metadata__` of the edited model's safetensors file: the
    /// base model and its weights' fingerprint, the sentence, class, layer, settings and the
    /// keys trained, and the measured effect.
    ///
    /// - Parameter model: the model that was guided (with its original weights loaded).
    /// - Returns: string keys and values, all prefixed `loupe_`.
    /// - Throws: when the model's weights cannot be read.
    public func metadata(model: Model) throws -> [String: String] {
        [
            "loupe_edit": "suppress", "loupe_base_model": model.name, "loupe_base_architecture": model.architectureName,
            "loupe_base_fingerprint": try ModelFingerprint.of(model), "loupe_sentence": sentence, "loupe_class": target.description,
            "loupe_layer": layer, "loupe_trained": keys.joined(separator: ","), "loupe_steps": "\(settings.steps)",
            "loupe_optimizer": settings.update.description, "loupe_learning_rate": "\(settings.learningRate)",
            "loupe_alpha": "\(settings.alpha)", "loupe_goal": "\(settings.goal)", "loupe_retention": "\(settings.retention)",
            "loupe_seed": "\(settings.seed)",
            "loupe_effect": String(format: "%.4f -> %.4f on %d held-out photos", effect.before, effect.after, heldOutPhotos),
            "loupe_agreement": String(format: "%.4f", agreement),
        ]
    }
}
