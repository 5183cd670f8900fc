/// Resizing as torchvision's `transforms.Resize` does on PIL images.
extension RGBImage {
    /// The image resized to `width`×`height` with PIL's antialiased `filter`, byte for byte what
    /// `Image.resize((width, height), Image.BILINEAR)` or `Image.BICUBIC` (and so torchvision's
    /// `Resize((height, width), interpolation=…)`) returns.
    ///
    /// See ``Interpolation`` for the filters. Resizing to the current size returns the image
    /// unchanged, as PIL does.
    ///
    /// - Parameters:
    ///   - newWidth: The width of the result, in pixels.
    ///   - newHeight: The height of the result, in pixels.
    ///   - filter: The resampling filter; bilinear unless a model was trained on bicubic inputs.
    /// - Returns: A `width`×`height` image.
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when a side is not positive or the
    ///   result would exceed ``maximumSide`` or ``maximumPixelCount``.
    public func resized(width newWidth: Int, height newHeight: Int, filter: Interpolation = .bilinear) throws -> RGBImage {
        try RGBImage.validate(width: newWidth, height: newHeight, op: "resized(width:height:)")
        if newWidth == width && newHeight == height { return self }
        let out = Resampler.resample(pixels, width: width, height: height, outWidth: newWidth, outHeight: newHeight, filter: filter)
        return RGBImage(uncheckedWidth: newWidth, height: newHeight, pixels: out)
    }

    /// The image resized so that its shorter side is `shorterSide`, as torchvision 0.14's
    /// `Resize(shorterSide, interpolation=…)`.
    ///
    /// The longer side becomes `int(shorterSide * longer / shorter)` (truncated, as in
    /// torchvision's `_compute_resized_output_size`), whatever the filter; a square image stays
    /// square.
    ///
    /// - Parameters:
    ///   - shorterSide: The length of the shorter side of the result, in pixels.
    ///   - filter: The resampling filter.
    /// - Returns: The resized image, with the aspect ratio kept up to the truncation.
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when `shorterSide` is not positive or
    ///   the longer side would round down to zero or exceed Loupe's limits.
    public func resized(shorterSide: Int, filter: Interpolation = .bilinear) throws -> RGBImage {
        let size = try sizeAfterResizing(shorterSide: shorterSide)
        return try resized(width: size.width, height: size.height, filter: filter)
    }

    /// The size ``resized(shorterSide:filter:)`` produces, without resizing.
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
