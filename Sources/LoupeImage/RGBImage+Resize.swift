/// Resizing as torchvision's `transforms.Resize` does on PIL images.
extension RGBImage {
    /// The image resized to `width`×`height` with PIL's antialiased bilinear filter, byte for
    /// byte what `Image.resize((width, height), Image.BILINEAR)` (and so torchvision's
    /// `Resize((height, width))`) returns.
    ///
    /// See ``BilinearResampler`` for the algorithm. Resizing to the current size returns the
    /// image unchanged, as PIL does.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when a side is not positive or the
    ///   result would exceed ``maximumSide`` or ``maximumPixelCount``.
    public func resized(width newWidth: Int, height newHeight: Int) throws -> RGBImage {
        try RGBImage.validate(width: newWidth, height: newHeight, op: "resized(width:height:)")
        if newWidth == width && newHeight == height { return self }
        let out = BilinearResampler.resample(pixels, width: width, height: height, outWidth: newWidth, outHeight: newHeight)
        return RGBImage(uncheckedWidth: newWidth, height: newHeight, pixels: out)
    }

    /// The image resized so that its shorter side is `shorterSide`, as torchvision 0.14's
    /// `Resize(shorterSide)`.
    ///
    /// The longer side becomes `int(shorterSide * longer / shorter)` (truncated, as in
    /// torchvision's `_compute_resized_output_size`); a square image stays square.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when `shorterSide` is not positive or
    ///   the longer side would round down to zero or exceed Loupe's limits.
    public func resized(shorterSide: Int) throws -> RGBImage {
        let size = try sizeAfterResizing(shorterSide: shorterSide)
        return try resized(width: size.width, height: size.height)
    }

    /// The size ``resized(shorterSide:)`` produces, without resizing.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when `shorterSide` is not positive or
    ///   the longer side would be zero.
    public func sizeAfterResizing(shorterSide: Int) throws -> (width: Int, height: Int) {
        guard shorterSide > 0 else {
            throw ImageError.invalidArgument(op: "resized(shorterSide:)", message: "the shorter side must be positive, got \(shorterSide)")
        }
        let (short, long) = width <= height ? (width, height) : (height, width)
        // Python's `n * long / short` is a correctly rounded true division, as Double's `/` is.
        let quotient = Double(shorterSide) * Double(long) / Double(short)
        guard quotient >= 1, quotient <= Double(RGBImage.maximumSide) else {
            throw ImageError.invalidArgument(
                op: "resized(shorterSide:)",
                message: "a \(width)×\(height) image with its shorter side at \(shorterSide) would have a longer side of \(quotient)")
        }
        let newLong = Int(quotient)
        return width <= height ? (shorterSide, newLong) : (newLong, shorterSide)
    }
}
