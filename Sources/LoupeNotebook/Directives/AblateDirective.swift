import Foundation
import LoupeInterp
import LoupeModels

/// `{ablate}`: switch channels of a layer off and compare the top classes before and after, or
/// search for a small set of channels whose removal changes the top class.
struct AblateDirective: Directive {
    static let name = "ablate"
    static let summary =
        "Channel ablation: zeroes chosen channels of a layer (or finds a small set that changes the top class) and compares the top classes before and after."
    static let example = """
        ```{ablate}
        :model: net
        :image: photo
        :layer: _blocks.15
        :find: true
        ```
        """

    /// The before-and-after table's columns.
    static let columns = ["Rank", "Before", "Logit", "Probability", "After", "Logit", "Probability"]

    struct Options: DirectiveOptions {
        @CellOption(help: "The `{model}` cell; `defaults: model:` can supply it.")
        var model: CellName<LoadedModel>
        @CellOption(help: "The image cell; `defaults: image:` can supply it.")
        var image: CellName<LoadedImage>
        @CellOption(
            help:
                "The layer, by its PyTorch dotted name (`_blocks.15`, `layer4.1.conv2`); a layer that runs twice is ablated at its last run."
        )
        var layer: String
        @CellOption(help: "The channels to zero: indices and ranges, `3, 17, 40-43`. Leave out with `find: true`.")
        var channels: String?
        @CellOption(
            help:
                "Search for a small set of channels whose removal changes the top class: rank by activation × gradient of the margin over the runner-up, remove greedily, then prune."
        )
        var find = false
        @CellOption(range: 1...20, help: "How many classes to list before and after.")
        var top = 5
        @CellOption("max-channels", range: 1...4096, help: "With `find`: the most channels the greedy phase removes.")
        var maxChannels = 64
        @CellOption(
            "max-passes", range: 1...100_000, help: "With `find`: the most exact evaluations (one image with one set of channels removed).")
        var maxPasses = 256
        @CellOption(range: 1...64, help: "With `find`: evaluations per batched forward pass.")
        var batch = 8
        @CellOption(help: "The table's caption; by default model, image, layer and channels.")
        var caption: String?
    }

    private let modelName: CellName<LoadedModel>
    private let imageName: CellName<LoadedImage>
    private let layer: String
    private let channels: [Int]
    private let find: Bool
    private let top: Int
    private let budget: AblationBudget
    private let caption: String?

    init(_ cell: DirectiveCell<Options>) throws {
        let options = cell.options
        modelName = options.model
        imageName = options.image
        layer = options.layer.trimmingCharacters(in: .whitespaces)
        find = options.find
        switch (options.channels, find) {
        case (nil, false): throw CellError.invalid("'{ablate}' needs ':channels:' (for example `3, 17, 40-43`) or ':find: true'")
        case (_?, true): throw CellError.invalid("set either ':channels:' or ':find: true', not both")
        case let (text?, false): channels = try IndexList.parse(text, option: "option ':channels:'")
        case (nil, true): channels = []
        }
        top = options.top
        budget = AblationBudget(maxChannels: options.maxChannels, maxForwardPasses: options.maxPasses, batchSize: options.batch)
        caption = options.caption
    }

    func run(_ context: CellContext) throws -> CellRun {
        let loaded = try context.value(modelName)
        let picture = try context.value(imageName)
        let input = try picture.input(for: loaded.model)
        let ablator: ChannelAblator
        do {
            ablator = try ChannelAblator(model: loaded.model, layer: layer)
        } catch {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        }
        let subject = "\(loaded.caption) for \(picture.source)"
        guard find else {
            let ablation: ChannelAblation
            do {
                ablation = try ablator.ablate(channels, input: input, top: top)
            } catch let error as InterpError {
                if case .channelOutOfRange = error { throw CellError.badOption(option: "channels", reason: "\(error)") }
                throw CellError.badOption(option: "layer", reason: "\(error)")
            }
            let text =
                caption ?? "Top-\(ablation.before.count) classes of \(subject) before and after zeroing "
                + Self.channelList(ablation.channels) + " of \(layer)"
            return CellRun(outputs: [.table(Self.table(ablation, caption: text))])
        }

        let search: AblationSearch
        do {
            search = try ablator.search(input: input, budget: budget, top: top)
        } catch let error as InterpError {
            throw CellError.badOption(option: "layer", reason: "\(error)")
        }
        let labels = loaded.model.labels
        let name = { (index: Int) in "\(index < labels.count ? labels[index] : "class \(index)") (\(index))" }
        let effort = "\(search.forwardPasses) forward passes; budget \(search.budget)"
        guard let ablation = search.ablation, let greedy = search.greedy else {
            let considered = search.candidates.count
            return CellRun(outputs: [
                .text(
                    "No set found for \(subject): zeroing up to \(considered) channel\(considered == 1 ? "" : "s") of \(layer),\n"
                        + "ranked by activation × gradient of the margin of \(name(search.originalClass)) over \(name(search.runnerUp)),\n"
                        + "keeps \(name(search.originalClass)) first (\(effort)).\n"
                        + "Raise :max-channels: or :max-passes:, or try a later layer.")
            ])
        }
        let effects = Dictionary(
            uniqueKeysWithValues: search.ranking.enumerated().map { ($1.channel, (rank: $0 + 1, drop: $1.estimatedMarginDrop)) })
        let minimal =
            !search.isMinimal
            ? "the budget ran out before every channel's return was checked"
            : search.channels.count == 1
                ? "giving it back restores \(name(search.originalClass))"
                : "giving back any one of them restores \(name(search.originalClass))"
        let greedyText = greedy.count == 1 ? "the best-ranked channel" : "the \(greedy.count) best-ranked channels"
        let found = Table(
            caption: "Zeroing \(Self.channelList(search.channels)) of \(layer) changes the top class of \(subject) from "
                + "\(name(search.originalClass)) to \(ablation.after.first.map { name($0.index) } ?? "?"). Channels were ranked by "
                + "activation × gradient of the margin of \(name(search.originalClass)) over \(name(search.runnerUp)) (the estimated "
                + "drop when each alone is zeroed); the greedy phase removed \(greedyText) before the top class changed, pruning kept "
                + "\(search.channels.count); \(minimal) (\(effort)).",
            columns: ["Channel", "Rank by estimate", "Estimated margin drop"],
            rows: search.channels.map { channel in
                [String(channel), String(effects[channel]?.rank ?? 0), String(format: "%.3f", effects[channel]?.drop ?? 0)]
            })
        let text = caption ?? "Top-\(ablation.before.count) classes of \(subject) before and after zeroing the channels found in \(layer)"
        return CellRun(outputs: [.table(Self.table(ablation, caption: text)), .table(found)])
    }

    /// "channel 3" or "channels 3, 17, 40–43".
    static func channelList(_ channels: [Int]) -> String {
        switch channels.count {
        case 0: "no channels"
        case 1: "channel \(channels[0])"
        default: "channels " + IndexList.describe(channels)
        }
    }

    static func table(_ ablation: ChannelAblation, caption: String) -> Table {
        func cells(_ score: ClassScore?) -> [String] {
            guard let score else { return ["", "", ""] }
            return ["\(score.label) (\(score.index))", String(format: "%.3f", score.logit), String(format: "%.4f", score.probability)]
        }
        let rows = (0..<Swift.max(ablation.before.count, ablation.after.count)).map { rank in
            [String(rank + 1)] + cells(rank < ablation.before.count ? ablation.before[rank] : nil)
                + cells(rank < ablation.after.count ? ablation.after[rank] : nil)
        }
        return Table(caption: caption, columns: columns, rows: rows)
    }
}
