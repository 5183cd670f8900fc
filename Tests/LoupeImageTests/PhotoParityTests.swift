import Foundation
import Testing

@testable import LoupeImage

/// Full-size real photos through decoding and the ImageNet pipeline, against PIL and torchvision.
///
/// The photos are Debian's darknet and scikit-image data. Each photo is checked only where
/// it is installed; the fixture keeps checksums, channel means and sampled pixels, not the photos.
@Suite struct PhotoParityTests {
    struct Summary: Decodable, Sendable {
        let width: Int
        let height: Int
        let crc32: UInt32
        let channelMeans: [Double]
        /// `[x, y, r, g, b]`.
        let samples: [[Int]]

        enum CodingKeys: String, CodingKey {
            case width, height, crc32, samples
            case channelMeans = "channel_means"
        }

        /// Compares an image with the summary; returns the sampled pixels' difference.
        func check(_ image: RGBImage, _ label: String) -> PixelDifference {
            #expect(image.width == width && image.height == height, "\(label): \(image.width)×\(image.height)")
            let actual = samples.flatMap { s in
                let p = image.pixel(x: min(s[0], image.width - 1), y: min(s[1], image.height - 1))
                return [p.x, p.y, p.z]
            }
            let difference = PixelDifference(actual, samples.flatMap { $0[2...].map(UInt8.init) })
            for c in 0..<3 {
                var sum = 0
                for i in 0..<(image.width * image.height) { sum += Int(image.pixels[3 * i + c]) }
                let mean = Double(sum) / Double(image.width * image.height)
                #expect(abs(mean - channelMeans[c]) <= 1, "\(label): channel \(c) mean \(mean) vs \(channelMeans[c])")
            }
            #expect(CRC32.checksum(image.pixels) == crc32, "\(label): bytes differ from PIL's (\(difference))")
            return difference
        }
    }

    struct Pipeline: Decodable, Sendable {
        let name: String
        let pipeline: [PipelineStep]
        let summary: Summary

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            pipeline = try container.decode([PipelineStep].self, forKey: .pipeline)
            summary = try Summary(from: decoder)
        }

        enum CodingKeys: String, CodingKey { case name, pipeline }
    }

    struct TensorSummary: Decodable, Sendable {
        let mean: [Float]
        let std: [Float]
        let shape: [Int]
        let channelMeans: [Double]
        /// `[flat index, value]`.
        let samples: [[Double]]

        enum CodingKeys: String, CodingKey {
            case mean, std, shape, samples
            case channelMeans = "channel_means"
        }
    }

    struct Photo: Decodable, Sendable, CustomTestStringConvertible {
        let path: String
        let decoded: Summary
        let pipelines: [Pipeline]
        let tensor: TensorSummary
        var testDescription: String { URL(fileURLWithPath: path).lastPathComponent }
    }

    struct File: Decodable {
        let photos: [Photo]
    }

    static let photos = (try? Fixtures.load("photos.json", as: File.self).photos) ?? []

    @Test func fixturesArePresent() {
        #expect(Self.photos.contains { $0.path.hasSuffix("darknet/data/dog.jpg") })
    }

    @Test(arguments: photos)
    func matchesPILAndTorchvision(_ photo: Photo) throws {
        guard FileManager.default.fileExists(atPath: photo.path) else { return }
        let image = try RGBImage(contentsOf: URL(fileURLWithPath: photo.path))
        let decoded = photo.decoded.check(image, "\(photo.testDescription) decoded")
        print("photo parity \(photo.testDescription) decode: sampled \(decoded)")
        for pipeline in photo.pipelines {
            let out = try pipeline.pipeline.apply(to: image)
            let difference = pipeline.summary.check(out, "\(photo.testDescription) \(pipeline.name)")
            print("photo parity \(photo.testDescription) \(pipeline.name): sampled \(difference)")
            #expect(difference.mean <= 1.0 / 255)
        }

        let preprocessing = Preprocessing(
            size: 224, resize: .shorterSideThenCenterCrop(resize: 256), mean: photo.tensor.mean,
            std: photo.tensor.std)
        #expect(preprocessing == .imagenet)
        let tensor = try preprocessing.tensor(from: image)
        #expect(tensor.shape == photo.tensor.shape)
        let values = try tensor.scalars
        let plane = values.count / 3
        for c in 0..<3 {
            let mean = values[(c * plane)..<((c + 1) * plane)].reduce(0.0) { $0 + Double($1) } / Double(plane)
            #expect(abs(mean - photo.tensor.channelMeans[c]) < 1e-5, "channel \(c) mean \(mean)")
        }
        for sample in photo.tensor.samples {
            #expect(values[Int(sample[0])] == Float(sample[1]), "tensor element \(Int(sample[0]))")
        }
    }
}
