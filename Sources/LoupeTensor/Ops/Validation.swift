/// Input checks shared by the heavy operations.
extension Tensor {
    /// Throws ``TensorError/notANumber(op:input:shape:)`` if any element is NaN.
    ///
    /// Scans the raw buffer, whatever its layout: block padding is zero, never NaN.
    /// The scan runs once per buffer: a clean result is remembered, so weights and an image that
    /// is fed again are not scanned again.
    func checkNoNaN(op: String, name: String) throws {
        if containsNaN {
            throw TensorError.notANumber(op: op, input: name, shape: shape)
        }
    }

    /// Whether any element is NaN, scanning the raw buffer once: a clean answer is remembered.
    public var containsNaN: Bool { storage.buffer.containsNaN }

    func checkRank(_ expected: Int, op: String, name: String, layout: String) throws {
        guard rank == expected else {
            throw TensorError.shapeMismatch(op: op, shapes: [shape], expected: "\(name) must be \(expected)-D \(layout)")
        }
    }
}

/// Output length of a sliding window, PyTorch's formula (floor mode, or ceil mode as pooling
/// uses it: the last window must start inside the input or the left padding).
func windowOutputLength(input: Int, kernel: Int, stride: Int, padding: (Int, Int), dilation: Int, ceilMode: Bool = false) -> Int {
    let span = dilation * (kernel - 1) + 1
    let room = input + padding.0 + padding.1 - span
    guard room >= 0 else { return 0 }
    var length = (ceilMode ? (room + stride - 1) / stride : room / stride) + 1
    if ceilMode, (length - 1) * stride >= input + padding.0 { length -= 1 }
    return length
}
