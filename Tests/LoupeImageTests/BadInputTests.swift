import Foundation
import LoupeTensor
import Testing

@testable import LoupeImage

/// Broken, hostile and mislabelled files give an ``ImageError`` naming the file, never a crash.
@Suite struct BadInputTests {
    /// A fresh file in the temporary directory holding `data`.
    static func temporaryFile(_ name: String, _ data: Data) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("LoupeImageTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let url = directory.appendingPathComponent(name)
        try data.write(to: url)
        return url
    }

    /// The error thrown while decoding `data`, or `nil` when it decodes.
    static func decodingError(_ data: Data, name: String) -> ImageError? {
        do {
            _ = try RGBImage(data: data, name: name)
            return nil
        } catch let error as ImageError {
            return error
        } catch {
            Issue.record("\(name): threw a non-ImageError \(error)")
            return nil
        }
    }

    @Test func thePixelLimitReadsItsVariable() {
        #expect(RGBImage.pixelLimit(nil) == 200_000_000)
        #expect(RGBImage.pixelLimit("5000") == 5000)
        #expect(RGBImage.pixelLimit(" 900000000 ") == 900_000_000)
        for unusable in ["0", "-3", "1e6", "lots", "900000001", ""] {
            #expect(RGBImage.pixelLimit(unusable) == 200_000_000, "\(unusable)")
        }
    }

    @Test func emptyFile() throws {
        let url = try Self.temporaryFile("empty.png", Data())
        #expect(throws: ImageError.empty(name: url.path)) { try RGBImage(contentsOf: url) }
        #expect(ImageError.empty(name: url.path).description.contains("empty.png"))
    }

    @Test func missingFile() {
        let url = URL(fileURLWithPath: "/nonexistent/loupe/photo.jpg")
        #expect {
            try RGBImage(contentsOf: url)
        } throws: { error in
            guard case let .unreadable(name, _) = error as? ImageError else { return false }
            return name == "/nonexistent/loupe/photo.jpg" && "\(error)".contains("photo.jpg")
        }
    }

    @Test func remoteURL() throws {
        let url = try #require(URL(string: "https://example.com/cat.jpg"))
        #expect(throws: ImageError.unreadable(name: "https://example.com/cat.jpg", reason: "only local files can be read, not remote URLs"))
        {
            try RGBImage(contentsOf: url)
        }
    }

    @Test func directoryInsteadOfAFile() throws {
        let directory = try Self.temporaryFile("x", Data()).deletingLastPathComponent()
        #expect {
            try RGBImage(contentsOf: directory)
        } throws: { error in
            guard case let .unreadable(name, _) = error as? ImageError else { return false }
            return name == directory.path
        }
    }

    @Test(arguments: ["decode/rgb8.png", "decode/rgba16_interlaced.png", "photos/chelsea_97x131.png"])
    func truncatedPNG(_ file: String) throws {
        let bytes = try Fixtures.data(file)
        for fraction in [0.1, 0.5, 0.9] {
            let cut = bytes.prefix(Int(Double(bytes.count) * fraction))
            let error = Self.decodingError(Data(cut), name: "cut.png")
            #expect(error == .truncated(name: "cut.png", format: "PNG"), "\(file) cut at \(fraction): \(String(describing: error))")
        }
        #expect(Self.decodingError(Data(bytes.prefix(4)), name: "sig.png") == .truncated(name: "sig.png", format: "PNG"))
        #expect(Self.decodingError(Data(bytes.prefix(20)), name: "ihdr.png") == .truncated(name: "ihdr.png", format: "PNG"))
    }

    @Test(arguments: ["decode/rgb420.jpg", "decode/progressive.jpg", "decode/cmyk.jpg"])
    func truncatedJPEG(_ file: String) throws {
        let bytes = try Fixtures.data(file)
        for fraction in [0.6, 0.8, 0.95] {
            let cut = Data(bytes.prefix(Int(Double(bytes.count) * fraction)))
            let error = Self.decodingError(cut, name: "cut.jpg")
            #expect(error == .truncated(name: "cut.jpg", format: "JPEG"), "\(file) cut at \(fraction): \(String(describing: error))")
            #expect(error?.description.hasPrefix("cut.jpg: ") == true)
        }
        // Cut inside the header: still an error, never a crash.
        for length in [2, 3, 10, 50, 150] {
            #expect(Self.decodingError(Data(bytes.prefix(length)), name: "head.jpg") != nil, "\(file) cut at byte \(length)")
        }
    }

    @Test func realTruncatedPhotoIfInstalled() throws {
        // scikit-image ships a deliberately truncated JPEG; PIL fails on it too.
        let path = "/usr/lib/python3/dist-packages/skimage/data/truncated.jpg"
        guard FileManager.default.fileExists(atPath: path) else { return }
        #expect(throws: ImageError.self) { try RGBImage(contentsOf: URL(fileURLWithPath: path)) }
    }

    @Test func randomBytes() {
        var generator = SplitMix64(seed: 7)
        let bytes = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let error = Self.decodingError(bytes, name: "noise.bin")
        #expect(error == .unrecognizedFormat(name: "noise.bin", leadingBytes: Array(bytes.prefix(8))))
        // The same noise behind each signature.
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) + bytes
        #expect(Self.decodingError(png, name: "noise.png") != nil)
        let jpeg = Data([0xFF, 0xD8, 0xFF]) + bytes
        #expect(Self.decodingError(jpeg, name: "noise.jpg") != nil)
    }

    @Test func textFileNamedJPEG() throws {
        let url = try Fixtures.url("bad/text.jpg")
        #expect {
            try RGBImage(contentsOf: url)
        } throws: { error in
            guard case let .unrecognizedFormat(name, bytes) = error as? ImageError else { return false }
            return name == url.path && bytes == Array("This is ".utf8) && "\(error)".contains("text.jpg: not a PNG or JPEG image")
        }
    }

    @Test(arguments: [("bad/huge_side.png", 40000, 40000), ("bad/huge_area.png", 20000, 20000), ("bad/huge_side.jpg", 40000, 40000)])
    func hugeDeclaredDimensions(_ file: String, _ width: Int, _ height: Int) throws {
        let url = try Fixtures.url(file)
        #expect(throws: ImageError.tooLarge(name: url.path, width: width, height: height)) { try RGBImage(contentsOf: url) }
        let message = ImageError.tooLarge(name: url.path, width: width, height: height).description
        #expect(message.contains(file.split(separator: "/").last.map(String.init) ?? file) && message.contains("\(width)×\(height)"))
    }

    @Test(arguments: [
        "decode/rgb8_interlaced.png", "decode/greyalpha16.png", "decode/palette8_trns.png", "decode/rgb420.jpg",
        "decode/progressive.jpg", "decode/orientation6.jpg",
    ])
    func mutatedFilesNeverCrash(_ file: String) throws {
        let original = [UInt8](try Fixtures.data(file))
        var generator = SplitMix64(seed: UInt64(file.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        var decoded = 0, rejected = 0
        for _ in 0..<150 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let i = Int.random(in: 0..<bytes.count, using: &generator)
                bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &generator)
            }
            if Bool.random(using: &generator) {
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            }
            if Self.decodingError(Data(bytes), name: "mutant") == nil { decoded += 1 } else { rejected += 1 }
        }
        #expect(decoded + rejected == 150)
        #expect(rejected > 0, "no mutation of \(file) was rejected")
    }
}
