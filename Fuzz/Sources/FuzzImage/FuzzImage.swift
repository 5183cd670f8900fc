import Foundation
import FuzzSupport
import LoupeImage

/// One input: decoded as an image file; errors are expected, crashes and leaks are not.
private func fuzzImage(_ input: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: input, count: count)
    let data = Data(buffer: bytes)
    if let image = try? RGBImage(data: data, name: "fuzz") {
        // A decoded image must be usable: resize it as a model's preprocessing would.
        _ = try? image.resized(width: 7, height: 5)
    }
    return 0
}

@main
enum FuzzImage {
    static func main() { fuzzMain { fuzzImage($0, $1) } }
}
