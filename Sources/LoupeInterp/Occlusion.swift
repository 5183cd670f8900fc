import LoupeTensor

extension Attributor {
    /// Occlusion (Zeiler & Fergus 2014), as Captum's `Occlusion` with a `3 × window × window`
    /// sliding window: each pixel's attribution is the mean drop of the target over the windows
    /// covering it when they are replaced by `value` (in normalised units).
    ///
    /// - Parameters:
    ///   - input: `[1, 3, H, W]`, normalised.
    ///   - target: What is explained.
    ///   - window: The side of the square window, in pixels (1 up to the shorter side).
    ///   - stride: Pixels between neighbouring window positions (at least 1).
    ///   - value: What occluded pixels are set to, in normalised units (0 is the mean colour).
    ///   - batchSize: Occluded images per forward pass.
    /// - Returns: A signed attribution of the input's shape, the same map in each channel;
    ///   pixels no window covers get 0.
    /// - Throws: ``InterpError/invalidParameter(_:)`` for a window or stride out of range; the
    ///   model's errors.
    public func occlusion(
        _ input: Tensor, target: ResolvedTarget, window: Int = 16, stride: Int = 8, value: Float = 0, batchSize: Int = 32
    ) throws -> Attribution {
        let (channels, height, width) = (input.shape[1], input.shape[2], input.shape[3])
        guard window >= 1, window <= Swift.min(height, width) else {
            throw InterpError.invalidParameter("the window must be 1…\(Swift.min(height, width)) pixels, found \(window)")
        }
        guard stride >= 1 else { throw InterpError.invalidParameter("the stride must be at least 1, found \(stride)") }
        let rows = (height - window) / stride + 1, columns = (width - window) / stride + 1
        let positions = (0..<rows).flatMap { r in (0..<columns).map { c in (r * stride, c * stride) } }
        let x = try input.scalars
        let plane = height * width
        let reference = try objective(input, target: target, gradient: false).values[0]
        var total = [Float](repeating: 0, count: plane), counts = [Float](repeating: 0, count: plane)
        var start = 0
        while start < positions.count {
            let chunk = positions[start..<Swift.min(positions.count, start + Swift.max(1, batchSize))]
            var batch = [Float]()
            batch.reserveCapacity(chunk.count * x.count)
            for (top, left) in chunk {
                var occluded = x
                for c in 0..<channels {
                    for y in top..<(top + window) {
                        let row = c * plane + y * width
                        for xx in left..<(left + window) { occluded[row + xx] = value }
                    }
                }
                batch += occluded
            }
            let scores = try objective(
                try Tensor(shape: [chunk.count, channels, height, width], scalars: batch), target: target, gradient: false
            ).values
            for ((top, left), score) in zip(chunk, scores) {
                let drop = reference - score
                for y in top..<(top + window) {
                    for xx in left..<(left + window) {
                        total[y * width + xx] += drop
                        counts[y * width + xx] += 1
                    }
                }
            }
            start += chunk.count
        }
        let map = zip(total, counts).map { $1 > 0 ? $0 / $1 : 0 }
        let values = (0..<channels).flatMap { _ in map }
        return Attribution(
            values: values, shape: input.shape, method: "occlusion, \(window)×\(window) window, stride \(stride)",
            target: target, isSigned: true)
    }
}
