import LoupeTensor
import Testing

/// Bad input throws a ``TensorError`` that names the op and the shapes, never crashes.
@Suite struct BadInputTests {
    func tensor(_ shape: [Int], value: Float = 1) throws -> Tensor { try Tensor.full(shape, value: value) }

    /// Runs `body`, expects a `TensorError`, and returns its message.
    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            Issue.record("no error was thrown")
            return ""
        } catch let error as TensorError {
            return error.description
        } catch {
            Issue.record("unexpected error type: \(error)")
            return ""
        }
    }

    @Test func convolutionChannelMismatchNamesTheShapes() throws {
        let x = try tensor([1, 3, 8, 8]), w = try tensor([4, 2, 3, 3])
        let text = message { _ = try x.conv2d(weight: w) }
        #expect(text.contains("conv2d"))
        #expect(text.contains("[1, 3, 8, 8]") && text.contains("[4, 2, 3, 3]"))
    }

    @Test func convolutionRejectsBadGeometry() throws {
        let x = try tensor([1, 3, 8, 8]), w = try tensor([4, 3, 3, 3])
        #expect(message { _ = try x.conv2d(weight: w, stride: (0, 1)) }.contains("stride"))
        #expect(message { _ = try x.conv2d(weight: w, padding: Padding2D(top: -1, bottom: 0, left: 0, right: 0)) }.contains("padding"))
        #expect(message { _ = try x.conv2d(weight: w, dilation: (0, 1)) }.contains("dilation"))
        #expect(message { _ = try x.conv2d(weight: try tensor([4, 3, 9, 9])) }.contains("[4, 3, 9, 9]"))
        #expect(message { _ = try x.conv2d(weight: try tensor([4, 1, 3, 3]), groups: 3) }.contains("groups"))
        #expect(message { _ = try x.conv2d(weight: w, bias: try tensor([5])) }.contains("bias"))
        #expect(message { _ = try tensor([3, 8, 8]).conv2d(weight: w) }.contains("[N, C, H, W]"))
    }

    @Test func notANumberIsReported() throws {
        var values = [Float](repeating: 0.5, count: 3 * 6 * 6)
        values[17] = .nan
        let x = try Tensor(shape: [1, 3, 6, 6], scalars: values)
        let text = message { _ = try x.conv2d(weight: try tensor([2, 3, 3, 3])) }
        #expect(text.contains("conv2d") && text.contains("NaN") && text.contains("[1, 3, 6, 6]"))
        #expect(message { _ = try x.maxPool2d(kernel: (2, 2)) }.contains("NaN"))
        #expect(message { _ = try x.reshaped(to: [3, 36]).matmul(try tensor([36, 2])) }.contains("NaN"))
    }

    @Test func poolingRejectsBadArguments() throws {
        let x = try tensor([1, 2, 5, 5])
        #expect(message { _ = try x.maxPool2d(kernel: (2, 2), padding: (2, 2)) }.contains("padding"))
        #expect(message { _ = try x.avgPool2d(kernel: (0, 2)) }.contains("kernel"))
        #expect(message { _ = try x.maxPool2d(kernel: (7, 7)) }.contains("[1, 2, 5, 5]"))
        #expect(message { _ = try x.adaptiveAvgPool2d(outputSize: (0, 1)) }.contains("adaptive_avg_pool2d"))
    }

    @Test func elementwiseAndLinearAlgebraMismatches() throws {
        #expect(message { _ = try tensor([2, 3]) + tensor([4, 3]) }.contains("[2, 3] and [4, 3]"))
        #expect(message { _ = try tensor([2, 3]).matmul(tensor([4, 5])) }.contains("matmul"))
        #expect(message { _ = try tensor([2, 3]).linear(weight: tensor([4, 5])) }.contains("linear"))
        #expect(
            message { _ = try tensor([2, 3, 4]).layerNorm(normalizedShape: [3], weight: tensor([3]), bias: tensor([3])) }.contains(
                "layer_norm"))
        #expect(
            message {
                _ = try tensor([2, 3, 4, 4]).batchNorm(mean: tensor([3]), variance: tensor([3]), weight: tensor([2]), bias: tensor([3]))
            }.contains("weight"))
    }

    @Test func shapeAndIndexErrors() throws {
        #expect(message { _ = try Tensor(shape: [2, 3], scalars: [1, 2]) }.contains("[2, 3]"))
        #expect(message { _ = try Tensor.zeros([2, -1]) }.contains("negative"))
        #expect(message { _ = try tensor([2, 3]).reshaped(to: [4, 2]) }.contains("reshape"))
        #expect(message { _ = try tensor([2, 3]).slice(axis: 1, 1..<5) }.contains("slice"))
        #expect(message { _ = try tensor([2, 3]).sum(axes: [2]) }.contains("out of range"))
        #expect(message { _ = try tensor([2, 3])[2] }.contains("out of range"))
        #expect(message { _ = try tensor([2, 3]).permuted([0, 0]) }.contains("permute"))
        #expect(message { _ = try tensor([2, 3]).topK(4) }.contains("topK"))
        #expect(message { _ = try Tensor.concatenate([tensor([2, 3]), tensor([2, 4])], axis: 0) }.contains("concatenate"))
        #expect(message { _ = try Tensor.concatenate([], axis: 0) }.contains("no tensors"))
    }
}
