import ArgumentParser
import Foundation
import LoupeInterp
import LoupeModels
import LoupeTensor

/// `loupe guide`: fine-tune a model so that a class responds less to a sentence, through a
/// coupling adaptor, and write the edited model.
struct Guide: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune the layers after a coupled layer so that a class responds less to a sentence, and save the edited model.",
        discussion: """
            The sentence's pattern (the adaptor's predicted activation of each coupled channel, times the channel's σ, \
            times --alpha) is added to the adaptor's layer for each training photo; the layers after it are trained to \
            lower the class's log-probability there, while the KL divergence from the original model's probabilities on \
            the same photos without the pattern (weight --retention) keeps the rest. Half the photos are held out: the \
            class's probability with the sentence, with each --control and with none, and the agreement of the top \
            class, are measured on them before and after. The original checkpoint is never modified; --out writes the \
            edited model as safetensors with PyTorch's keys (load it with --arch … --weights …, or in PyTorch).

            Example:
              loupe couple --captions Notebooks/images/coupling/captions.json --layer _blocks.15 --out b15.safetensors
              loupe guide --adaptor b15.safetensors --captions Notebooks/images/coupling/captions.json \\
                --sentence "a bird with pink feathers standing in water" --class flamingo \\
                --control "a plate of food on a table" --out lite0-less-flamingo.safetensors
            """)

    @OptionGroup var modelOptions: ModelOptions

    @Option(help: ArgumentHelp("The adaptor file `loupe couple --out` wrote.", valueName: "file"))
    var adaptor: String

    @Option(help: "The sentence whose effect on the class is lowered.")
    var sentence: String

    @Option(help: "suppress (lower a class's response to the sentence) or sensitise (teach --channels the sentence).")
    var mode = "suppress"

    @Option(name: .customLong("class"), help: "suppress: the class, by label or index.")
    var className: String?

    @Option(help: "sensitise: channels of the adaptor's layer, comma-separated.")
    var channels: String?

    @Option(help: "sensitise: the σ the channels rise on the described training photos.")
    var raise = 1.0

    @Option(help: "sensitise: the share of the captioned photos the sentence describes.")
    var described = 0.25

    @Option(help: "sensitise: seeded crops of each training photo trained on with it.")
    var crops = 7

    @Option(name: .customLong("control"), help: "A control sentence (repeat for more).")
    var controls: [String] = []

    @Option(help: ArgumentHelp("A folder of photos to train and measure on.", valueName: "folder"))
    var photos: String?

    @Option(help: ArgumentHelp("Or a COCO captions file: its photos.", valueName: "file"))
    var captions: String?

    @Option(help: "The strength α of the pattern.")
    var alpha = 8.0

    @Option(help: "Lower the class's probability with the sentence to this fraction of the original on each training photo.")
    var goal = 0.5

    @Option(help: "Optimiser steps.")
    var steps = 30

    @Option(help: "The optimiser's step size.")
    var learningRate: Float = 3e-5

    @Option(help: "adam or sgd (momentum 0.9).")
    var optimizer = "adam"

    @Option(help: "λ, the weight of the retention term.")
    var retention: Float = 1

    @Option(help: "Training photos per step.")
    var batch = 32

    @Option(help: "The seed of the held-out split and the batches.")
    var seed: UInt64 = 0

    @Option(help: ArgumentHelp("Write the edited model here (safetensors).", valueName: "file"))
    var out: String?

    @Flag(help: "Print the run as JSON.")
    var json = false

    func validate() throws {
        if (photos == nil) == (captions == nil) { throw ValidationError("give --photos FOLDER or --captions FILE (one of them)") }
        guard ["suppress", "sensitise"].contains(mode) else { throw ValidationError("--mode must be suppress or sensitise, not \(mode)") }
        if mode == "suppress", className == nil { throw ValidationError("--mode suppress needs --class") }
        if mode == "sensitise", channels == nil || captions == nil {
            throw ValidationError("--mode sensitise needs --channels and --captions (the captions say which photos the sentence describes)")
        }
        guard ["adam", "sgd"].contains(optimizer) else { throw ValidationError("--optimizer must be adam or sgd, not \(optimizer)") }
    }

    func run() throws {
        do {
            let say = { (message: String) in FileHandle.standardError.write(Data("loupe: \(message)\n".utf8)) }
            let expand = { (path: String) in URL(fileURLWithPath: (path as NSString).expandingTildeInPath) }
            if let out { try checkWritable(expand(out)) }
            let model = try modelOptions.load()
            let fitted = try Adaptor(contentsOf: expand(adaptor))
            let layer = fitted.provenance.layer
            let embedder = try TextEmbedder(progress: say)
            try fitted.check(model: model, layer: layer, encoder: embedder, file: adaptor)
            if mode == "sensitise" {
                try sensitise(model: model, adaptor: fitted, embedder: embedder)
                return
            }
            let className = self.className ?? ""
            let target = try model.resolveClass(className)
            let files = try captions.map { try CouplingSet(contentsOf: expand($0)).photos } ?? ProbeSet(folder: expand(photos ?? ".")).files
            let inputs = try SentenceGuide.inputs(files, preprocessing: model.preprocessing)
            let vectors = try embedder.embed([sentence] + controls).vectors
            let patterns = try zip([sentence] + controls, vectors).map { try SentencePattern(sentence: $0, vector: $1, adaptor: fitted) }
            let settings = GuideSettings(
                alpha: alpha, steps: steps, learningRate: learningRate, update: optimizer == "adam" ? .adam : .sgd(momentum: 0.9),
                retention: retention, seed: seed, batchSize: batch, goal: goal)
            let start = Date()
            let run = try SentenceGuide(model: model, layer: layer).suppress(
                target, pattern: patterns[0], controls: Array(patterns.dropFirst()), photos: inputs, settings: settings)
            let seconds = Date().timeIntervalSince(start)
            if let out {
                try AtomicFile.write(
                    try model.encodedWeights(replacing: run.edited, metadata: try run.metadata(model: model)), to: expand(out))
            }
            if json {
                try printJSON(GuideReport(run, seconds: seconds), pretty: true)
                return
            }
            print("\(model.name): lowering \(target.description) under “\(sentence)” at \(layer), α = \(alpha)")
            let timed = run.steps.map(\.seconds).filter { $0 > 0 }.sorted()
            print(
                "trained \(run.keys.count) tensors after \(layer) for \(timed.count) of at most \(steps) steps on \(run.trainingPhotos) photos "
                    + "(median step \(String(format: "%.3f", timed.isEmpty ? 0 : timed[timed.count / 2])) s); \(String(format: "%.1f", seconds)) s in all"
            )
            if let first = run.steps.first, let last = run.steps.last {
                print(
                    String(
                        format: "loss %.4f -> %.4f (mean log p(class) with the sentence %.3f -> %.3f, KL %.5f -> %.5f)", first.loss,
                        last.loss,
                        first.logProbability, last.logProbability, first.retention, last.retention))
            }
            print("\nmean p(\(target.description)) on \(run.heldOutPhotos) held-out photos   before    after   after/before")
            for effect in [run.effect] + run.controls {
                let label = effect.sentence.map { effect == run.effect ? "“\($0)”" : "control “\($0)”" } ?? "no sentence"
                print(
                    String(
                        format: "  %@  %.4f  %.4f  %.2f×", label.padding(toLength: 52, withPad: " ", startingAt: 0), effect.before,
                        effect.after, effect.ratio))
            }
            print(String(format: "top-1 agreement with the original model on held-out photos: %.1f %%", 100 * run.agreement))
            for margin in run.changedMargins {
                print(String(format: "  a photo that changed had its top two classes %.3f apart before", margin))
            }
            if let out { print("edited model written to \(out)") }
        } catch let error as ValidationError {
            throw error
        } catch {
            throw fail(error)
        }
    }

    /// Refuses an output path whose folder is missing or not writable before any training runs.
    func checkWritable(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        let folder = url.deletingLastPathComponent()
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("--out \(url.path): the folder \(folder.path) does not exist")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ValidationError("--out \(url.path) is a directory")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw ValidationError("--out \(url.path): the folder \(folder.path) is not writable")
        }
    }

    /// `--mode sensitise`: teach the channels the sentence and print the held-out effect.
    func sensitise(model: Model, adaptor fitted: Adaptor, embedder: TextEmbedder) throws {
        let expand = { (path: String) in URL(fileURLWithPath: (path as NSString).expandingTildeInPath) }
        let chosen = try IndexList.parse(channels ?? "", option: "--channels")
        let set = try CouplingSet(contentsOf: expand(captions ?? ""))
        let relevance = try set.relevance(of: sentence, embedder: embedder)
        let inputs = try SentenceGuide.inputs(set.photos, preprocessing: model.preprocessing, crops: crops, seed: seed)
        let settings = GuideSettings(
            steps: steps, learningRate: learningRate, update: optimizer == "adam" ? .adam : .sgd(momentum: 0.9), retention: retention,
            seed: seed, batchSize: batch, goal: raise)
        let run = try SentenceGuide(model: model, layer: fitted.provenance.layer).sensitise(
            channels: chosen, sentence: sentence, relevance: relevance, adaptor: fitted, photos: inputs, describedFraction: described,
            settings: settings)
        if let out {
            try AtomicFile.write(try model.encodedWeights(replacing: run.edited, metadata: try run.metadata(model: model)), to: expand(out))
        }
        print("\(model.name): teaching channels \(chosen.map(String.init).joined(separator: ", ")) of \(run.layer) “\(sentence)”")
        print(
            "trained \(run.keys.count) tensors of \(run.layer) for \(run.steps.count) steps on \(run.training.described) described and \(run.training.others) other photos"
        )
        print("held-out photos        count  before (σ)  after (σ)")
        print(String(format: "  described           %5d  %+9.2f  %+9.2f", run.heldOut.described, run.described.before, run.described.after))
        print(String(format: "  others              %5d  %+9.2f  %+9.2f", run.heldOut.others, run.others.before, run.others.after))
        print(
            String(
                format: "AUC described vs others %.3f -> %.3f; top-1 agreement %.1f %%", run.aucBefore, run.aucAfter, 100 * run.agreement))
        if let out { print("edited model written to \(out)") }
    }

    struct GuideReport: Encodable {
        struct Effect: Encodable {
            let sentence: String?
            let before: Double
            let after: Double
        }
        let sentence: String
        let target: String
        let layer: String
        let keys: [String]
        let loss: [Double]
        let targetTerm: [Double]
        let logProbability: [Double]
        let stepSeconds: [Double]
        let retentionTerm: [Double]
        let effect: Effect
        let trainingEffect: Effect
        let controls: [Effect]
        let agreement: Double
        let changedMargins: [Double]
        let trainingPhotos: Int
        let heldOutPhotos: Int
        let seconds: Double

        init(_ run: GuideRun, seconds: Double) {
            let effect = { (e: GuideEffect) in Effect(sentence: e.sentence, before: e.before, after: e.after) }
            sentence = run.sentence
            target = run.target.description
            layer = run.layer
            keys = run.keys
            loss = run.steps.map(\.loss)
            targetTerm = run.steps.map(\.target)
            logProbability = run.steps.map(\.logProbability)
            stepSeconds = run.steps.map(\.seconds)
            retentionTerm = run.steps.map(\.retention)
            self.effect = effect(run.effect)
            trainingEffect = effect(run.trainingEffect)
            controls = run.controls.map(effect)
            agreement = run.agreement
            changedMargins = run.changedMargins
            trainingPhotos = run.trainingPhotos
            heldOutPhotos = run.heldOutPhotos
            self.seconds = seconds
        }
    }
}
