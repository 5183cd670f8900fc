/// The element type of a stored tensor, as PyTorch and safetensors name it.
///
/// Loupe converts ``float32``, ``float16``, ``bfloat16`` and ``int64`` to `Float`; the other
/// cases exist so that a checkpoint naming them fails with
/// ``ModelError/unsupportedDType(file:key:dtype:)`` for the tensor that uses them, rather than
/// as an unknown global.
enum ElementType: Sendable, Equatable {
    case float32, float16, bfloat16, int64
    case float64, int32, int16, int8, uint8, bool
    case complex64, complex128
    case qint8, quint8, qint32, quint4x2
    case other(String)

    /// Bytes per element (1 for types whose size Loupe does not know, which it never converts).
    var byteSize: Int {
        switch self {
        case .float32, .int32, .qint32: return 4
        case .float16, .bfloat16, .int16: return 2
        case .int64, .float64, .complex64: return 8
        case .complex128: return 16
        case .int8, .uint8, .bool, .qint8, .quint8, .quint4x2, .other: return 1
        }
    }

    /// Whether Loupe converts this type to `Float`.
    var isConvertible: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .int64: return true
        default: return false
        }
    }

    /// PyTorch's name for the type (`float32`, `bfloat16`, …).
    var name: String {
        switch self {
        case .float32: return "float32"
        case .float16: return "float16"
        case .bfloat16: return "bfloat16"
        case .int64: return "int64"
        case .float64: return "float64"
        case .int32: return "int32"
        case .int16: return "int16"
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .bool: return "bool"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .qint8: return "qint8"
        case .quint8: return "quint8"
        case .qint32: return "qint32"
        case .quint4x2: return "quint4x2"
        case let .other(name): return name
        }
    }

    /// The type a PyTorch storage class stands for (`FloatStorage` → ``float32``), or `nil` for
    /// a name that is not a storage class.
    init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .float32
        case "HalfStorage": self = .float16
        case "BFloat16Storage": self = .bfloat16
        case "LongStorage": self = .int64
        case "DoubleStorage": self = .float64
        case "IntStorage": self = .int32
        case "ShortStorage": self = .int16
        case "CharStorage": self = .int8
        case "ByteStorage", "UntypedStorage", "_UntypedStorage": self = .uint8
        case "BoolStorage": self = .bool
        case "ComplexFloatStorage": self = .complex64
        case "ComplexDoubleStorage": self = .complex128
        case "QInt8Storage": self = .qint8
        case "QUInt8Storage": self = .quint8
        case "QInt32Storage": self = .qint32
        case "QUInt4x2Storage": self = .quint4x2
        default: return nil
        }
    }

    /// The type a `torch.<dtype>` global stands for (`torch.float32`, `torch.half`, …).
    init?(torchDType name: String) {
        switch name {
        case "float32", "float": self = .float32
        case "float16", "half": self = .float16
        case "bfloat16": self = .bfloat16
        case "int64", "long": self = .int64
        case "float64", "double": self = .float64
        case "int32", "int": self = .int32
        case "int16", "short": self = .int16
        case "int8": self = .int8
        case "uint8": self = .uint8
        case "bool": self = .bool
        case "complex64", "cfloat": self = .complex64
        case "complex128", "cdouble": self = .complex128
        default: return nil
        }
    }

    /// The type a safetensors header names (`F32`, `BF16`, `I64`, …); unknown names become
    /// ``other(_:)`` so that the error can quote them.
    init(safetensors name: String) {
        switch name {
        case "F32": self = .float32
        case "F16": self = .float16
        case "BF16": self = .bfloat16
        case "I64": self = .int64
        case "F64": self = .float64
        case "I32": self = .int32
        case "I16": self = .int16
        case "I8": self = .int8
        case "U8": self = .uint8
        case "BOOL": self = .bool
        default: self = .other(name)
        }
    }
}
