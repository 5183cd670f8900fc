import ArgumentParser
import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

/// How a command picks its model: a registry name, or an architecture and a weights file.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model from the store (see `loupe models list`); default \(ModelStore.defaultModel).")
    var model: String?

    @Option(help: "An architecture (resnet18…152, vgg11…19[_bn], alexnet, mobilenet_v2, efficientnet_lite0…4), with --weights.")
    var arch: String?

    @Option(help: "A checkpoint for --arch: PyTorch .pth (zip or legacy) or .safetensors.")
    var weights: String?

    func validate() throws {
        if model != nil, arch != nil || weights != nil {
            throw ValidationError("give either --model or --arch with --weights, not both")
        }
        if (arch == nil) != (weights == nil) {
            throw ValidationError("--arch and --weights go together")
        }
    }

    /// Loads the chosen model, printing store progress to standard error.
    func load() throws -> Model {
        if let arch, let weights {
            let path = (weights as NSString).expandingTildeInPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw ModelError.unreadable(file: weights, reason: "no such file")
            }
            return try Model(architecture: Architecture(named: arch), weights: URL(fileURLWithPath: path))
        }
        return try Model(named: model ?? ModelStore.defaultModel) { message in
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

    @Option(help: "crop: the model's resize and centre crop (default); exact: resize to the input size without cropping, as the lecture does.")
    var resize: ResizeChoice = .crop

    enum ResizeChoice: String, ExpressibleByArgument, CaseIterable {
        case crop, exact
    }

    /// The preprocessing this command applies with `model`.
    func preprocessing(for model: Model) -> Preprocessing {
        var p = model.preprocessing
        if resize == .exact { p.resize = .exact }
        return p
    }

    /// The decoded image (decode it before loading a model: it is the cheaper check).
    func decode() throws -> RGBImage {
        try RGBImage(contentsOf: URL(fileURLWithPath: (image as NSString).expandingTildeInPath))
    }

    /// The model input made from `decoded`; errors name the image file.
    func input(from decoded: RGBImage, for model: Model) throws -> Tensor {
        let p = preprocessing(for: model)
        do {
            return noResize ? try p.tensorWithoutResizing(from: decoded) : try p.tensor(from: decoded)
        } catch {
            throw FileError(path: image, underlying: error)
        }
    }
}

/// An error about a file whose own message does not name it.
struct FileError: Error, CustomStringConvertible {
    let path: String
    let underlying: Error
    var description: String { "\(path): \(underlying)" }
}

/// Prints `error` as one paragraph on standard error and exits with 1.
func fail(_ error: Error) -> ExitCode {
    FileHandle.standardError.write(Data("loupe: \(error)\n".utf8))
    return .failure
}
