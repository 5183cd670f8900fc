import ArgumentParser
import Foundation
import LoupeInterp
import LoupeModels

/// `loupe couple`: fit the adaptor between the text encoder and one layer, and say which
/// channels it can speak for.
struct Couple: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Couple a sentence encoder to a layer: fit the adaptor (text → channel activations) and test every channel.",
        discussion: """
            The adaptor is a ridge regression from all-MiniLM-L6-v2's sentence vectors to the layer's standardised \
            channel activations (spatial mean, or max with --summary max) over probes: photos and seeded crops of them. \
            Each probe gets words from an annotator: the captions of a COCO captions file (--captions), or another \
            classifier's top classes with their WordNet glosses (--annotator classifier, ConSE). One photo in five is held \
            out; a channel is coupled when the held-out Pearson r beats the 95th percentile of a permutation null \
            (photos' words shuffled among photos).

            Examples:
              loupe couple --captions Notebooks/images/coupling/captions.json --layer _blocks.15 --out blocks15.safetensors
              loupe couple --probe photos/ --annotator classifier --layer _blocks.10 --crops 15 --out b10.safetensors
            """)

    enum AnnotatorChoice: String, ExpressibleByArgument, CaseIterable {
        case captions, classifier
    }

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: "The layer to couple (a dotted name).")
    var layer: String

    @Option(help: ArgumentHelp("A COCO captions file; its images are the probes.", valueName: "file"))
    var captions: String?

    @Option(help: ArgumentHelp("A folder of photos to probe with (for --annotator classifier).", valueName: "folder"))
    var probe: String?

    @Option(help: "Where each probe's words come from.")
    var annotator: AnnotatorChoice = .captions

    @Option(help: "The classifier that annotates with --annotator classifier (a store model other than the one explained).")
    var classifier = "efficientnet-lite2"

    @Option(help: "Seeded square crops per photo, after the photo itself.")
    var crops = 7

    @Option(help: "mean or max of each feature map.")
    var summary: ActivationSummary = .mean

    @Option(help: "Permutation draws for each channel's null.")
    var permutations = 200

    @Option(help: "The seed of crops, held-out photos, folds and permutations.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Write the adaptor here (safetensors).", valueName: "file"))
    var out: String?

    @Option(help: "Print this many of the best-coupled channels.")
    var show = 12

    @Flag(help: "Print the statistics of every channel as JSON.")
    var json = false

    func validate() throws {
        if annotator == .captions, captions == nil { throw ValidationError("--annotator captions needs --captions FILE") }
        if captions == nil, probe == nil { throw ValidationError("give --captions FILE or --probe FOLDER") }
        if captions != nil, probe != nil { throw ValidationError("give --captions or --probe, not both") }
        guard (0...256).contains(crops) else { throw ValidationError("--crops must be 0…256") }
        guard (20...100_000).contains(permutations) else { throw ValidationError("--permutations must be 20…100000") }
    }

    func run() throws {
        do {
            let say = { (message: String) in FileHandle.standardError.write(Data("loupe: \(message)\n".utf8)) }
            let expand = { (path: String) in URL(fileURLWithPath: (path as NSString).expandingTildeInPath) }
            let model = try modelOptions.load()
            _ = try model.layer(named: layer)
            let set = try captions.map { try CouplingSet(contentsOf: expand($0)) }
            if let set, !set.uncaptioned.isEmpty {
                say("\(set.uncaptioned.count) image(s) without captions left out: \(set.uncaptioned.prefix(5).joined(separator: ", "))")
            }
            let probes =
                try set.map { try ProbeSet(files: $0.photos, cropsPerPhoto: crops, seed: seed) }
                ?? ProbeSet(folder: expand(probe ?? "."), cropsPerPhoto: crops, seed: seed)
            for skipped in probes.skipped { say("skipped \(skipped.file.path): \(skipped.reason)") }
            let embedder = try TextEmbedder(progress: say)
            let chosen: any Annotator
            switch annotator {
            case .captions:
                guard let set else { throw ValidationError("--annotator captions needs --captions FILE") }
                chosen = CaptionAnnotator(set)
            case .classifier:
                guard classifier != model.name else {
                    throw ValidationError("the annotating classifier must differ from the model explained (\(model.name))")
                }
                let other = try ModelSource(name: classifier, architecture: nil, weights: nil).load(progress: say)
                chosen = try ClassifierAnnotator(model: other, classes: try ConceptVocabulary.load("imagenet", progress: say))
            }
            var settings = CouplingSettings()
            settings.permutations = permutations
            settings.seed = seed
            let start = Date()
            let adaptor = try Adaptor.fit(
                model: model, layer: layer, probes: probes, annotator: chosen, embedder: embedder, summary: summary, settings: settings,
                progress: say)
            if let out { try adaptor.write(to: expand(out)) }
            if json {
                let object = CoupleReport(provenance: adaptor.provenance, channels: adaptor.channels)
                try printJSON(object, pretty: true)
                return
            }
            printSummary(adaptor, seconds: Date().timeIntervalSince(start))
            if let out { print("adaptor written to \(out)") }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    struct CoupleReport: Encodable {
        let provenance: Adaptor.Provenance
        let channels: [ChannelCoupling]
    }

    func printSummary(_ adaptor: Adaptor, seconds: Double) {
        let p = adaptor.provenance
        let live = adaptor.channels.filter { !$0.dead }
        let rs = live.map(\.heldOutR).sorted()
        print(
            "\(p.model) \(p.layer) (\(p.summary.rawValue) of each map) ← \(p.encoder), annotated by \(p.annotator)")
        print(
            "\(p.probeCount) probes from \(p.photoCount) photos, \(p.heldOutPhotos) photos held out; \(p.folds)-fold penalties, \(p.permutations) permutations; \(String(format: "%.1f", seconds)) s"
        )
        print(
            "coupled: \(adaptor.coupled.count) of \(adaptor.channels.count) channels (\(adaptor.channels.count - live.count) dead); held-out r median \(String(format: "%.3f", rs.isEmpty ? 0 : rs[rs.count / 2])), chance expects about 5 % coupled"
        )
        let best = adaptor.channels.sorted { $0.heldOutR > $1.heldOutR }.prefix(show)
        print("\n channel  held-out r  null 95%  p      coupled")
        for c in best {
            print(
                String(
                    format: " %7d  %10.3f  %8.3f  %.3f  %@", c.channel, c.heldOutR, c.nullP95, c.pValue, c.coupled ? "yes" : "no"))
        }
    }
}

extension ActivationSummary: ExpressibleByArgument {}
