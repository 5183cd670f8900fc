import LoupeTensor

/// Conversion between images and `[1, 3, H, W]` tensors, as torchvision's `ToTensor` and
/// `Normalize`.
extension RGBImage {
    /// The pixels as a `[1, 3, H, W]` Float32 tensor in 0…1 (`pixel / 255`), torchvision's
    /// `ToTensor()` with a batch axis.
    public func tensor() throws -> Tensor {
        try tensor(mean: [0, 0, 0], std: [1, 1, 1])
    }

    /// The pixels as a normalised `[1, 3, H, W]` Float32 tensor: `(pixel / 255 − mean[c]) / std[c]`,
    /// torchvision's `ToTensor()` followed by `Normalize(mean, std)`.
    ///
    /// Each step is one correctly rounded Float32 operation, in torchvision's order, so the values
    /// are bit for bit PyTorch's.
    ///
    /// - Parameters:
    ///   - mean: One value per channel (red, green, blue).
    ///   - std: One nonzero, finite value per channel.
    /// - Returns: A `[1, 3, height, width]` tensor, channels red, green, blue.
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when `mean` or `std` does not hold
    ///   three finite values or a standard deviation is zero.
    public func tensor(mean: [Float], std: [Float]) throws -> Tensor {
        guard mean.count == 3, std.count == 3, mean.allSatisfy(\.isFinite), std.allSatisfy(\.isFinite) else {
            throw ImageError.invalidArgument(
                op: "tensor(mean:std:)", message: "mean and std need three finite values (red, green, blue), got \(mean) and \(std)")
        }
        guard !std.contains(0) else {
            throw ImageError.invalidArgument(op: "tensor(mean:std:)", message: "std \(std) contains zero")
        }
        let planeSize = width * height
        var scalars = [Float](repeating: 0, count: 3 * planeSize)
        pixels.withUnsafeBufferPointer { source in
            scalars.withUnsafeMutableBufferPointer { target in
                for c in 0..<3 {
                    let m = mean[c], s = std[c]
                    for i in 0..<planeSize {
                        target[c * planeSize + i] = (Float(source[3 * i + c]) / 255 - m) / s
                    }
                }
            }
        }
        return try Tensor(shape: [1, 3, height, width], scalars: scalars)
    }

    /// The image shown by a `[1, 3, H, W]` or `[3, H, W]` tensor of values in 0…1.
    ///
    /// Values are clamped to 0…1 and rounded to the nearest of the 256 levels (`round(v · 255)`),
    /// so `RGBImage(tensor: image.tensor())` gives back `image` exactly. (torchvision's
    /// `ToPILImage` truncates instead of rounding.)
    ///
    /// - Throws: ``ImageError/invalidTensor(shape:reason:)`` for another shape or a NaN value.
    public init(tensor: Tensor) throws {
        let shape = tensor.shape
        guard (shape.count == 4 && shape[0] == 1 && shape[1] == 3) || (shape.count == 3 && shape[0] == 3) else {
            throw ImageError.invalidTensor(shape: shape, reason: "expected [1, 3, H, W] or [3, H, W]")
        }
        let height = shape[shape.count - 2], width = shape[shape.count - 1]
        do {
            try RGBImage.validate(width: width, height: height, op: "RGBImage(tensor:)")
        } catch {
            throw ImageError.invalidTensor(shape: shape, reason: "\(width)×\(height) is not a valid image size")
        }
        let values = try tensor.scalars
        guard !values.contains(where: \.isNaN) else {
            throw ImageError.invalidTensor(shape: shape, reason: "it contains NaN")
        }
        let planeSize = width * height
        var pixels = [UInt8](repeating: 0, count: 3 * planeSize)
        for c in 0..<3 {
            for i in 0..<planeSize {
                let v = min(max(values[c * planeSize + i], 0), 1)
                pixels[3 * i + c] = UInt8((v * 255).rounded())
            }
        }
        self.init(uncheckedWidth: width, height: height, pixels: pixels)
    }
}
