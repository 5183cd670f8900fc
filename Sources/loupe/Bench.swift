import ArgumentParser
import Foundation
import LoupeBench
import LoupeModels

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Loupe's speed (compare with PyTorch using the scripts in Scripts/bench).",
        subcommands: [
            Ops.self, Models.self, Render.self, Kernels.self, Text.self, Dissect.self, Faithfulness.self, DescribeLayers.self, CLIP.self,
        ]
    )
}

extension Bench {
    struct CLIP: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How fast a CLIP embeds images (batch 1 and 32) and OpenAI's ImageNet prompts (80 templates × 1,000 classes).",
            discussion: "Scripts/bench/clip_vs_torch.py runs the same file through open_clip on PyTorch in the same run.")

        @OptionGroup var model: CLIPWeightsOptions

        @Option(help: "Templates per class: 80 (OpenAI's) or 7 (their short list).")
        var templates = 80

        @Option(help: "Prompts per forward pass.")
        var batch = 256

        @Flag(help: "Time the image tower only (no prompts).")
        var noText = false

        @Flag(help: "Print one JSON object instead of a line.")
        var json = false

        func validate() throws {
            guard model.weights != nil else { throw ValidationError("loupe bench clip times a file: give --weights PATH") }
            guard [7, 80].contains(templates) else { throw ValidationError("--templates must be 80 or 7, got \(templates)") }
        }

        func run() throws {
            do {
                let prompts = try ZeroShotPrompts.pretrained { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                let result = try CLIPBenchmark.run(
                    weights: URL(fileURLWithPath: ((model.weights ?? "") as NSString).expandingTildeInPath), activation: model.activation,
                    labels: noText ? [] : prompts.classNames, templates: templates == 80 ? prompts.templates : prompts.simpleTemplates,
                    textBatch: batch)
                if json { return try printJSON(result) }
                print(
                    String(
                        format:
                            "CLIP %@: image %.4f s (batch 1), %.3f s (batch 32); %d prompts (%d tokens) in %.2f s (%.2f s tokenizing); load %.2f s; peak RSS %.0f MiB",
                        result.variant, result.image_batch1_seconds, result.image_batch32_seconds, result.prompts, result.prompt_tokens,
                        result.text_seconds, result.tokenize_seconds, result.load_seconds, result.peak_rss_mib))
            } catch {
                throw fail(error)
            }
        }
    }

    struct Ops: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Convolution throughput (forward and input gradient) on ResNet-50 and depthwise shapes, and the machine's peak.")

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Seconds to spend timing each measurement.")
        var budget: Double = 0.3

        @Flag(help: "Only batch 1 (faster).")
        var quick = false

        func run() throws {
            let cases = quick ? OpBenchmark.resnet50(batch: 1) + OpBenchmark.depthwise(batch: 1) : OpBenchmark.standardCases
            var report = try OpBenchmark.run(cases: cases, budget: budget) { c in
                guard !json else { return }
                let f = c.forward_gflops ?? 0, b = c.backward_data_gflops ?? 0
                print(
                    c.label.padding(toLength: 36, withPad: " ", startingAt: 0)
                        + String(format: "forward %7.1f GFLOP/s   backward-data %7.1f GFLOP/s", f, b))
            }
            report.kernels = try KernelSummary.current()
            if json {
                try printJSON(report)
            } else {
                print(
                    String(
                        format: "peak %.1f GFLOP/s (%@, %d threads); one tiny op costs %.1f µs",
                        report.peak_gflops, report.peak_kernel, report.threads, report.dispatch_microseconds))
                print(report.kernels?.text ?? "")
            }
        }
    }
}

extension Bench {
    struct Models: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Batch-1 forward and input-gradient times of ResNet-50, ResNet-18 and EfficientNet-Lite0, and peak memory.",
            discussion: "Peak memory is the process's high-water mark: measure one --model per process to compare it.")

        @Option(help: "Measure only this model (repeatable): a store name or an architecture.")
        var model: [String] = []

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Seconds to spend timing each measurement.")
        var budget: Double = 2

        @Option(help: "Images per pass (what Integrated Gradients, SmoothGrad and occlusion batch).")
        var batch: Int = 1

        func validate() throws {
            guard batch >= 1, batch <= 256 else { throw ValidationError("--batch must be 1…256, got \(batch)") }
        }

        func run() throws {
            var results: [ModelBenchmark.Result] = []
            for name in model.isEmpty ? ModelBenchmark.standardModels : model {
                let r = try ModelBenchmark.run(name, batch: batch, budget: budget) {
                    FileHandle.standardError.write(Data("loupe: \($0)\n".utf8))
                }
                if !json {
                    print(
                        String(
                            format:
                                "%@ batch %3d  forward %8.1f ms   input gradient %8.1f ms (%6.1f per image)   peak RSS %7.1f MiB  (%@ weights)",
                            name.padding(toLength: 20, withPad: " ", startingAt: 0), r.batch, r.forward_ms, r.input_gradient_ms,
                            r.input_gradient_ms / Double(r.batch), r.peak_rss_mib, r.weights))
                }
                results.append(r)
            }
            if json {
                try printJSON(ModelsReport(models: results, kernels: try KernelSummary.current()))
            } else {
                print(try KernelSummary.current().text)
            }
        }
    }
}

/// `loupe bench models --json`: the models, and the kernels their passes ran.
private struct ModelsReport: Encodable {
    let models: [ModelBenchmark.Result]
    let kernels: KernelSummary
}

extension Bench {
    struct Render: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Time `loupe render` as a user runs it: cold (empty cell cache), warm (unchanged notebook), and after changing a param; and the report's size per image.",
            discussion:
                "Each render is a new `loupe render` process with its own cell cache (LOUPE_CELL_CACHE); models come from the store as usual, so install them first."
        )

        @Argument(help: "The notebook.")
        var notebook = "Notebooks/sample.md"

        @Option(help: ArgumentHelp("The param change for the third measurement.", valueName: "name=value"))
        var change = "photo=Notebooks/images/eagle.jpg"

        @Option(help: "Repetitions; the median is reported.")
        var reps = 3

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        struct Result: Codable {
            let notebook: String
            let cold_seconds: Double
            let warm_seconds: Double
            let changed_seconds: Double
            let changed_param: String
            let html_bytes: Int
            let images: Int
            let png_bytes_per_image: Double
            let html_bytes_per_image: Double
            /// The largest peak resident memory of any of the renders (`getrusage(RUSAGE_CHILDREN)`).
            let peak_rss_mib: Double
        }

        func run() throws {
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-bench-render-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            let cacheDirectory = scratch.appendingPathComponent("cells")
            let report = scratch.appendingPathComponent("report.html")
            let change = loupe.Render.absolutePathIfFile(self.change)
            var cold: [Double] = [], warm: [Double] = [], changed: [Double] = []
            for rep in 0..<max(1, reps) {
                try? FileManager.default.removeItem(at: cacheDirectory)
                cold.append(try time(["render", notebook, "-o", report.path, "--quiet"], cache: cacheDirectory))
                warm.append(try time(["render", notebook, "-o", report.path, "--quiet"], cache: cacheDirectory))
                changed.append(try time(["render", notebook, "-o", report.path, "--quiet", "--set", change], cache: cacheDirectory))
                if !json {
                    FileHandle.standardError.write(
                        Data(
                            String(
                                format: "rep %d: cold %.3f s, warm %.3f s, changed %.3f s\n", rep + 1, cold.last ?? 0, warm.last ?? 0,
                                changed.last ?? 0
                            ).utf8))
                }
            }
            // Size, from the unchanged notebook's report.
            _ = try time(["render", notebook, "-o", report.path, "--quiet"], cache: cacheDirectory)
            let html = try String(contentsOf: report, encoding: .utf8)
            let marker = "data:image/png;base64,"
            let pieces = html.components(separatedBy: marker).dropFirst()
            let pngBytes = pieces.reduce(0) { total, piece in
                total + (piece.prefix { $0 != "\"" }.count * 3 / 4)
            }
            let images = pieces.count
            let result = Result(
                notebook: notebook, cold_seconds: median(cold), warm_seconds: median(warm), changed_seconds: median(changed),
                changed_param: self.change, html_bytes: html.utf8.count, images: images,
                png_bytes_per_image: images > 0 ? Double(pngBytes) / Double(images) : 0,
                html_bytes_per_image: images > 0 ? Double(html.utf8.count) / Double(images) : 0,
                peak_rss_mib: Self.childrenPeakMiB())
            if json {
                try printJSON(result)
            } else {
                print(
                    String(
                        format: "%@: cold %.3f s, warm %.3f s, after --set %@ %.3f s (medians of %d)",
                        notebook, result.cold_seconds, result.warm_seconds, self.change, result.changed_seconds, max(1, reps)))
                print(
                    String(
                        format:
                            "report %d bytes, %d images (incl. colour bars), %.0f PNG bytes and %.0f HTML bytes per image; peak RSS %.0f MiB",
                        result.html_bytes, images, result.png_bytes_per_image, result.html_bytes_per_image, result.peak_rss_mib))
            }
        }

        private func time(_ arguments: [String], cache: URL) throws -> Double {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
            if let path = Bundle.main.executablePath { process.executableURL = URL(fileURLWithPath: path) }
            process.arguments = arguments
            var environment = ProcessInfo.processInfo.environment
            environment["LOUPE_CELL_CACHE"] = cache.path
            process.environment = environment
            // Not waitUntilExit: it polls every 50 ms, which would round every time up.
            let exited = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var end = 0.0
            process.terminationHandler = { _ in
                end = ProcessInfo.processInfo.systemUptime
                exited.signal()
            }
            let start = ProcessInfo.processInfo.systemUptime
            try process.run()
            exited.wait()
            let elapsed = end - start
            guard process.terminationStatus == 0 else {
                throw ValidationError("`loupe \(arguments.joined(separator: " "))` exited with \(process.terminationStatus)")
            }
            return elapsed
        }

        /// The peak resident memory of the largest render so far, in MiB (Linux reports KiB).
        private static func childrenPeakMiB() -> Double {
            var usage = rusage()
            guard getrusage(RUSAGE_CHILDREN.rawValue, &usage) == 0 else { return 0 }
            return Double(usage.ru_maxrss) / 1024
        }

        private func median(_ values: [Double]) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
        }
    }
}

extension Bench {
    struct Text: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How fast the text encoder embeds a file of texts (one per line): warm throughput, first pass, loading.",
            discussion: "Scripts/bench/text_vs_onnxruntime.py runs the same texts through ONNX Runtime and PyTorch in the same run.")

        @Argument(help: "A file of texts, one per line.")
        var file: String

        @Option(help: "The text encoder, from the store.")
        var model = ModelStore.defaultTextModel

        @Option(help: "Texts per forward pass.")
        var batch = 64

        @Option(help: "Warm repetitions; the median is reported.")
        var reps = 3

        @Flag(help: "Print one JSON object instead of a line.")
        var json = false

        func run() throws {
            let text: String
            do {
                text = try String(contentsOf: URL(fileURLWithPath: (file as NSString).expandingTildeInPath), encoding: .utf8)
            } catch {
                throw fail(FileError(path: file, underlying: error))
            }
            let texts = text.split(whereSeparator: \.isNewline).map(String.init)
            let result = try TextBenchmark.run(model: model, texts: texts, batch: batch, repetitions: reps)
            if json {
                try printJSON(result)
            } else {
                print(
                    String(
                        format: "%@: %d texts (%d tokens) in %.3f s warm (%.0f texts/s), first pass %.3f s, load %.3f s, peak RSS %.0f MiB",
                        result.model, result.texts, result.tokens, result.seconds, Double(result.texts) / result.seconds,
                        result.first_seconds,
                        result.load_seconds, result.peak_rss_mib))
            }
        }
    }
}

extension Bench {
    struct Dissect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "CLIP-Dissect's final-layer benchmark: describe the explained model's logits with the imagenet classes and count labels equal to each neuron's own class.",
            discussion: """
                The annotator (another store model) reads every probe; dissection (SoftWPMI) and the adaptor (ConSE \
                vectors) each label every logit; top-1 and mean MiniLM cosine between label and class name are reported \
                over the classes the probe set contains, next to a random label and the best constant label. \
                Scripts/parity/dissect.py run checks the SoftWPMI scores against the reference algorithm on the matrices \
                --dump writes.
                """)

        @Option(help: ArgumentHelp("A folder of photos to probe with.", valueName: "folder"))
        var probe: String

        @Option(help: "Seeded crops per photo.")
        var crops = 7

        @Option(help: "The explained model (its logits are the neurons).")
        var model = "efficientnet-lite0"

        @Option(help: "The annotating classifier.")
        var annotator = "efficientnet-lite2"

        @Option(help: "Permutation draws of the adaptor's null.")
        var permutations = 100

        @Option(help: ArgumentHelp("Write the matrices and scores here as .npy for the parity script.", valueName: "folder"))
        var dump: String?

        @Flag(help: "Print JSON.")
        var json = false

        func run() throws {
            do {
                let expand = { (path: String) in URL(fileURLWithPath: (path as NSString).expandingTildeInPath) }
                let result = try DissectionBenchmark.run(
                    model: model, annotator: annotator, folder: expand(probe), crops: crops, permutations: permutations,
                    dump: dump.map(expand)
                ) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                if json {
                    try printJSON(result, pretty: true)
                    return
                }
                print(
                    "\(result.model)'s \(result.classes) logits described through \(result.annotator) over \(result.probes) probes (\(result.photos) photos); \(result.covered) classes present"
                )
                print("method          top-1    mean cosine (label vs class name)")
                func row(_ name: String, _ top1: Double, _ cosine: Double) -> String {
                    name.padding(toLength: 15, withPad: " ", startingAt: 0) + String(format: "%6.1f %%  %.3f", 100 * top1, cosine)
                }
                for m in result.methods { print(row(m.name, m.top1, m.meanCosine)) }
                print(row("random label", result.randomTop1, result.randomCosine))
                print(row("best constant", result.constantTop1, result.constantCosine) + "  (\"\(result.constantLabel)\")")
                print(String(format: "adaptor: %d of %d logits coupled; %.1f s", result.coupled, result.classes, result.seconds))
            } catch {
                throw fail(error)
            }
        }
    }
}

extension Bench {
    struct Faithfulness: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Are a layer's word labels faithful? Planted channels (colours, caption words) and held-out simulation and ranking.",
            discussion: """
                Planted channels with a known meaning (red, green, blue from the pixels; bird, tree from the captions) join \
                the layer before fitting; each should be described by its word, by the adaptor and by SoftWPMI. On the real \
                channels, labels chosen without the held-out photos predict the held-out activations (simulation r, against \
                labels shuffled among channels) and rank the held-out probes (AUC, against random texts).
                """)

        @OptionGroup var coupling: CouplingBenchOptions

        @Option(help: "The layer.")
        var layer = "_blocks.15"

        @Option(help: "Seeded crops per photo.")
        var crops = 7

        func run() throws {
            do {
                let result = try FaithfulnessBenchmark.run(
                    model: coupling.model, layer: layer, captions: coupling.captionsURL, crops: crops, vocabulary: coupling.vocabulary,
                    permutations: coupling.permutations
                ) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                if coupling.json {
                    try printJSON(result, pretty: true)
                    return
                }
                print(
                    "\(result.model) \(result.layer): \(result.probes) probes from \(result.photos) photos, \(result.corpus) candidate labels"
                )
                print("\nplanted  held-out r (null 95%)  adaptor: rank, top 3                  SoftWPMI: rank, top 3")
                for p in result.planted {
                    print(
                        p.word.padding(toLength: 8, withPad: " ", startingAt: 0)
                            + String(format: " %.2f (%.2f)         ", p.heldOutR, p.nullP95)
                            + "\(p.adaptorRank), \(p.adaptorTop.joined(separator: " "))".padding(toLength: 38, withPad: " ", startingAt: 0)
                            + "\(p.dissectionRank), \(p.dissectionTop.joined(separator: " "))")
                }
                print(
                    "\nheld-out faithfulness over \(result.channels) live channels (\(result.coupled) coupled); labels chosen without the held-out photos"
                )
                print("method     simulation r  shuffled  coupled only  AUC    random AUC  beats random")
                for m in result.methods {
                    print(
                        m.name.padding(toLength: 10, withPad: " ", startingAt: 0)
                            + String(
                                format: " %12.3f  %8.3f  %12.3f  %.3f  %10.3f  %11.0f %%", m.simulation, m.shuffledSimulation,
                                m.coupledSimulation, m.auc, m.randomAUC, 100 * m.beatsRandom))
                }
                print(String(format: "%.1f s", result.seconds))
            } catch {
                throw fail(error)
            }
        }
    }
}

extension Bench {
    struct DescribeLayers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "describe",
            abstract: "Time describing every channel of several layers over a probe set (adaptor and SoftWPMI), cold and warm.",
            discussion: """
                Scripts/bench/describe_vs_torch.py runs the same pipeline in PyTorch in the same run.
                """)

        @OptionGroup var coupling: CouplingBenchOptions

        @Option(help: "Layers, comma-separated.")
        var layers = "_blocks.5,_blocks.10,_blocks.15"

        @Option(help: "Seeded crops per photo (30 gives 64 × 31 = 1,984 probes with the shipped captions).")
        var crops = 30

        func run() throws {
            do {
                let result = try DescribeBenchmark.run(
                    model: coupling.model, layers: layers.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                    captions: coupling.captionsURL, crops: crops, vocabulary: coupling.vocabulary, permutations: coupling.permutations,
                    home: ModelStore().home
                ) { FileHandle.standardError.write(Data("loupe: \($0)\n".utf8)) }
                if coupling.json {
                    try printJSON(result, pretty: true)
                    return
                }
                print(
                    "\(result.model) \(zip(result.layers, result.channels).map { "\($0) (\($1))" }.joined(separator: ", ")): \(result.probes) probes, \(result.vocabulary) texts, \(result.permutations) permutations"
                )
                print("pass  activations  embeddings  fits    describe  SoftWPMI  total")
                for (name, p) in [("cold", result.cold), ("warm", result.warm)] {
                    print(
                        name.padding(toLength: 6, withPad: " ", startingAt: 0)
                            + String(
                                format: "%10.2f  %10.2f  %6.2f  %8.2f  %8.2f  %6.2f s", p.activations, p.embeddings, p.fits, p.describe,
                                p.dissect, p.total))
                }
                print(String(format: "peak RSS %.0f MiB", result.peakRSSMiB))
            } catch {
                throw fail(error)
            }
        }
    }
}

/// Prints `value` as one JSON object with sorted keys (indented when `pretty`).
func printJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// The options the coupling benchmarks share.
struct CouplingBenchOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A COCO captions file; its photos are the probes.", valueName: "file"))
    var captions: String

    @Option(help: "The model, from the store.")
    var model = "efficientnet-lite0"

    @Option(help: "The vocabulary of candidate labels.")
    var vocabulary = "english-20k"

    @Option(help: "Permutation draws of each channel's null.")
    var permutations = 200

    @Flag(help: "Print JSON.")
    var json = false

    /// The captions file.
    var captionsURL: URL { URL(fileURLWithPath: (captions as NSString).expandingTildeInPath) }
}
