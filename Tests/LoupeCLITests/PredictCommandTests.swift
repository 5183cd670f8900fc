import Foundation
import Testing

/// `loupe predict` end to end: the built binary, run as a user would, on bad input.
///
/// Each case must exit with 2 (bad input) and one paragraph on standard error that names the file
/// and the problem, and must not crash.
@Suite struct PredictCommandTests {
    /// The repository root (this file is Tests/LoupeCLITests/…).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let checkpoints = root.appendingPathComponent("Tests/LoupeModelsTests/Fixtures/checkpoints")
    static let badImages = root.appendingPathComponent("Tests/LoupeImageTests/Fixtures/bad")

    func loupe(_ arguments: [String]) throws -> LoupeRun {
        try runLoupe(arguments)
    }

    /// A small valid image for the cases where the checkpoint is the bad input.
    func validImage() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-cli-valid.png")
        let source = Self.root.appendingPathComponent("Tests/LoupeImageTests/Fixtures/photos")
        let first = try #require(
            try FileManager.default.contentsOfDirectory(at: source, includingPropertiesForKeys: nil).first { $0.pathExtension == "png" })
        if !FileManager.default.fileExists(atPath: url.path) { try FileManager.default.copyItem(at: first, to: url) }
        return url
    }

    func expectOneParagraph(_ run: LoupeRun, naming file: String, saying words: [String], sourceLocation: SourceLocation = #_sourceLocation)
    {
        #expect(run.status == 2, "bad input exits with 2, found \(run.status)", sourceLocation: sourceLocation)
        let text = run.errors.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(text.contains(file), "message does not name \(file): \(text)", sourceLocation: sourceLocation)
        for word in words {
            #expect(text.localizedCaseInsensitiveContains(word), "message lacks \"\(word)\": \(text)", sourceLocation: sourceLocation)
        }
        #expect(!text.contains("\n\n") && !text.contains("Fatal error"), "not one clean paragraph: \(text)", sourceLocation: sourceLocation)
    }

    @Test func truncatedImage() throws {
        let photo = try validImage()
        let data = try Data(contentsOf: photo)
        let cut = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-cut.png")
        try data.prefix(data.count / 3).write(to: cut)
        let run = try loupe([
            "predict", "--arch", "resnet18", "--weights", Self.checkpoints.appendingPathComponent("tiny_zip.pt").path, "--image", cut.path,
        ])
        expectOneParagraph(run, naming: cut.path, saying: ["truncated"])
    }

    /// `LOUPE_MAX_IMAGE_PIXELS` lowers (or raises) the pixel limit; a photo above it is refused
    /// from its header, naming the file, the size and the variable.
    @Test func thePixelLimitComesFromTheEnvironment() throws {
        let photo = try validImage()
        let arguments = [
            "predict", "--arch", "resnet18", "--weights", Self.checkpoints.appendingPathComponent("tiny_zip.pt").path, "--image",
            photo.path,
        ]
        let refused = try runLoupe(arguments, environment: ["LOUPE_MAX_IMAGE_PIXELS": "1000"])
        expectOneParagraph(refused, naming: photo.path, saying: ["declares", "1000 pixels", "LOUPE_MAX_IMAGE_PIXELS"])
        let allowed = try runLoupe(arguments, environment: ["LOUPE_MAX_IMAGE_PIXELS": "not a number"])
        // An unreadable value keeps the default: the photo decodes, and the tiny checkpoint (not a
        // ResNet-18) is what fails next.
        #expect(!allowed.errors.contains("declares") && allowed.errors.contains("conv1.weight"), "\(allowed.errors)")
    }

    @Test func textFileNamedLikeAnImage() throws {
        let text = Self.badImages.appendingPathComponent("text.jpg")
        let run = try loupe([
            "predict", "--arch", "resnet18", "--weights", Self.checkpoints.appendingPathComponent("tiny_zip.pt").path, "--image", text.path,
        ])
        expectOneParagraph(run, naming: text.path, saying: ["not"])
    }

    @Test(arguments: ["evil_posix_system.pt", "evil_legacy_os_system.pt", "evil_builtins_eval.pt"])
    func maliciousPickleIsRefused(_ name: String) throws {
        let file = Self.checkpoints.appendingPathComponent(name)
        let run = try loupe(["predict", "--arch", "resnet18", "--weights", file.path, "--image", try validImage().path])
        expectOneParagraph(run, naming: file.path, saying: ["refuses", "nothing was executed"])
    }

    @Test(arguments: ["truncated_zip.pt", "truncated_legacy.pt"])
    func truncatedCheckpoint(_ name: String) throws {
        let file = Self.checkpoints.appendingPathComponent(name)
        let run = try loupe(["predict", "--arch", "resnet18", "--weights", file.path, "--image", try validImage().path])
        expectOneParagraph(run, naming: file.path, saying: ["truncated"])
    }

    @Test func wrongArchitectureForTheFile() throws {
        let file = Self.checkpoints.appendingPathComponent("tiny_zip.pt")
        let run = try loupe(["predict", "--arch", "mobilenet_v2", "--weights", file.path, "--image", try validImage().path])
        expectOneParagraph(run, naming: file.path, saying: ["another architecture"])
    }

    @Test func unknownArchitectureSuggestsOne() throws {
        let run = try loupe([
            "predict", "--arch", "resnet-05", "--weights", Self.checkpoints.appendingPathComponent("tiny_zip.pt").path, "--image",
            try validImage().path,
        ])
        #expect(run.status != 0)
        #expect(run.errors.contains("resnet50"))
    }

    @Test func missingImageFile() throws {
        let run = try loupe([
            "predict", "--arch", "resnet18", "--weights", Self.checkpoints.appendingPathComponent("tiny_zip.pt").path, "--image",
            "/nonexistent/photo.jpg",
        ])
        expectOneParagraph(run, naming: "/nonexistent/photo.jpg", saying: [])
    }
}
