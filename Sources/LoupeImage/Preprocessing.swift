import LoupeTensor

/// A model's input pipeline: how a photo becomes the `[1, 3, size, size]` tensor the model was
/// trained on.
///
/// It mirrors a torchvision `transforms.Compose` of `Resize`, optionally `CenterCrop`, `ToTensor`
/// and `Normalize`, and produces the same numbers (see ``RGBImage/resized(width:height:filter:)``).
/// Preprocessing belongs to the model descriptor, so a model carries its own.
///
/// Values encoded before ``interpolation`` existed decode as bilinear, the filter they used.
public struct Preprocessing: Sendable, Hashable, Codable {
    /// How the photo is brought to ``size``×``size``.
    public enum ResizeMode: Sendable, Hashable, Codable {
        /// `Resize(resize)` then `CenterCrop(size)`: the shorter side to `resize`, keeping the
        /// aspect ratio, then the central square (ImageNet's evaluation transform is 256 then 224).
        case shorterSideThenCenterCrop(resize: Int)
        /// `Resize((size, size))`: both sides to ``Preprocessing/size``, distorting the aspect
        /// ratio, without a crop.
        case exact
    }

    /// The side of the square input, in pixels.
    public var size: Int
    /// How the photo is resized (and cropped) to ``size``.
    public var resize: ResizeMode
    /// Per-channel mean subtracted after scaling to 0…1 (red, green, blue).
    public var mean: [Float]
    /// Per-channel standard deviation divided by after subtracting the mean.
    public var std: [Float]
    /// The filter `Resize` uses: torchvision's default is bilinear, CLIP's is bicubic.
    public var interpolation: Interpolation

    /// A pipeline producing `size`×`size` inputs.
    ///
    /// - Parameters:
    ///   - size: The side of the square input, in pixels.
    ///   - resize: How the photo is resized (and cropped) to `size`.
    ///   - mean: Per-channel mean (red, green, blue) on the 0…1 scale.
    ///   - std: Per-channel standard deviation on the 0…1 scale.
    ///   - interpolation: The resampling filter of the resize.
    public init(size: Int, resize: ResizeMode, mean: [Float], std: [Float], interpolation: Interpolation = .bilinear) {
        self.size = size
        self.resize = resize
        self.mean = mean
        self.std = std
        self.interpolation = interpolation
    }

    private enum CodingKeys: String, CodingKey {
        case size, resize, mean, std, interpolation
    }

    /// Decodes a pipeline; one encoded without an `interpolation` key (before Loupe had bicubic
    /// resampling) is bilinear.
    ///
    /// - Parameter decoder: The decoder to read from.
    /// - Throws: `DecodingError` when a field is missing or malformed.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        size = try container.decode(Int.self, forKey: .size)
        resize = try container.decode(ResizeMode.self, forKey: .resize)
        mean = try container.decode([Float].self, forKey: .mean)
        std = try container.decode([Float].self, forKey: .std)
        interpolation = try container.decodeIfPresent(Interpolation.self, forKey: .interpolation) ?? .bilinear
    }

    /// ImageNet evaluation: `Resize(256)`, `CenterCrop(224)`, `ToTensor()`,
    /// `Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])`.
    public static let imagenet = Preprocessing(
        size: 224, resize: .shorterSideThenCenterCrop(resize: 256), mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225])

    /// OpenAI CLIP's and open_clip's transform at 224 pixels: `Resize(224, interpolation=BICUBIC)`,
    /// `CenterCrop(224)`, `ToTensor()`,
    /// `Normalize((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711))`.
    public static let clip = Preprocessing(
        size: 224, resize: .shorterSideThenCenterCrop(resize: 224), mean: [0.48145466, 0.4578275, 0.40821073],
        std: [0.26862954, 0.26130258, 0.27577711], interpolation: .bicubic)

    /// The resized (and cropped) picture the model sees, before normalisation.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when ``size`` or the resize target is
    ///   not positive.
    public func preparedImage(from image: RGBImage) throws -> RGBImage {
        switch resize {
        case let .shorterSideThenCenterCrop(shorterSide):
            return try image.resized(shorterSide: shorterSide, filter: interpolation).centerCropped(width: size, height: size)
        case .exact:
            return try image.resized(width: size, height: size, filter: interpolation)
        }
    }

    /// The `[1, 3, size, size]` input tensor for `image`: resized, cropped and normalised.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` for an invalid pipeline (a
    ///   non-positive size, means or standard deviations that are not three finite values, a zero
    ///   standard deviation).
    public func tensor(from image: RGBImage) throws -> Tensor {
        try preparedImage(from: image).tensor(mean: mean, std: std)
    }

    /// The input tensor for an image that is already ``size``×``size``: only normalised, never
    /// resampled (`loupe predict --no-resize`).
    ///
    /// - Throws: ``ImageError/sizeMismatch(expectedWidth:expectedHeight:width:height:)`` naming both
    ///   sizes when the image is another size; the errors of ``RGBImage/tensor(mean:std:)``.
    public func tensorWithoutResizing(from image: RGBImage) throws -> Tensor {
        guard image.width == size, image.height == size else {
            throw ImageError.sizeMismatch(expectedWidth: size, expectedHeight: size, width: image.width, height: image.height)
        }
        return try image.tensor(mean: mean, std: std)
    }
}

/// How a photo is fitted to a model's input: the one set of rules `loupe` commands
/// (`--resize`, `--no-resize`) and notebook cells (`{image}`'s `size` and `resize`) share.
public enum InputFit: String, Sendable, Hashable, CaseIterable, Codable {
    /// The model's own resize and centre crop.
    case crop
    /// Both sides resized to the input size, without a crop (the lecture's squash).
    case exact
    /// Used as it is: the photo already has the input size; it is only normalised.
    case asIs = "as-is"
}

/// A photo made ready for one model: the normalised input and the picture the model sees.
public struct ModelInput: Sendable {
    /// `[1, 3, size, size]`, normalised.
    public let tensor: Tensor
    /// The resized (and cropped) picture, before normalisation: what maps are drawn over.
    public let seen: RGBImage
}

extension Preprocessing {
    /// `image` fitted and normalised as `fit` says.
    ///
    /// - Throws: ``ImageError/sizeMismatch(expectedWidth:expectedHeight:width:height:)`` for an
    ///   ``InputFit/asIs`` photo of another size; the errors of ``tensor(from:)``.
    public func input(from image: RGBImage, fit: InputFit = .crop) throws -> ModelInput {
        var pipeline = self
        switch fit {
        case .crop:
            break
        case .exact:
            pipeline.resize = .exact
        case .asIs:
            return ModelInput(tensor: try tensorWithoutResizing(from: image), seen: image)
        }
        let seen = try pipeline.preparedImage(from: image)
        return ModelInput(tensor: try seen.tensor(mean: mean, std: std), seen: seen)
    }
}
