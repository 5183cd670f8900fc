import Foundation
import LoupeTensor
import Testing

/// A tensor as the parity scripts write it: `{"shape": [...], "data": [...]}`.
public struct FixtureTensor: Decodable, Sendable {
    /// The tensor's shape.
    public let shape: [Int]
    /// The values in row-major order.
    public let data: [Float]

    /// The values as a Loupe tensor; throws when their count does not match the shape.
    public func tensor() throws -> Tensor { try Tensor(shape: shape, scalars: data) }
}

/// A JSON value from a fixture's `params`.
public enum FixtureValue: Decodable, Sendable {
    case number(Double), bool(Bool), string(String), array([FixtureValue])

    /// A boolean, a number, a string or an array, tried in that order.
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else {
            self = .array(try c.decode([FixtureValue].self))
        }
    }
}

/// One case of a parity fixture: an op, its params and inputs, and PyTorch's results.
public struct FixtureCase: Decodable, Sendable, CustomTestStringConvertible {
    /// The case's name, shown as the test's description.
    public let name: String
    /// The operation under test, as `OpRunner` dispatches on it (`conv2d`, `max`, …).
    public let op: String
    /// The operation's arguments by name (`stride`, `dim`, …).
    public let params: [String: FixtureValue]
    /// The input tensors by name.
    public let inputs: [String: FixtureTensor]
    /// PyTorch's output, when the case checks it.
    public let output: FixtureTensor?
    /// The seed of the backward pass (`grad_output`), when the case checks gradients.
    public let gradOutput: FixtureTensor?
    /// PyTorch's gradients by input name, for the inputs that require one.
    public let grads: [String: FixtureTensor]?
    /// PyTorch's indices, for operations that return them (`max`, `topk`).
    public let indices: FixtureTensor?

    enum CodingKeys: String, CodingKey {
        case name, op, params, inputs, output, grads, indices
        case gradOutput = "grad_output"
    }

    /// The case's name.
    public var testDescription: String { name }

    /// The number param `key` as an integer; throws ``FixtureError/missing(_:_:)`` when absent or not a number.
    public func int(_ key: String) throws -> Int {
        guard case let .number(v)? = params[key] else { throw FixtureError.missing(name, key) }
        return Int(v)
    }
    /// The number param `key` as a `Float`; throws ``FixtureError/missing(_:_:)`` when absent or not a number.
    public func float(_ key: String) throws -> Float {
        guard case let .number(v)? = params[key] else { throw FixtureError.missing(name, key) }
        return Float(v)
    }
    /// The boolean param `key`; throws ``FixtureError/missing(_:_:)`` when absent or not a boolean.
    public func bool(_ key: String) throws -> Bool {
        guard case let .bool(v)? = params[key] else { throw FixtureError.missing(name, key) }
        return v
    }
    /// The string param `key`; throws ``FixtureError/missing(_:_:)`` when absent or not a string.
    public func string(_ key: String) throws -> String {
        guard case let .string(v)? = params[key] else { throw FixtureError.missing(name, key) }
        return v
    }
    /// The array param `key` of numbers, as integers; throws ``FixtureError/missing(_:_:)`` otherwise.
    public func ints(_ key: String) throws -> [Int] {
        guard case let .array(values)? = params[key] else { throw FixtureError.missing(name, key) }
        return try values.map {
            guard case let .number(v) = $0 else { throw FixtureError.missing(name, key) }
            return Int(v)
        }
    }
    /// The two-element array param `key` (a height and a width, say); throws ``FixtureError/missing(_:_:)`` otherwise.
    public func pair(_ key: String) throws -> (Int, Int) {
        let v = try ints(key)
        guard v.count == 2 else { throw FixtureError.missing(name, key) }
        return (v[0], v[1])
    }
    /// The input tensor `key`; throws ``FixtureError/missing(_:_:)`` when the case has none.
    public func input(_ key: String) throws -> Tensor {
        guard let t = inputs[key] else { throw FixtureError.missing(name, key) }
        return try t.tensor()
    }
}

/// A fixture that lacks what a test asks of it.
public enum FixtureError: Error, CustomStringConvertible {
    case missing(String, String)
    case file(String)
    /// The message, naming the case and key, or the file.
    public var description: String {
        switch self {
        case let .missing(c, key): return "fixture case \(c): missing or mistyped \(key)"
        case let .file(name): return "fixture file \(name) not found"
        }
    }
}

private struct FixtureFile: Decodable {
    let cases: [FixtureCase]
}

/// Loads the cases of `Fixtures/<name>.json` from a test bundle.
public func loadFixture(_ name: String, bundle: Bundle) throws -> [FixtureCase] {
    guard let url = bundle.url(forResource: name, withExtension: "json", subdirectory: "Fixtures") else {
        throw FixtureError.file(name)
    }
    return try JSONDecoder().decode(FixtureFile.self, from: Data(contentsOf: url)).cases
}

/// The largest elementwise difference relative to the reference's largest magnitude.
public func relativeError(_ actual: [Float], _ expected: [Float]) -> Float {
    let scale = max(expected.map(Swift.abs).max() ?? 0, 1e-6)
    let diff = zip(actual, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    return diff / scale
}

/// Expects `actual` to have `expected`'s shape and values within `tolerance` relative error
/// (the largest difference over the reference's largest magnitude).
public func expectClose(
    _ actual: Tensor, _ expected: FixtureTensor, tolerance: Float = 1e-4, _ label: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(actual.shape == expected.shape, "\(label): shape \(actual.shape) ≠ \(expected.shape)", sourceLocation: sourceLocation)
    guard actual.shape == expected.shape else { return }
    let error = relativeError(try actual.scalars, expected.data)
    #expect(error <= tolerance, "\(label): relative error \(error) > \(tolerance)", sourceLocation: sourceLocation)
}
