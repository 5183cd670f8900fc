import LoupeModels
import LoupeTensor

/// Switches channels of one layer off (sets them to zero) and measures what the model then
/// predicts; finds a small set of channels whose removal changes the top class.
///
/// Channels are zeroed by the forward hook, which replaces the layer's output by the output times
/// a `[N, C, 1, 1]` mask of ones and zeros: everything downstream sees the zeros, nothing upstream
/// changes. A layer that runs more than once per pass (EfficientNet-Lite's shared `_relu`) is
/// ablated at its last run, the one ``LoupeModels/Model/forward(_:capturing:)`` captures.
public struct ChannelAblator: Sendable {
    /// The model.
    public let model: Model
    /// The layer whose channels are switched off.
    public let layer: String

    /// An ablator for `layer` of `model`.
    ///
    /// - Throws: ``LoupeModels/ModelError/unknownLayer(model:name:suggestions:)`` with the
    ///   nearest names.
    public init(model: Model, layer: String) throws {
        _ = try model.layer(named: layer)
        self.model = model
        self.layer = layer
    }

    /// The top classes of `input` (`[1, 3, H, W]`, normalised) as it is and with `channels`
    /// zeroed.
    ///
    /// - Parameters:
    ///   - channels: Channel indices; repeats are ignored, an empty list changes nothing.
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - top: How many classes each ranking lists.
    /// - Returns: The rankings before and after, with the logits and the channels removed.
    /// - Throws: ``InterpError/channelOutOfRange(layer:channel:channels:)``,
    ///   ``InterpError/notAFeatureMap(layer:shape:)``.
    public func ablate(_ channels: [Int], input: Tensor, top: Int = 5) throws -> ChannelAblation {
        let probe = try self.probe(input)
        try probe.check(channels, layer: layer)
        let after = try logits(input, removing: [channels], probe: probe)[0]
        return try ChannelAblation(
            model: model, layer: layer, channels: Self.unique(channels),
            logitsBefore: probe.logits, logitsAfter: after, top: top)
    }

    /// Searches for a small set of channels whose removal changes the top class of `input`.
    ///
    /// 1. One forward and one backward pass estimate each channel's effect on the margin
    ///    `m = logit(top class) − logit(runner-up)`: removing channel `c` changes `m` by about
    ///    `−Σₕ,ᵥ a_c · ∂m/∂a_c` (first-order Taylor, activation × gradient). Channels with a
    ///    positive estimate are ranked by it, at most `budget.maxChannels` of them.
    /// 2. Greedy: the prefixes of that ranking (the best one channel, two, …) are evaluated
    ///    exactly in batched forward passes of 1, 2, 4, … up to `budget.batchSize` prefixes, up to
    ///    the first prefix that changes the top class.
    /// 3. Pruning: each channel of that prefix, least promising first, is given back when the
    ///    top class stays changed without it; then every single channel's return is checked again
    ///    in batches until giving back any one of them restores the original top class
    ///    (``AblationSearch/isMinimal``).
    ///
    /// Every exact evaluation (one image with one set of channels removed) counts as one forward
    /// pass against `budget.maxForwardPasses`; the search stops when it is spent.
    ///
    /// - Throws: ``InterpError/notAFeatureMap(layer:shape:)``; ``InterpError/invalidParameter(_:)``
    ///   for a budget below 1.
    public func search(input: Tensor, budget: AblationBudget = AblationBudget(), top: Int = 5) throws -> AblationSearch {
        guard budget.maxChannels >= 1, budget.maxForwardPasses >= 1, budget.batchSize >= 1 else {
            throw InterpError.invalidParameter(
                "the ablation budget needs at least 1 channel, 1 forward pass and a batch of 1, got \(budget)")
        }
        let probe = try self.probe(input)
        let ranking = try estimatedEffects(input, probe: probe)
        let candidates = ranking.filter { $0.estimatedMarginDrop > 0 }.prefix(budget.maxChannels).map(\.channel)
        var passes = 0
        func changes(_ sets: [[Int]]) throws -> [Bool] {
            passes += sets.count
            return try logits(input, removing: sets, probe: probe, batchSize: budget.batchSize).map { Self.argmax($0) != probe.topClass }
        }

        // Greedy: the shortest prefix that changes the top class.
        var greedy: [Int]?
        var length = 0
        var chunk = 1
        while greedy == nil, length < candidates.count, passes < budget.maxForwardPasses {
            let lengths = Array((length + 1)...Swift.min(length + chunk, candidates.count, length + budget.maxForwardPasses - passes))
            chunk = Swift.min(chunk * 2, budget.batchSize)
            let results = try changes(lengths.map { Array(candidates.prefix($0)) })
            if let hit = results.firstIndex(of: true) { greedy = Array(candidates.prefix(lengths[hit])) }
            length = lengths.last ?? candidates.count
        }

        // Pruning: give channels back while the top class stays changed.
        var set = greedy ?? []
        var isMinimal = false
        if greedy != nil {
            for channel in set.reversed() where set.count > 1 && passes < budget.maxForwardPasses {
                let without = set.filter { $0 != channel }
                if try changes([without])[0] { set = without }
            }
            while true {
                guard set.count > 1 else { isMinimal = true; break }
                guard passes + set.count <= budget.maxForwardPasses else { break }
                let leaveOneOut = set.map { channel in set.filter { $0 != channel } }
                guard let drop = try changes(leaveOneOut).firstIndex(of: true) else { isMinimal = true; break }
                set.remove(at: drop)
            }
        }
        let ablation = try greedy.map { _ in
            try ChannelAblation(
                model: model, layer: layer, channels: set, logitsBefore: probe.logits,
                logitsAfter: logits(input, removing: [set], probe: probe)[0], top: top)
        }
        return AblationSearch(
            layer: layer, originalClass: probe.topClass, runnerUp: probe.runnerUp, ranking: ranking,
            candidates: Array(candidates), greedy: greedy, channels: set, ablation: ablation,
            forwardPasses: passes + (ablation == nil ? 0 : 1), isMinimal: isMinimal, budget: budget)
    }

    /// What one plain forward pass tells: the logits, the layer's runs and output shape.
    struct Probe {
        let logits: [Float]
        let runs: Int
        let shape: [Int]
        var channels: Int { shape[1] }
        var topClass: Int { ChannelAblator.argmax(logits) }
        var runnerUp: Int {
            var best = -1
            for index in logits.indices where index != topClass && (best < 0 || logits[index] > logits[best]) { best = index }
            return best
        }

        func check(_ channels: [Int], layer: String) throws {
            if let bad = channels.first(where: { !(0..<self.channels).contains($0) }) {
                throw InterpError.channelOutOfRange(layer: layer, channel: bad, channels: self.channels)
            }
        }
    }

    func probe(_ input: Tensor) throws -> Probe {
        guard input.rank == 4, input.shape[0] == 1 else {
            throw InterpError.invalidParameter("ablation takes one image, [1, 3, H, W]; got shape \(input.shape)")
        }
        let (logits, runs, output) = try LayerIntervention(model: model, layer: layer).observe(input)
        let shape = output?.shape ?? []
        guard runs > 0, shape.count == 4 else { throw InterpError.notAFeatureMap(layer: layer, shape: shape) }
        return Probe(logits: try logits.scalars, runs: runs, shape: shape)
    }

    /// The logits of `input` with each set of channels in `sets` removed, one row per set, in
    /// batched forward passes without gradients.
    func logits(_ input: Tensor, removing sets: [[Int]], probe: Probe, batchSize: Int = 8) throws -> [[Float]] {
        var rows: [[Float]] = []
        var start = 0
        while start < sets.count {
            let chunk = Array(sets[start..<Swift.min(start + Swift.max(batchSize, 1), sets.count)])
            var mask = [Float](repeating: 1, count: chunk.count * probe.channels)
            for (row, channels) in chunk.enumerated() {
                try probe.check(channels, layer: layer)
                for channel in channels { mask[row * probe.channels + channel] = 0 }
            }
            let maskTensor = try Tensor(shape: [chunk.count, probe.channels, 1, 1], scalars: mask)
            let batch = chunk.count == 1 ? input : try Tensor.concatenate(Array(repeating: input, count: chunk.count), axis: 0)
            let logits = try LayerIntervention(model: model, layer: layer).logits(batch, runs: probe.runs) { try $0 * maskTensor }
            let values = try logits.scalars
            let classes = logits.shape[1]
            rows += (0..<chunk.count).map { Array(values[($0 * classes)..<(($0 + 1) * classes)]) }
            start += chunk.count
        }
        return rows
    }

    /// Each channel's first-order effect on the margin between the top class and the runner-up,
    /// largest drop first.
    func estimatedEffects(_ input: Tensor, probe: Probe) throws -> [ChannelEffect] {
        let (activation, gradient) = try Engine.run { () throws -> ([Float], [Float]) in
            var run = 0
            var leaf: Tensor?
            let logits = try model(input, observing: [layer]) { name, output in
                guard name == layer else { return output }
                run += 1
                guard run == probe.runs else { return output }
                let tracked = output.detached().requiringGrad()
                leaf = tracked
                return tracked
            }
            guard let leaf else { throw InterpError.notAFeatureMap(layer: layer, shape: []) }
            var seed = [Float](repeating: 0, count: logits.count)
            seed[probe.topClass] = 1
            seed[probe.runnerUp] = -1
            let gradient = try grad(of: logits, wrt: [leaf], seed: Tensor(shape: logits.shape, scalars: seed))[0]
            return (try leaf.scalars, try gradient.scalars)
        }
        let plane = probe.shape[2] * probe.shape[3]
        let effects = (0..<probe.channels).map { channel in
            var sum: Double = 0
            for i in (channel * plane)..<((channel + 1) * plane) { sum += Double(activation[i]) * Double(gradient[i]) }
            return ChannelEffect(channel: channel, estimatedMarginDrop: Float(sum))
        }
        return effects.sorted {
            $0.estimatedMarginDrop != $1.estimatedMarginDrop ? $0.estimatedMarginDrop > $1.estimatedMarginDrop : $0.channel < $1.channel
        }
    }

    static func argmax(_ values: [Float]) -> Int {
        var best = 0
        for index in values.indices where values[index] > values[best] { best = index }
        return best
    }

    static func unique(_ channels: [Int]) -> [Int] {
        var seen: Set<Int> = []
        return channels.filter { seen.insert($0).inserted }
    }
}

/// A model's top classes for one image before and after channels of a layer were zeroed.
public struct ChannelAblation: Sendable {
    /// The layer's dotted name.
    public let layer: String
    /// The channels zeroed, without repeats, in the order given.
    public let channels: [Int]
    /// The top classes with nothing removed.
    public let before: [ClassScore]
    /// The top classes with ``channels`` zeroed.
    public let after: [ClassScore]
    /// All logits with nothing removed.
    public let logitsBefore: [Float]
    /// All logits with ``channels`` zeroed.
    public let logitsAfter: [Float]

    init(model: Model, layer: String, channels: [Int], logitsBefore: [Float], logitsAfter: [Float], top: Int) throws {
        self.layer = layer
        self.channels = channels
        self.logitsBefore = logitsBefore
        self.logitsAfter = logitsAfter
        before = try ClassScore.ranking(logitsBefore, labels: model.labels, count: top)
        after = try ClassScore.ranking(logitsAfter, labels: model.labels, count: top)
    }

    /// Whether the most likely class differs.
    public var changesTopClass: Bool { before.first?.index != after.first?.index }
}

/// A channel and its estimated effect on the margin of the top class over the runner-up.
public struct ChannelEffect: Sendable, Equatable {
    /// The channel's index in the layer's output.
    public let channel: Int
    /// `Σ activation × ∂margin/∂activation` over the channel's map: how much the margin is
    /// expected to drop when the channel is zeroed.
    public let estimatedMarginDrop: Float
}

/// How much work ``ChannelAblator/search(input:budget:top:)`` may do.
public struct AblationBudget: Sendable, Equatable, CustomStringConvertible {
    /// The most channels the greedy phase removes.
    public var maxChannels: Int
    /// The most exact evaluations (one image, one set of channels) in all.
    public var maxForwardPasses: Int
    /// Evaluations per batched forward pass.
    public var batchSize: Int

    /// A budget of at most `maxChannels` channels and `maxForwardPasses` evaluations, `batchSize` per forward pass.
    public init(maxChannels: Int = 64, maxForwardPasses: Int = 256, batchSize: Int = 8) {
        self.maxChannels = maxChannels
        self.maxForwardPasses = maxForwardPasses
        self.batchSize = batchSize
    }

    /// The budget for captions, as `64 channels, 256 forward passes, batches of 8`.
    public var description: String { "\(maxChannels) channels, \(maxForwardPasses) forward passes, batches of \(batchSize)" }
}

/// What ``ChannelAblator/search(input:budget:top:)`` found.
public struct AblationSearch: Sendable {
    /// The layer's dotted name.
    public let layer: String
    /// The top class with nothing removed.
    public let originalClass: Int
    /// The second class with nothing removed: the margin the ranking estimates is to it.
    public let runnerUp: Int
    /// Every channel with its estimated effect, largest margin drop first.
    public let ranking: [ChannelEffect]
    /// The channels the greedy phase could remove, in order.
    public let candidates: [Int]
    /// The shortest prefix of ``candidates`` that changed the top class, or `nil`.
    public let greedy: [Int]?
    /// The pruned set; empty when none was found.
    public let channels: [Int]
    /// Before and after removing ``channels``, or `nil` when no set was found.
    public let ablation: ChannelAblation?
    /// Exact evaluations done, including the final one for ``ablation``.
    public let forwardPasses: Int
    /// Whether giving back any one channel of ``channels`` was checked to restore the original
    /// top class (false when the budget ran out first or nothing was found).
    public let isMinimal: Bool
    /// The budget the search ran under.
    public let budget: AblationBudget

    /// Whether a set that changes the top class was found.
    public var found: Bool { ablation != nil }
}
