import Foundation

/// A 2-D affine map from output pixel coordinates to input pixel coordinates.
///
/// Coordinates are in pixels with pixel centres at integers (`x` is the column, `y` the row):
/// the output pixel `(x, y)` is read at `(a·x + b·y + tx, c·x + d·y + ty)` in the input. This
/// is the inverse of the warp an image undergoes, as `grid_sample` takes it, and matches
/// PyTorch's `align_corners=True` convention.
public struct AffineMap2D: Sendable, Hashable, CustomStringConvertible {
    public var a: Float, b: Float, tx: Float
    public var c: Float, d: Float, ty: Float

    /// The map `x_in = a·x + b·y + tx`, `y_in = c·x + d·y + ty`.
    public init(a: Float, b: Float, tx: Float, c: Float, d: Float, ty: Float) {
        (self.a, self.b, self.tx, self.c, self.d, self.ty) = (a, b, tx, c, d, ty)
    }

    /// The identity map.
    public static let identity = AffineMap2D(a: 1, b: 0, tx: 0, c: 0, d: 1, ty: 0)

    /// Reads the output pixel `(x, y)` at `(x + dx, y + dy)`: the image moves by `(−dx, −dy)`.
    public static func translation(dx: Float, dy: Float) -> AffineMap2D {
        AffineMap2D(a: 1, b: 0, tx: dx, c: 0, d: 1, ty: dy)
    }

    /// The image rotated by `degrees` (counter-clockwise on screen, where `y` points down) and
    /// scaled by `scale` about the point `(centerX, centerY)`, which stays in place.
    public static func rotationAndScale(degrees: Float, scale: Float, centerX: Float, centerY: Float) -> AffineMap2D {
        // The image is warped by x' = s·R(θ)·(x − c) + c; the map reads the input at its inverse.
        let radians = degrees * .pi / 180
        let cosine = Foundation.cos(radians) / scale, sine = Foundation.sin(radians) / scale
        // R(θ) counter-clockwise on screen (y down) is [[cos, sin], [−sin, cos]]; its inverse is the transpose.
        let a = cosine, b = -sine, c = sine, d = cosine
        return AffineMap2D(
            a: a, b: b, tx: centerX - a * centerX - b * centerY,
            c: c, d: d, ty: centerY - c * centerX - d * centerY)
    }

    /// Where the output pixel `(x, y)` is read in the input.
    public func apply(x: Float, y: Float) -> (x: Float, y: Float) {
        (a * x + b * y + tx, c * x + d * y + ty)
    }

    /// The map as its 2×3 matrix, row by row: `[[a, b, tx], [c, d, ty]]`.
    public var description: String { "[[\(a), \(b), \(tx)], [\(c), \(d), \(ty)]]" }
}

extension Tensor {
    /// Bilinear resampling of every `[H, W]` plane through an affine map, with zeros outside
    /// the input, as `F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros",
    /// align_corners=True)` with the grid that `map` describes.
    ///
    /// The input is `[N, C, H, W]`; the output is `[N, C, height, width]`, where the output pixel
    /// `(x, y)` takes the bilinear interpolation of the input at `map.apply(x:y:)`. Each of the four
    /// neighbours contributes only if it lies inside the input. The backward pass scatters the
    /// output gradient back through the same weights (the map itself gets no gradient). Runs in
    /// plain Swift: the four taps of each output pixel are computed once and shared by all planes.
    ///
    /// - Throws: ``TensorError`` when the input is not 4-D or a size is not positive.
    public func affineResampled(_ map: AffineMap2D, height: Int, width: Int) throws -> Tensor {
        try checkRank(4, op: "affineResampled", name: "the input", layout: "[N, C, H, W]")
        guard height > 0, width > 0 else {
            throw TensorError.invalidArgument(op: "affineResampled", message: "output size \(height)×\(width) must be positive")
        }
        let (planes, inHeight, inWidth) = (shape[0] * shape[1], shape[2], shape[3])
        let taps = BilinearTaps(map: map, input: (inHeight, inWidth), output: (height, width))
        let inputPlane = inHeight * inWidth, outputPlane = height * width
        let outShape = [shape[0], shape[1], height, width]
        let out = try withPlainScalars { source in
            try Tensor.plain(outShape) { target, _ in
                for plane in 0..<planes {
                    taps.gather(from: source + plane * inputPlane, into: target + plane * outputPlane)
                }
            }
        }
        let inputShape = shape
        return Tensor.result("affine_resample", shape: outShape, storage: out.storage, inputs: [self]) { g, _ in
            let gradient = try g.withPlainScalars { source in
                try Tensor.plain(inputShape) { target, n in
                    target.update(repeating: 0, count: n)
                    for plane in 0..<planes {
                        taps.scatter(from: source + plane * outputPlane, into: target + plane * inputPlane)
                    }
                }
            }
            return [gradient]
        }
    }
}

/// The four input positions and weights of every output pixel of a bilinear resampling.
private struct BilinearTaps {
    /// Four input offsets per output pixel; `-1` marks a neighbour outside the input.
    let offsets: [Int32]
    let weights: [Float]

    init(map: AffineMap2D, input: (height: Int, width: Int), output: (height: Int, width: Int)) {
        let count = output.height * output.width
        var offsets = [Int32](repeating: -1, count: 4 * count)
        var weights = [Float](repeating: 0, count: 4 * count)
        let (height, width) = (Float(input.height), Float(input.width))
        offsets.withUnsafeMutableBufferPointer { o in
            weights.withUnsafeMutableBufferPointer { w in
                for y in 0..<output.height {
                    for x in 0..<output.width {
                        let (sx, sy) = map.apply(x: Float(x), y: Float(y))
                        // Far outside (or not finite): no neighbour is inside, and the casts below stay safe.
                        guard sx > -1, sy > -1, sx < width, sy < height else { continue }
                        let x0 = sx.rounded(.down), y0 = sy.rounded(.down)
                        let fx = sx - x0, fy = sy - y0
                        let base = 4 * (y * output.width + x)
                        for k in 0..<4 {
                            let row = y0 + Float(k / 2), column = x0 + Float(k % 2)
                            guard row >= 0, row < height, column >= 0, column < width else { continue }
                            o[base + k] = Int32(Int(row) * input.width + Int(column))
                            w[base + k] = (k / 2 == 0 ? 1 - fy : fy) * (k % 2 == 0 ? 1 - fx : fx)
                        }
                    }
                }
            }
        }
        self.offsets = offsets
        self.weights = weights
    }

    func gather(from source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { o in
            weights.withUnsafeBufferPointer { w in
                for p in 0..<(o.count / 4) {
                    var sum: Float = 0
                    for k in (4 * p)..<(4 * p + 4) where o[k] >= 0 { sum += w[k] * source[Int(o[k])] }
                    target[p] = sum
                }
            }
        }
    }

    func scatter(from source: UnsafePointer<Float>, into target: UnsafeMutablePointer<Float>) {
        offsets.withUnsafeBufferPointer { o in
            weights.withUnsafeBufferPointer { w in
                for p in 0..<(o.count / 4) {
                    let g = source[p]
                    for k in (4 * p)..<(4 * p + 4) where o[k] >= 0 { target[Int(o[k])] += w[k] * g }
                }
            }
        }
    }
}
