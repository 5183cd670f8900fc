import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// The adaptor between the sentence encoder and a layer: the ridge algebra, the permutation
/// test on planted channels, the files, the coupling data's bad input, and a real fit of Lite0
/// on the shipped captions.
@Suite(.serialized) struct CouplingTests {
    static let coupling = AttributionTests.root.appendingPathComponent("Notebooks/images/coupling")

    /// Seeded standard normal values (Box–Muller).
    static func normals(_ count: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let u = Double.random(in: Double.ulpOfOne..<1, using: &rng), v = Double.random(in: 0..<1, using: &rng)
            return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
        }
    }

    /// The ridge map solves `(XᵀX + λ) W = XᵀY` on centred data, whether the texts' rows are
    /// all distinct or repeat (as the crops of a captioned photo share its text, which the fit
    /// stores once).
    @Test(arguments: [(1, 7), (3, 7), (3, 40)])
    func ridgeWeightsSolveTheNormalEquations(repeats: Int, d: Int) throws {
        let (n, m) = (90, 3)
        let x = Matrix(rows: n, columns: d, values: Self.normals(n * d, seed: 1)).rows((0..<n).map { $0 / repeats * repeats })
        #expect(SharedRows(x).values.rows == n / repeats)
        let y = Matrix(rows: n, columns: m, values: Self.normals(n * m, seed: 2))
        let path = try RidgeCoupling.Path(x: x, y: y, penalties: [0.01, 1, 100])
        for k in 0..<3 {
            let w = path.weights(choice: [k, k, k])
            let lambda = path.penalties[k] * path.meanEigenvalue
            let xc = x.subtractingFromRows(x.columnMeans), yc = y.subtractingFromRows(y.columnMeans)
            let gram = Matrix.product(xc, transposed: true, xc)
            var lhs = Matrix.product(gram, w)
            for i in 0..<d {
                for j in 0..<m { lhs[i, j] += lambda * w[i, j] }
            }
            let rhs = Matrix.product(xc, transposed: true, yc)
            let worst = zip(lhs.values, rhs.values).map { abs($0 - $1) }.max() ?? 1
            #expect(worst < 1e-9 * max(1, rhs.values.map(abs).max() ?? 1), "penalty \(k): residual \(worst)")
            // Predictions are the same map plus the mean.
            let predicted = path.predict(x.rows([0, 1]), penalty: k)
            for row in 0..<2 {
                for column in 0..<m {
                    let direct = (0..<d).reduce(y.columnMeans[column]) { $0 + xc[row, $1] * w[$1, column] }
                    #expect(abs(predicted[row, column] - direct) < 1e-9)
                }
            }
        }
    }

    /// 60 photos of 4 probes: texts are photo vectors plus a little per-probe noise; channel 0
    /// follows the texts, channels 1…20 are noise, channel 21 never changes.
    static func planted() -> (x: Matrix, y: Matrix, photos: [Int]) {
        let (photos, perPhoto, d, m) = (60, 4, 12, 22)
        let n = photos * perPhoto
        let base = normals(photos * d, seed: 3), jitter = normals(n * d, seed: 4), noise = normals(n * m, seed: 5)
        let direction = normals(d, seed: 6)
        var x = Matrix(zeros: n, d), y = Matrix(zeros: n, m)
        for row in 0..<n {
            let photo = row / perPhoto
            for j in 0..<d { x[row, j] = base[photo * d + j] + 0.1 * jitter[row * d + j] }
            y[row, 0] = (0..<d).reduce(0) { $0 + x[row, $1] * direction[$1] } + 0.5 * noise[row * m]
            for c in 1..<21 { y[row, c] = noise[row * m + c] }
            y[row, 21] = 3
        }
        return (x, y, (0..<n).map { $0 / perPhoto })
    }

    @Test func aPlantedChannelIsCoupledAndNoiseMostlyIsNot() throws {
        let (x, y, photos) = Self.planted()
        var settings = CouplingSettings()
        settings.permutations = 100
        let fit = try RidgeCoupling(x: x, y: y, photos: photos, settings: settings)
        #expect(fit.heldOutPhotos == 12)
        let signal = fit.channels[0]
        #expect(signal.coupled && signal.heldOutR > 0.8 && signal.pValue < 0.02, "\(signal)")
        // Twenty noise channels: chance alone couples about one.
        let noise = fit.channels[1..<21].filter(\.coupled).count
        #expect(noise <= 4, "\(noise) of 20 noise channels coupled")
        let constant = fit.channels[21]
        #expect(constant.dead && !constant.coupled)
        #expect(fit.weights.rows == 12 && fit.weights.columns == 22)
    }

    @Test func averageLinkageFindsBlocksOfCorrelatedChannels() throws {
        // Channels 0–2 and 3–4 correlate within their blocks; 5 with nothing.
        var c = Matrix(zeros: 6, 6)
        for i in 0..<6 { c[i, i] = 1 }
        for (a, b, r) in [(0, 1, 0.8), (0, 2, 0.7), (1, 2, 0.75), (3, 4, 0.6), (2, 3, 0.2), (4, 5, 0.1)] {
            c[a, b] = r
            c[b, a] = r
        }
        #expect(Adaptor.averageLinkage(c, threshold: 0.5) == [[0, 1, 2], [3, 4], [5]])
        #expect(Adaptor.averageLinkage(c, threshold: 0.65) == [[0, 1, 2], [3], [4], [5]])
        #expect(Adaptor.averageLinkage(c, threshold: 0.9).count == 6)
    }

    @Test func tooFewPhotosIsAnErrorNotAFit() throws {
        let (x, y, photos) = Self.planted()
        let rows = Array(0..<40)  // 10 photos
        #expect(throws: InterpError.self) {
            try RidgeCoupling(x: x.rows(rows), y: y.rows(rows), photos: rows.map { photos[$0] }, settings: CouplingSettings())
        }
    }

    static func plantedAdaptor() throws -> Adaptor {
        let (x, y, photos) = planted()
        var settings = CouplingSettings()
        settings.permutations = 20
        let fit = try RidgeCoupling(x: x, y: y, photos: photos, settings: settings)
        let provenance = Adaptor.Provenance(
            model: "efficientnet-lite0", modelFingerprint: "00", layer: "layer1", summary: .mean, encoder: "none", encoderSHA256: "00",
            annotator: "test", probes: "00", probeCount: x.rows, photoCount: 60, heldOutPhotos: fit.heldOutPhotos, folds: 5,
            permutations: 20, seed: 0)
        return Adaptor(
            provenance: provenance, channels: fit.channels, weights: fit.weights, textMean: fit.textMean,
            activationMean: fit.activationMean, activationStd: fit.activationStd)
    }

    @Test func anAdaptorFileReadsBackTheSameMapAndStatistics() throws {
        let adaptor = try Self.plantedAdaptor()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-adaptor-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try adaptor.write(to: url)
        let read = try Adaptor(contentsOf: url)
        #expect(read.provenance == adaptor.provenance)
        #expect(read.channels.map(\.coupled) == adaptor.channels.map(\.coupled))
        let probe: [[Float]] = [(0..<12).map { Float($0) / 12 }, (0..<12).map { _ in 0.5 }]
        for (a, b) in zip(try adaptor.predict(probe), try read.predict(probe)) {
            for (u, v) in zip(a, b) { #expect(abs(u - v) < 1e-4 * max(1, abs(u))) }
        }
        // The description ranks by predicted activation and reports the corpus's spread.
        let corpus: [[Float]] = (0..<30).map { i in (0..<12).map { Float(Self.normals(12, seed: UInt64(100 + i))[$0]) } }
        let described = try read.describe(channels: [0], corpus: (0..<30).map { "text \($0)" }, vectors: corpus, top: 3)
        let scores = try read.predict(corpus).map { $0[0] }
        let best = scores.indices.max { scores[$0] < scores[$1] } ?? -1
        #expect(described[0].labels.first?.text == "text \(best)")
        #expect(described[0].labels.map(\.score) == described[0].labels.map(\.score).sorted(by: >))
        #expect(described[0].corpusMedian < described[0].labels[0].score)
        // Order statistics by selection equal those of a sort.
        let sorted = scores.sorted()
        #expect(described[0].corpusMedian == sorted[15] && described[0].corpusP95 == sorted[28])
        #expect(described[0].labels[0].percentile == Double(29) / 30)
        var values = (0..<101).map { Double(($0 * 37) % 101) }
        #expect(
            Adaptor.select(&values, rank: 50) == 50 && Adaptor.select(&values, rank: 0) == 0 && Adaptor.select(&values, rank: 100) == 100)
        #expect(throws: InterpError.self) { try read.describe(channels: [22], corpus: ["a"], vectors: [corpus[0]]) }

        // A safetensors file that is not an adaptor is named as such.
        let other = url.deletingLastPathComponent().appendingPathComponent("not-adaptor-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: other) }
        try SafetensorsFile.encode([.init(name: "weight", shape: [1], values: [1])], metadata: ["format": "pt"]).write(to: other)
        #expect(throws: CouplingError.invalidAdaptor(file: other.path, reason: "it is a safetensors file, but not a Loupe adaptor")) {
            try Adaptor(contentsOf: other)
        }
    }

    @Test func anAdaptorForAnotherLayerOrModelIsRefused() throws {
        let lite0 = try Model(named: "efficientnet-lite0"), lite1 = try Model(named: "efficientnet-lite1")
        let embedder = try TextEmbedder()
        var adaptor = try Self.plantedAdaptor()
        var provenance = adaptor.provenance
        provenance.layer = "_blocks.15"
        provenance.encoder = embedder.name
        provenance.encoderSHA256 = embedder.sha256
        provenance.modelFingerprint = try ModelFingerprint.of(lite0)
        adaptor = Adaptor(
            provenance: provenance, channels: adaptor.channels, weights: adaptor.weights, textMean: adaptor.textMean,
            activationMean: adaptor.activationMean, activationStd: adaptor.activationStd)
        try adaptor.check(model: lite0, layer: "_blocks.15", encoder: embedder, file: "a.safetensors")
        #expect(throws: CouplingError.invalidAdaptor(file: "a.safetensors", reason: "it was fitted for layer _blocks.15, not _blocks.14")) {
            try adaptor.check(model: lite0, layer: "_blocks.14", encoder: embedder, file: "a.safetensors")
        }
        #expect(
            throws: CouplingError.invalidAdaptor(
                file: "a.safetensors", reason: "it was fitted for efficientnet-lite0 with other weights than efficientnet-lite1's")
        ) {
            try adaptor.check(model: lite1, layer: "_blocks.15", encoder: embedder, file: "a.safetensors")
        }
    }

    func captionsFile(_ json: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-coupling-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: Self.coupling.appendingPathComponent("green-bus.jpg"), to: folder.appendingPathComponent("bus.jpg"))
        let url = folder.appendingPathComponent("captions.json")
        try Data(json.utf8).write(to: url)
        return url
    }

    @Test func badCaptionFilesNameTheEntry() throws {
        let good = try captionsFile(
            #"{"images":[{"id":1,"file_name":"bus.jpg"},{"id":2,"file_name":"none.jpg"}],"annotations":[{"id":7,"image_id":1,"caption":"A green bus."}]}"#
        )
        let set = try CouplingSet(contentsOf: good)
        #expect(set.photos.map(\.lastPathComponent) == ["bus.jpg"])
        #expect(set.captions == [["A green bus."]])
        #expect(set.uncaptioned == ["none.jpg"])

        let unknown = try captionsFile(
            #"{"images":[{"id":1,"file_name":"bus.jpg"}],"annotations":[{"id":7,"image_id":3,"caption":"A bus."}]}"#)
        #expect(throws: CouplingError.unknownImage(file: unknown.path, annotation: 7, imageID: 3)) { try CouplingSet(contentsOf: unknown) }

        let missing = try captionsFile(
            #"{"images":[{"id":4,"file_name":"gone.jpg"}],"annotations":[{"id":1,"image_id":4,"caption":"A bus."}]}"#)
        let gone = missing.deletingLastPathComponent().appendingPathComponent("gone.jpg").path
        #expect(throws: CouplingError.missingImageFile(file: missing.path, imageID: 4, path: gone)) { try CouplingSet(contentsOf: missing) }

        let noAnnotations = try captionsFile(#"{"images":[{"id":1,"file_name":"bus.jpg"}]}"#)
        #expect(throws: CouplingError.invalidCaptions(file: noAnnotations.path, reason: "annotations is missing")) {
            try CouplingSet(contentsOf: noAnnotations)
        }
    }

    @Test func probeSetsAreSeededAndSkipWhatDoesNotDecode() throws {
        let files = try DatasetExamples.imageFiles(in: Self.coupling).prefix(3)
        let broken = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-broken-\(UUID().uuidString).jpg")
        try Data([0xFF, 0xD8, 0xFF, 0x00]).write(to: broken)
        defer { try? FileManager.default.removeItem(at: broken) }
        let a = try ProbeSet(files: Array(files) + [broken], cropsPerPhoto: 3, seed: 1)
        let b = try ProbeSet(files: Array(files) + [broken], cropsPerPhoto: 3, seed: 1)
        let c = try ProbeSet(files: Array(files), cropsPerPhoto: 3, seed: 2)
        #expect(a.probes == b.probes && a.fingerprint == b.fingerprint)
        #expect(a.probes != c.probes && a.fingerprint != c.fingerprint)
        #expect(a.skipped.map(\.file) == [broken])
        #expect(a.probes.count == 12 && a.photoOfProbe == [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
        for (probe, file) in zip(a.probes, a.probes.map { a.files[$0.photo] }) {
            guard let crop = probe.crop else { continue }
            let image = try RGBImage(contentsOf: file)
            let shorter = Double(min(image.width, image.height))
            #expect(crop.x >= 0 && crop.y >= 0 && crop.x + crop.side <= image.width && crop.y + crop.side <= image.height)
            #expect(Double(crop.side) >= 0.24 * shorter && Double(crop.side) <= 0.61 * shorter)
        }
    }

    @Test func lite0sLastBlockCouplesToTheShippedCaptions() throws {
        let model = try Model(named: "efficientnet-lite0")
        let set = try CouplingSet(contentsOf: Self.coupling.appendingPathComponent("captions.json"))
        #expect(set.photos.count >= 48 && set.captions.allSatisfy { (4...5).contains($0.count) })
        let probes = try ProbeSet(files: set.photos, cropsPerPhoto: 1, seed: 0)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-activations-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let cache = ActivationCache(home: home)
        let first = try ProbeActivations.compute(model: model, layers: ["_blocks.15"], probes: probes, cache: cache)
        let again = try ProbeActivations.compute(model: model, layers: ["_blocks.15"], probes: probes, cache: cache)
        let (a, b) = (try #require(first["_blocks.15"]), try #require(again["_blocks.15"]))
        #expect(!a.cached && b.cached && a.means == b.means && a.maxima == b.maxima)
        #expect(a.channels == 320 && a.probes == probes.probes.count)

        // An independent check of one probe's summary: the whole photo through Model.forward.
        let input = try model.preprocessing.input(from: try RGBImage(contentsOf: set.photos[0]), fit: .crop).tensor
        let map = try #require(try GradMode.withoutGrad { try model.forward(input, capturing: ["_blocks.15"]) }.activations["_blocks.15"])
        let values = try map.scalars, plane = map.shape[2] * map.shape[3]
        for channel in [0, 100, 319] {
            let slice = values[(channel * plane)..<((channel + 1) * plane)]
            #expect(abs(a.means[channel] - slice.reduce(0, +) / Float(plane)) < 1e-3)
            #expect(abs(a.maxima[channel] - (slice.max() ?? 0)) < 1e-3)
        }

        var settings = CouplingSettings()
        settings.permutations = 50
        let adaptor = try Adaptor.fit(
            model: model, layer: "_blocks.15", probes: probes, annotator: CaptionAnnotator(set), embedder: try TextEmbedder(),
            settings: settings, cache: cache)
        // Chance couples about 5 % of 320; the captions couple several times that.
        #expect(adaptor.coupled.count > 48, "\(adaptor.coupled.count) of 320 coupled")
        #expect(adaptor.provenance.photoCount == set.photos.count && adaptor.provenance.layer == "_blocks.15")
    }
}
