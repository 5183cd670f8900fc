import Foundation
import LoupeImage

/// The PNG encoder the report uses, for building expected bytes in tests.
enum PNGEncoderReference {
    static func rgb(width: Int, height: Int, pixels: [UInt8]) throws -> Data {
        try PNGEncoder().encode(width: width, height: height, format: .rgb, pixels: pixels)
    }
}
