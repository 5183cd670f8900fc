/// Cropping and padding, as torchvision's `CenterCrop` does on PIL images.
extension RGBImage {
    /// The `width`×`height` rectangle whose top-left pixel is (`x`, `y`).
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when the rectangle is empty or not
    ///   inside the image.
    public func cropped(x: Int, y: Int, width cropWidth: Int, height cropHeight: Int) throws -> RGBImage {
        guard cropWidth > 0, cropHeight > 0, x >= 0, y >= 0, x + cropWidth <= width, y + cropHeight <= height else {
            throw ImageError.invalidArgument(
                op: "cropped(x:y:width:height:)",
                message: "the \(cropWidth)×\(cropHeight) rectangle at (\(x), \(y)) is not inside the \(width)×\(height) image")
        }
        if cropWidth == width && cropHeight == height { return self }
        var out = [UInt8](repeating: 0, count: cropWidth * cropHeight * 3)
        let rowLength = cropWidth * 3
        for row in 0..<cropHeight {
            let from = ((y + row) * width + x) * 3
            out.replaceSubrange((row * rowLength)..<((row + 1) * rowLength), with: pixels[from..<(from + rowLength)])
        }
        return RGBImage(uncheckedWidth: cropWidth, height: cropHeight, pixels: out)
    }

    /// The image with black borders of the given widths added, as PIL's `ImageOps.expand(…, fill=0)`.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` for a negative border or a result
    ///   beyond Loupe's limits.
    public func padded(left: Int, top: Int, right: Int, bottom: Int) throws -> RGBImage {
        guard min(left, top, right, bottom) >= 0 else {
            throw ImageError.invalidArgument(op: "padded", message: "borders must not be negative, got \([left, top, right, bottom])")
        }
        let newWidth = width + left + right, newHeight = height + top + bottom
        try RGBImage.validate(width: newWidth, height: newHeight, op: "padded")
        var out = [UInt8](repeating: 0, count: newWidth * newHeight * 3)
        let rowLength = width * 3
        for row in 0..<height {
            let to = ((row + top) * newWidth + left) * 3
            out.replaceSubrange(to..<(to + rowLength), with: pixels[(row * rowLength)..<((row + 1) * rowLength)])
        }
        return RGBImage(uncheckedWidth: newWidth, height: newHeight, pixels: out)
    }

    /// The central `width`×`height` region, as torchvision 0.14's `CenterCrop((height, width))`.
    ///
    /// The offset is `int(round((H − h) / 2.0))` with Python's rounding of halves to even, so a
    /// 5-pixel surplus puts the crop at 2 and a 7-pixel one at 4. A crop larger than the image
    /// first pads it with black, `(crop − size) // 2` before and the rest after, as torchvision does.
    ///
    /// - Throws: ``ImageError/invalidArgument(op:message:)`` when a side is not positive.
    public func centerCropped(width cropWidth: Int, height cropHeight: Int) throws -> RGBImage {
        try RGBImage.validate(width: cropWidth, height: cropHeight, op: "centerCropped(width:height:)")
        var image = self
        if cropWidth > width || cropHeight > height {
            let padX = max(cropWidth - width, 0), padY = max(cropHeight - height, 0)
            image = try padded(left: padX / 2, top: padY / 2, right: (padX + 1) / 2, bottom: (padY + 1) / 2)
        }
        let top = Int((Double(image.height - cropHeight) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(image.width - cropWidth) / 2).rounded(.toNearestOrEven))
        return try image.cropped(x: left, y: top, width: cropWidth, height: cropHeight)
    }
}
