import Foundation
import Testing

@testable import LoupeImage

@Suite struct HeatmapTests {
    @Test func theDerivedRangeIsTheDataOrSymmetricForDivergingMaps() throws {
        let values: [Float] = [-0.5, 0, 0.25, 2]
        #expect(try Heatmap(values: values, width: 2, height: 2).shownRange() == -0.5...2)
        #expect(try Heatmap(values: values, width: 2, height: 2, range: 0...1).shownRange() == 0...1)
        let diverging = Heatmap(values: values, width: 4, height: 1, colorMap: .coolwarm)
        #expect(try diverging.shownRange() == -2...2)
        // Zero is the middle colour of a diverging map.
        #expect(diverging.position(0, in: -2...2) == 0.5)
        // Constant data is widened so it can be drawn.
        #expect(try Heatmap(values: [2, 2], width: 2, height: 1).shownRange() == 1...3)
    }

    @Test func gammaBendsPositions() {
        let plain = Heatmap(values: [0], width: 1, height: 1, gamma: 0.5)
        #expect(plain.position(0.25, in: 0...1) == 0.5)
        let signed = Heatmap(values: [0], width: 1, height: 1, colorMap: .coolwarm, gamma: 0.5)
        #expect(signed.position(-0.25, in: -1...1) == 0.25)  // s = -0.25 → -0.5 → t = 0.25
        #expect(signed.position(1, in: -1...1) == 1)
    }

    @Test func pixelsAreColourMapColoursAndBlendOverAnUnderlay() throws {
        let map = try Heatmap(values: [0, 1], width: 2, height: 1, colorMap: .viridis).colored()
        #expect(map.pixels == [68, 1, 84, 253, 231, 37])
        let photo = try RGBImage(width: 2, height: 1, pixels: [0, 0, 0, 255, 255, 255])
        let over = try Heatmap(values: [0, 1], width: 2, height: 1, colorMap: .viridis).colored(over: photo, opacity: 0.5)
        #expect(over.pixels == [34, 1, 42, 254, 243, 146])
        #expect(throws: ImageError.sizeMismatch(expectedWidth: 2, expectedHeight: 1, width: 1, height: 1)) {
            try Heatmap(values: [0, 1], width: 2, height: 1).colored(over: try RGBImage(width: 1, height: 1, pixels: [0, 0, 0]))
        }
    }

    @Test func theColourBarRunsFromTheLowerToTheUpperEnd() throws {
        let bar = try Heatmap(values: [0, 1], width: 2, height: 1, colorMap: .gray).colorBar(width: 3, height: 2)
        #expect(bar.width == 3 && bar.height == 2)
        #expect(bar.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255, 0, 0, 0, 128, 128, 128, 255, 255, 255])
    }

    @Test func invalidHeatmapsNameWhatIsWrong() {
        #expect(throws: ImageError.invalidHeatmap("expected 2×2 = 4 values, found 3")) {
            try Heatmap(values: [1, 2, 3], width: 2, height: 2).validate()
        }
        #expect(throws: ImageError.invalidHeatmap("expected a positive size, found 0×2")) {
            try Heatmap(values: [], width: 0, height: 2).colored()
        }
        #expect(throws: ImageError.invalidHeatmap("expected a finite range with lower < upper, found [1.0, 1.0]")) {
            try Heatmap(values: [1], width: 1, height: 1, range: 1...1).validate()
        }
        #expect(throws: ImageError.invalidHeatmap("expected a positive finite gamma, found -1.0")) {
            try Heatmap(values: [1], width: 1, height: 1, gamma: -1).validate()
        }
    }
}
