import Foundation
import LoupeModels
import LoupeTensor

/// What a feature visualisation maximises: a class logit, a channel's mean activation, one
/// neuron, a direction in a layer's channel space, or a weighted sum of these (Lucent's
/// `objectives.py`, as a value with `+`, `-` and scalar `*`).
public struct VisualizationObjective: Sendable, Equatable, CustomStringConvertible {
    /// One maximised quantity.
    public enum Term: Sendable, Equatable, CustomStringConvertible {
        /// The logit of a class, with its caption name (`flamingo (130)`).
        case classLogit(Int, name: String)
        /// The mean over positions of one channel of a layer's `[1, C, H, W]` output.
        case channel(layer: String, channel: Int)
        /// One activation of a layer's output; `nil` coordinates mean the centre
        /// (`H/2`, `W/2`).
        case neuron(layer: String, channel: Int, y: Int?, x: Int?)
        /// The mean over positions of `Σ_c weights[c] · activation[c]` (Lucid's `direction`
        /// as a dot product).
        case direction(layer: String, weights: [Float])

        /// The layer whose output the term reads, `nil` for a logit.
        public var layer: String? {
            switch self {
            case .classLogit: nil
            case let .channel(layer, _), let .neuron(layer, _, _, _), let .direction(layer, _): layer
            }
        }

        /// How captions name the term, as `logit of flamingo (130)` or `_blocks.10:7 (channel mean)`.
        public var description: String {
            switch self {
            case let .classLogit(_, name): "logit of \(name)"
            case let .channel(layer, channel): "\(layer):\(channel) (channel mean)"
            case let .neuron(layer, channel, y, x):
                if let y, let x { "\(layer):\(channel) neuron at (\(y), \(x))" } else { "\(layer):\(channel) centre neuron" }
            case let .direction(layer, weights): "\(layer) direction over \(weights.count) channels"
            }
        }
    }

    /// A term and its weight.
    public struct WeightedTerm: Sendable, Equatable {
        /// The factor the term's value is multiplied by; negative to minimise the term.
        public var weight: Float
        /// The quantity.
        public var term: Term
    }

    /// The weighted terms, summed.
    public var terms: [WeightedTerm]

    /// One term with weight 1.
    public init(_ term: Term) {
        terms = [WeightedTerm(weight: 1, term: term)]
    }

    /// The logit of class `index`.
    public static func classLogit(_ index: Int, model: Model) throws -> VisualizationObjective {
        let resolved = try model.resolve(.classIndex(index), for: Tensor(0))
        return VisualizationObjective(.classLogit(index, name: resolved.description))
    }

    /// Parses the text a notebook writes, checking it against `model`.
    ///
    /// The forms are:
    /// - an integer: a class index (`130`);
    /// - `layer:channel`: a channel's mean (`_blocks.10:7`);
    /// - `layer:channel:y:x` or `layer:channel:center`: one neuron;
    /// - `layer:w0,w1,…`: a direction (one weight per channel of the layer);
    /// - anything else: a class label, case-insensitive (`flamingo`).
    ///
    /// - Throws: ``InterpError/unknownLabel(_:suggestions:)`` with the closest labels,
    ///   ``InterpError/classOutOfRange(_:classes:)``, ``ModelError/unknownLayer(model:name:suggestions:)``
    ///   for a `layer:…` form naming no layer, ``InterpError/invalidParameter(_:)`` for a
    ///   malformed channel, neuron or direction.
    public init(parsing text: String, model: Model) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let index = Int(trimmed) {
            self = try .classLogit(index, model: model)
            return
        }
        if let colon = trimmed.firstIndex(of: ":") {
            let layer = String(trimmed[..<colon])
            let rest = trimmed[trimmed.index(after: colon)...].split(separator: ":", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            _ = try model.layer(named: layer)
            if rest.count == 1, rest[0].contains(",") {
                let weights = rest[0].split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
                guard !weights.isEmpty, weights.allSatisfy({ $0?.isFinite == true }) else {
                    throw InterpError.invalidParameter("direction '\(text)': the weights after '\(layer):' must be comma-separated numbers")
                }
                self.init(.direction(layer: layer, weights: weights.compactMap { $0 }))
                return
            }
            guard let channel = rest.first.flatMap({ Int($0) }), channel >= 0 else {
                throw InterpError.invalidParameter(
                    "'\(text)': expected layer:channel, layer:channel:y:x, layer:channel:center or layer:w0,w1,… with a channel number after '\(layer):'"
                )
            }
            switch rest.count {
            case 1:
                self.init(.channel(layer: layer, channel: channel))
            case 2 where ["center", "centre"].contains(rest[1].lowercased()):
                self.init(.neuron(layer: layer, channel: channel, y: nil, x: nil))
            case 3:
                guard let y = Int(rest[1]), let x = Int(rest[2]), y >= 0, x >= 0 else {
                    throw InterpError.invalidParameter("neuron '\(text)': y and x must be non-negative integers")
                }
                self.init(.neuron(layer: layer, channel: channel, y: y, x: x))
            default:
                throw InterpError.invalidParameter("'\(text)': expected layer:channel, layer:channel:y:x or layer:channel:center")
            }
            return
        }
        let resolved = try model.resolve(.label(trimmed), for: Tensor(0))
        self.init(.classLogit(resolved.classIndex ?? 0, name: resolved.description))
    }

    /// The layers the objective reads.
    public var layers: Set<String> { Set(terms.compactMap(\.term.layer)) }

    /// Whether any term reads the logits (so the whole network must run).
    public var needsLogits: Bool { terms.contains { if case .classLogit = $0.term { true } else { false } } }

    /// The weighted sum for captions, as `logit of flamingo (130) − 0.5 · _blocks.10:7 (channel mean)`.
    public var description: String {
        terms.enumerated().map { i, t in
            let sign = t.weight < 0 ? (i == 0 ? "−" : " − ") : (i == 0 ? "" : " + ")
            let magnitude = Swift.abs(t.weight)
            return sign + (magnitude == 1 ? "" : "\(magnitude) · ") + t.term.description
        }.joined()
    }

    /// The objective's value as a one-element tensor, differentiable through `logits` and
    /// `activations` (the captured outputs of ``layers``).
    ///
    /// - Throws: ``InterpError/notAFeatureMap(layer:shape:)``, ``InterpError/channelOutOfRange(layer:channel:channels:)``,
    ///   ``InterpError/invalidParameter(_:)`` for a neuron outside the map or a direction of the wrong length.
    public func value(logits: Tensor?, activations: [String: Tensor]) throws -> Tensor {
        var total: Tensor?
        for weighted in terms {
            let term = try Self.value(of: weighted.term, logits: logits, activations: activations)
            let scaled = weighted.weight == 1 ? term : try term * weighted.weight
            total = try total.map { try $0 + scaled } ?? scaled
        }
        guard let total else { throw InterpError.invalidParameter("the objective has no terms") }
        return total
    }

    private static func value(of term: Term, logits: Tensor?, activations: [String: Tensor]) throws -> Tensor {
        if case let .classLogit(index, _) = term {
            guard let logits, logits.rank == 2, (0..<logits.shape[1]).contains(index) else {
                throw InterpError.classOutOfRange(index, classes: logits?.shape.last ?? 0)
            }
            return try logits.slice(axis: 1, index..<(index + 1)).reshaped(to: [])
        }
        guard let layer = term.layer, let activation = activations[layer] else {
            throw InterpError.invalidParameter("internal error: layer '\(term.layer ?? "")' produced no output")
        }
        guard activation.rank == 4, activation.shape[0] == 1 else {
            throw InterpError.notAFeatureMap(layer: layer, shape: activation.shape)
        }
        let (channels, height, width) = (activation.shape[1], activation.shape[2], activation.shape[3])
        func plane(_ channel: Int) throws -> Tensor {
            guard (0..<channels).contains(channel) else {
                throw InterpError.channelOutOfRange(layer: layer, channel: channel, channels: channels)
            }
            return try activation.slice(axis: 1, channel..<(channel + 1))
        }
        switch term {
        case .classLogit:
            throw InterpError.invalidParameter("internal error: a logit term reached the layer branch")
        case let .channel(_, channel):
            // A one-element reduction is a reshape (oneDNN rejects a reduction that reduces nothing).
            let selected = try plane(channel)
            return height * width == 1 ? try selected.reshaped(to: []) : try selected.mean()
        case let .neuron(_, channel, y, x):
            let (row, column) = (y ?? height / 2, x ?? width / 2)
            guard (0..<height).contains(row), (0..<width).contains(column) else {
                throw InterpError.invalidParameter("neuron (\(row), \(column)) lies outside layer '\(layer)''s \(height)×\(width) map")
            }
            return try plane(channel).slice(axis: 2, row..<(row + 1)).slice(axis: 3, column..<(column + 1)).reshaped(to: [])
        case let .direction(_, weights):
            guard weights.count == channels else {
                throw InterpError.invalidParameter(
                    "direction for layer '\(layer)' has \(weights.count) weights; the layer has \(channels) channels")
            }
            // The mean over positions of the weighted sum is the weighted sum of the channels'
            // means: reducing the positions first keeps oneDNN on its JIT reductions (a sum over
            // the channel axis of a plain map has only a reference kernel on AVX2).
            let means = height * width == 1 ? activation : try activation.mean(axes: [2, 3], keepingDimensions: true)
            let w = try Tensor(shape: [1, channels], scalars: weights)
            return try (means.reshaped(to: [1, channels]) * w).sum()
        }
    }
}

extension VisualizationObjective {
    /// The sum: the terms of `lhs`, then those of `rhs`.
    public static func + (lhs: VisualizationObjective, rhs: VisualizationObjective) -> VisualizationObjective {
        var sum = lhs
        sum.terms += rhs.terms
        return sum
    }

    /// `objective` with every term's weight multiplied by `weight`.
    public static func * (weight: Float, objective: VisualizationObjective) -> VisualizationObjective {
        var scaled = objective
        scaled.terms = objective.terms.map { WeightedTerm(weight: weight * $0.weight, term: $0.term) }
        return scaled
    }

    /// The difference: `lhs` plus `rhs` with every weight negated.
    public static func - (lhs: VisualizationObjective, rhs: VisualizationObjective) -> VisualizationObjective {
        lhs + (-1) * rhs
    }
}
