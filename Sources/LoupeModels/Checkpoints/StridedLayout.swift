import Foundation
import LoupeTensor

/// Where a tensor's elements lie in its storage: PyTorch's view of a storage as
/// `(storage_offset, size, stride)`, all counted in elements.
///
/// A layout is validated when it is made: dimensions and strides are non-negative, nothing
/// overflows, and every element it reaches lies inside the storage. Strides may be anything
/// else: transposed, sliced and expanded (stride 0) views all read correctly.
struct StridedLayout: Equatable {
    /// The tensor's dimensions, outermost first.
    let shape: [Int]
    /// Elements to step in the storage per step along each dimension.
    let strides: [Int]
    /// The storage element holding the tensor's first element.
    let offset: Int
    /// The number of elements (the product of `shape`).
    let count: Int
    /// One past the last storage element the layout reaches (0 for an empty tensor).
    let extent: Int

    /// The most elements a tensor may have when its strides repeat storage elements (an
    /// expanded view): such a tensor's size is not bounded by the file's, so it is capped here.
    static let repeatedElementLimit = 1 << 26

    /// A validated layout.
    ///
    /// - Parameters:
    ///   - shape: the tensor's size, outermost first.
    ///   - strides: the step in storage elements along each dimension.
    ///   - offset: the storage element holding the first element.
    ///   - storageCount: how many elements the storage holds.
    ///   - file: the checkpoint, for errors.
    ///   - what: names the tensor in errors.
    /// - Throws: ``ModelError/notACheckpoint(file:reason:)`` when the view is malformed or
    ///   reaches outside the storage.
    init(shape: [Int], strides: [Int], offset: Int, storageCount: Int, file: String, what: String) throws {
        func bad(_ reason: String) -> ModelError {
            .notACheckpoint(file: file, reason: "\(what): \(reason)")
        }
        guard shape.count == strides.count else {
            throw bad("size \(shape) and stride \(strides) have different lengths")
        }
        guard shape.count <= 64 else { throw bad("\(shape.count) dimensions is more than any model uses") }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), offset >= 0, storageCount >= 0 else {
            throw bad("negative size \(shape), stride \(strides) or offset \(offset)")
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw bad("size \(shape) has too many elements") }
            count = product
        }
        var extent = 0
        if count > 0 {
            var last = offset
            for (dimension, stride) in zip(shape, strides) {
                let (step, overflow1) = (dimension - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflow2) = last.addingReportingOverflow(step)
                guard !overflow1, !overflow2 else { throw bad("stride \(strides) overflows") }
                last = sum
            }
            guard last < storageCount else {
                throw bad(
                    "size \(shape), stride \(strides) and offset \(offset) reach element \(last) of a storage holding \(storageCount)")
            }
            extent = last + 1
            if count > extent - offset, count > Self.repeatedElementLimit {
                throw bad("size \(shape) repeats storage elements \(count) times over; Loupe expands at most \(Self.repeatedElementLimit)")
            }
        }
        self.shape = shape
        self.strides = strides
        self.offset = offset
        self.count = count
        self.extent = extent
    }

    /// The dense row-major layout of `shape` at the start of a storage of exactly its size.
    static func contiguous(_ shape: [Int], file: String, what: String) throws -> StridedLayout {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for i in shape.indices.reversed() {
            strides[i] = running
            let (product, overflow) = running.multipliedReportingOverflow(by: max(shape[i], 1))
            guard !overflow else {
                throw ModelError.notACheckpoint(file: file, reason: "\(what): size \(shape) has too many elements")
            }
            running = product
        }
        let count = shape.reduce(1) { $0 &* $1 }
        return try StridedLayout(shape: shape, strides: strides, offset: 0, storageCount: count, file: file, what: what)
    }

    /// The layout as `(size, stride)` runs with size-1 dimensions dropped and adjacent dimensions
    /// merged wherever they are contiguous with each other, outermost first.
    var mergedDimensions: [(size: Int, stride: Int)] {
        var merged: [(size: Int, stride: Int)] = []
        for (size, stride) in zip(shape, strides) where size != 1 {
            if let last = merged.last, last.stride == stride &* size {
                merged[merged.count - 1] = (last.size &* size, stride)
            } else {
                merged.append((size, stride))
            }
        }
        return merged
    }
}

// MARK: - Converting stored elements

extension StridedLayout {
    /// Reads the elements this layout selects from `bytes` and returns them as a Float32 tensor.
    ///
    /// - Parameters:
    ///   - bytes: the whole storage; its element 0 is at byte 0.
    ///   - type: the storage's element type; only float32, float16, bfloat16 and int64 convert.
    ///   - bigEndian: whether elements are stored most significant byte first.
    ///   - key: the tensor's key, for errors.
    ///   - file: the checkpoint, for errors.
    /// - Returns: the selected elements as a dense Float32 tensor of this layout's shape.
    /// - Throws: ``ModelError/unsupportedDType(file:key:dtype:)`` for other element types,
    ///   ``ModelError/truncated(file:detail:)`` when `bytes` ends before the layout's extent.
    func tensor(
        from bytes: UnsafeRawBufferPointer, type: ElementType, bigEndian: Bool = false,
        key: String, file: String
    ) throws -> Tensor {
        guard type.isConvertible else { throw ModelError.unsupportedDType(file: file, key: key, dtype: type.name) }
        let (needed, overflow) = extent.multipliedReportingOverflow(by: type.byteSize)
        guard !overflow, needed <= bytes.count else {
            throw ModelError.truncated(
                file: file, detail: "tensor \(key) needs \(extent) \(type.name) element(s) but its storage holds \(bytes.count) byte(s)")
        }
        do {
            return try Tensor(shape: shape) { buffer in
                if count > 0, let source = bytes.baseAddress, let destination = buffer.baseAddress {
                    fill(destination, from: source, type: type, bigEndian: bigEndian)
                }
            }
        } catch {
            throw ModelError.notACheckpoint(file: file, reason: "tensor \(key) of size \(shape): \(error)")
        }
    }

    /// Writes the `count` selected elements to `destination` in row-major order.
    private func fill(
        _ destination: UnsafeMutablePointer<Float>, from source: UnsafeRawPointer,
        type: ElementType, bigEndian: Bool
    ) {
        var dimensions = mergedDimensions
        let run = dimensions.popLast() ?? (size: 1, stride: 1)
        var index = [Int](repeating: 0, count: dimensions.count)
        var start = offset
        var written = 0
        while written < count {
            Self.convert(
                run.size, from: source, start: start, stride: run.stride, type: type, bigEndian: bigEndian,
                into: destination + written)
            written += run.size
            // Advance the odometer over the outer dimensions.
            var d = dimensions.count - 1
            while d >= 0 {
                index[d] += 1
                start &+= dimensions[d].stride
                if index[d] < dimensions[d].size { break }
                start &-= dimensions[d].stride &* dimensions[d].size
                index[d] = 0
                d -= 1
            }
        }
    }

    /// Converts `n` elements, `stride` apart, starting at element `start`.
    private static func convert(
        _ n: Int, from source: UnsafeRawPointer, start: Int, stride: Int,
        type: ElementType, bigEndian: Bool, into out: UnsafeMutablePointer<Float>
    ) {
        let size = type.byteSize
        func at(_ i: Int) -> Int { (start + i * stride) * size }
        switch type {
        case .float32:
            if stride == 1, !bigEndian, UInt32(littleEndian: 1) == 1 {
                UnsafeMutableRawPointer(out).copyMemory(from: source + start * 4, byteCount: n * 4)
                return
            }
            for i in 0..<n {
                let raw = source.loadUnaligned(fromByteOffset: at(i), as: UInt32.self)
                out[i] = Float(bitPattern: bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
            }
        case .float16:
            for i in 0..<n {
                let raw = source.loadUnaligned(fromByteOffset: at(i), as: UInt16.self)
                out[i] = halfToFloat(bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw))
            }
        case .bfloat16:
            for i in 0..<n {
                let raw = source.loadUnaligned(fromByteOffset: at(i), as: UInt16.self)
                out[i] = Float(bitPattern: UInt32(bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)) << 16)
            }
        case .int64:
            for i in 0..<n {
                let raw = source.loadUnaligned(fromByteOffset: at(i), as: Int64.self)
                out[i] = Float(bigEndian ? Int64(bigEndian: raw) : Int64(littleEndian: raw))
            }
        default:
            out.update(repeating: 0, count: n)  // unreachable: `tensor(from:)` checks `isConvertible`
        }
    }
}

/// The exact Float32 value of an IEEE 754 half-precision bit pattern.
func halfToFloat(_ half: UInt16) -> Float {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    let mantissa = UInt32(half & 0x03FF)
    switch exponent {
    case 0:
        // Zero or subnormal: mantissa × 2⁻²⁴, exact in Float32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    case 0x1F:
        return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
    default:
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }
}
