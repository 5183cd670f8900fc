import ArgumentParser
import Foundation
import LoupeImage
import LoupeModels
import LoupeTensor

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Classify an image: the top classes with logits and probabilities.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var imageOptions: ImageOptions

    @Option(help: "How many classes to show.")
    var top = 5

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        do {
            let image = try imageOptions.decode()
            let model = try modelOptions.load()
            let input = try imageOptions.input(from: image, for: model)
            let result = try model.topClasses(for: input.tensor, count: top)
            if json {
                try printJSON(result, model: model)
            } else {
                printTable(result)
            }
        } catch {
            throw fail(error)
        }
    }

    private func printTable(_ result: [ClassScore]) {
        print("rank  class                                     logit   probability")
        for (rank, p) in result.enumerated() {
            let label = p.label.count > 40 ? String(p.label.prefix(39)) + "…" : p.label
            print(
                String(
                    format: "%4d  %@ %8.3f   %10.4f", rank + 1, label.padding(toLength: 41, withPad: " ", startingAt: 0), p.logit,
                    p.probability))
        }
    }

    private func printJSON(_ result: [ClassScore], model: Model) throws {
        let p = model.preprocessing
        let resize: String
        switch (imageOptions.fit, p.resize) {
        case (.asIs, _): resize = "none"
        case (.exact, _), (.crop, .exact): resize = "exact"
        case let (.crop, .shorterSideThenCenterCrop(size)): resize = "shorter side to \(size), centre crop"
        }
        let object: [String: Any] = [
            "model": model.name,
            "image": imageOptions.image,
            "preprocessing": ["size": p.size, "resize": resize, "mean": p.mean.map(Double.init), "std": p.std.map(Double.init)],
            "predictions": result.map {
                ["index": $0.index, "label": $0.label, "logit": Double($0.logit), "probability": Double($0.probability)] as [String: Any]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        print(String(decoding: data, as: UTF8.self))
    }
}
