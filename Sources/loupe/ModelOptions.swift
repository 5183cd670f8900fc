import ArgumentParser
import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// How a command picks its model: a registry name, or an architecture and a weights file.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model from the store (see `loupe models list`); default \(ModelStore.defaultModel).")
    var model: String?

    @Option(
        help:
            "An architecture (resnet18…152, vgg11…19[_bn], alexnet, mobilenet_v2, efficientnet_lite0…4): with --weights, the checkpoint to load; alone, the store's pretrained weights for it."
    )
    var arch: String?

    @Option(help: "A checkpoint for --arch: PyTorch .pth (zip or legacy) or .safetensors.")
    var weights: String?

    /// The source these flags name, by the rules `{model}` cells follow too.
    func source() throws -> ModelSource {
        let path = weights.map { ($0, URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath)) }
        return try ModelSource(name: model, architecture: arch, weights: path)
    }

    func validate() throws {
        do {
            _ = try source()
        } catch {
            throw ValidationError(String(describing: error))
        }
    }

    /// Loads the chosen model, printing store progress to standard error.
    func load() throws -> Model {
        try source().load { message in
            FileHandle.standardError.write(Data("loupe: \(message)\n".utf8))
        }
    }
}

/// How a command prepares its image.
struct ImageOptions: ParsableArguments {
    @Option(help: "The image: JPEG or PNG.")
    var image: String

    @Flag(help: "Use an image that already has the model's input size as it is (only normalise).")
    var noResize = false

    @Option(
        help: "crop: the model's resize and centre crop (default); exact: resize to the input size without cropping, as the lecture does.")
    var resize: ResizeChoice = .crop

    enum ResizeChoice: String, ExpressibleByArgument, CaseIterable {
        case crop, exact
    }

    /// How the photo is fitted to the model's input (the rules notebook cells follow too).
    var fit: InputFit { noResize ? .asIs : resize == .exact ? .exact : .crop }

    /// The decoded image (decode it before loading a model: it is the cheaper check).
    func decode() throws -> RGBImage {
        try RGBImage(contentsOf: URL(fileURLWithPath: (image as NSString).expandingTildeInPath))
    }

    /// The model input made from `decoded`; errors name the image file.
    func input(from decoded: RGBImage, for model: Model) throws -> ModelInput {
        do {
            return try model.preprocessing.input(from: decoded, fit: fit)
        } catch {
            throw FileError(path: image, underlying: error)
        }
    }
}

/// An error about a file whose own message does not name it.
struct FileError: Error, CustomStringConvertible, OriginatedError {
    let path: String
    let underlying: Error
    var description: String {
        (underlying as NSError).domain == NSCocoaErrorDomain
            ? "\(path): \(FileErrorReason.text(for: underlying))" : "\(path): \(underlying)"
    }
    var origin: ErrorOrigin { (underlying as? OriginatedError)?.origin ?? .input }
}

/// The exit statuses `loupe` uses besides 0 (success) and 1 (a notebook rendered with failing
/// cells): 2 for bad input, whatever names it (an option, a file, a model, a cell), and 3 for a
/// failure inside Loupe (a bug, or a library such as oneDNN failing).
enum ExitStatus {
    static let badInput = ExitCode(2)
    static let internalFailure = ExitCode(3)

    /// The status for `error`: internal when the error says so, bad input otherwise (file-system
    /// and decoding errors are about the files the user named).
    static func code(for error: Error) -> ExitCode {
        (error as? OriginatedError)?.origin == .internal ? internalFailure : badInput
    }
}

/// Prints `error` as one paragraph on standard error and returns the exit status it deserves.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("loupe: \(error)\n".utf8))
    return ExitStatus.code(for: error)
}
