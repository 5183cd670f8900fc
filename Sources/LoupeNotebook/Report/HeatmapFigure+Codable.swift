import Foundation
import LoupeImage

/// A heatmap figure is `{"values": …, "width": …, "height": …, "colorMap": …, "range": …,
/// "gamma": …, "caption": …}`, with `"underlay"` (a PNG) and `"opacity"` when it has an underlay.
///
/// - `values` is a base64 string of the values as little-endian IEEE-754 binary32, row-major
///   (`[height, width]`), so every value, NaN and infinities included, reads back bit for bit
///   and a 224 × 224 map stays compact.
/// - `colorMap` is the ``ColorMap`` raw value (`"viridis"`, …).
/// - `range` is `{"lower": …, "upper": …}` and `gamma` a number; both are absent when `nil`.
///   A non-finite number is written as the string `"nan"`, `"inf"` or `"-inf"`, because JSON has
///   no such numbers.
///
/// Decoding checks what ``HeatmapFigure/init(_:caption:underlay:opacity:)`` checks, so a figure
/// read from the cell cache can always be drawn.
extension HeatmapFigure: Codable {
    enum CodingKeys: String, CodingKey {
        case values, width, height, colorMap, range, gamma, caption, underlay, opacity
    }

    enum RangeKeys: String, CodingKey {
        case lower, upper
    }

    /// Decodes a heatmap written by ``encode(to:)``.
    ///
    /// - Throws: `DecodingError` for a missing key, a value of the wrong type, invalid base64, a
    ///   byte count that is not a multiple of 4, an unknown colour map or a range with
    ///   `lower > upper` (or a NaN end).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let bytes = try container.decode(Data.self, forKey: .values)
        guard bytes.count % 4 == 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .values, in: container,
                debugDescription: "expected a multiple of 4 bytes of binary32 values, found \(bytes.count) bytes")
        }
        let values = bytes.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }

        var range: ClosedRange<Float>?
        if container.contains(.range), try container.decodeNil(forKey: .range) == false {
            let nested = try container.nestedContainer(keyedBy: RangeKeys.self, forKey: .range)
            let lower = try nested.decodeFloatingPoint(Float.self, forKey: .lower)
            let upper = try nested.decodeFloatingPoint(Float.self, forKey: .upper)
            guard lower <= upper else {
                throw DecodingError.dataCorruptedError(
                    forKey: .upper, in: nested,
                    debugDescription: "expected a range with lower <= upper, found [\(lower), \(upper)]")
            }
            range = lower...upper
        }

        let heatmap = Heatmap(
            values: values,
            width: try container.decode(Int.self, forKey: .width),
            height: try container.decode(Int.self, forKey: .height),
            colorMap: try container.decode(ColorMap.self, forKey: .colorMap),
            range: range,
            gamma: try container.decodeFloatingPointIfPresent(Float.self, forKey: .gamma))
        let underlay = try container.decodeIfPresent(Data.self, forKey: .underlay).map { try RGBImage(data: $0, name: "heatmap underlay") }
        do {
            try self.init(
                heatmap, caption: try container.decode(String.self, forKey: .caption), underlay: underlay,
                opacity: try container.decodeFloatingPointIfPresent(Float.self, forKey: .opacity) ?? 1)
        } catch let error as ImageError {
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath, debugDescription: error.description))
        }
    }

    /// Encodes the figure (see the extension's discussion for the format).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let (values, width, height, colorMap, range, gamma) = (
            heatmap.values, heatmap.width, heatmap.height, heatmap.colorMap, heatmap.range, heatmap.gamma
        )
        let bytes = values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        try container.encode(bytes, forKey: .values)
        try container.encode(width, forKey: .width)
        try container.encode(height, forKey: .height)
        try container.encode(colorMap, forKey: .colorMap)
        if let range {
            var nested = container.nestedContainer(keyedBy: RangeKeys.self, forKey: .range)
            try nested.encodeFloatingPoint(range.lowerBound, forKey: .lower)
            try nested.encodeFloatingPoint(range.upperBound, forKey: .upper)
        }
        if let gamma {
            try container.encodeFloatingPoint(gamma, forKey: .gamma)
        }
        try container.encode(caption, forKey: .caption)
        if let underlay {
            try container.encode(try underlay.pngData(), forKey: .underlay)
            try container.encodeFloatingPoint(opacity, forKey: .opacity)
        }
    }
}

/// The strings that stand for non-finite numbers in Loupe's JSON.
private enum NonFiniteSpelling: String {
    case nan
    case infinity = "inf"
    case negativeInfinity = "-inf"
}

extension KeyedEncodingContainer {
    /// Encodes a finite number as a JSON number and a non-finite one as `"nan"`, `"inf"` or
    /// `"-inf"`, which plain `JSONEncoder` refuses.
    mutating func encodeFloatingPoint<T: BinaryFloatingPoint & Encodable>(_ value: T, forKey key: Key) throws {
        if value.isFinite {
            try encode(value, forKey: key)
        } else if value.isNaN {
            try encode(NonFiniteSpelling.nan.rawValue, forKey: key)
        } else {
            try encode((value < 0 ? NonFiniteSpelling.negativeInfinity : .infinity).rawValue, forKey: key)
        }
    }
}

extension KeyedDecodingContainer {
    /// Decodes a number written by ``KeyedEncodingContainer/encodeFloatingPoint(_:forKey:)``.
    ///
    /// - Throws: `DecodingError` when the value is neither a number nor one of the three
    ///   spellings of a non-finite number.
    func decodeFloatingPoint<T: BinaryFloatingPoint & Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        if let spelling = try? decode(String.self, forKey: key) {
            switch NonFiniteSpelling(rawValue: spelling) {
            case .nan: return .nan
            case .infinity: return .infinity
            case .negativeInfinity: return -.infinity
            case nil:
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self,
                    debugDescription: "expected a number, \"nan\", \"inf\" or \"-inf\", found \"\(spelling)\"")
            }
        }
        return try decode(T.self, forKey: key)
    }

    /// Like ``decodeFloatingPoint(_:forKey:)``, but `nil` when the key is absent or `null`.
    func decodeFloatingPointIfPresent<T: BinaryFloatingPoint & Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key), try decodeNil(forKey: key) == false else { return nil }
        return try decodeFloatingPoint(type, forKey: key)
    }
}
