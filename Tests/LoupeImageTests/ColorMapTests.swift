import Testing

@testable import LoupeImage

@Suite struct ColorMapTests {
    @Test func viridisEndpointsAreMatplotlibs() {
        // matplotlib _viridis_data[0] = (0.267004, 0.004874, 0.329415) = #440154 and
        // _viridis_data[255] = (0.993248, 0.906157, 0.143936) = #fde725.
        #expect(ColorMap.viridis.rgb(0) == SIMD3(68, 1, 84))
        #expect(ColorMap.viridis.rgb(1) == SIMD3(253, 231, 37))
    }

    @Test func otherEndpointsAndMiddles() {
        #expect(ColorMap.inferno.rgb(0) == SIMD3(0, 0, 4))  // #000004
        #expect(ColorMap.inferno.rgb(1) == SIMD3(252, 255, 164))  // #fcffa4
        #expect(ColorMap.gray.rgb(0) == SIMD3(0, 0, 0))
        #expect(ColorMap.gray.rgb(1) == SIMD3(255, 255, 255))
        #expect(ColorMap.gray.rgb(0.5) == SIMD3(128, 128, 128))
        #expect(ColorMap.coolwarm.rgb(0) == SIMD3(59, 76, 192))  // #3b4cc0
        #expect(ColorMap.coolwarm.rgb(0.5) == SIMD3(221, 221, 221))  // #dddddd
        #expect(ColorMap.coolwarm.rgb(1) == SIMD3(180, 4, 38))  // #b40426
        // A stop of the table: _viridis_data[128] = (0.127568, 0.566949, 0.550556) at 128/255.
        #expect(ColorMap.viridis.rgb(128.0 / 255) == SIMD3(33, 145, 140))
    }

    @Test func clampsAndTreatsNaNAsLow() {
        #expect(ColorMap.viridis.rgb(-3) == ColorMap.viridis.rgb(0))
        #expect(ColorMap.viridis.rgb(7) == ColorMap.viridis.rgb(1))
        #expect(ColorMap.viridis.rgb(.nan) == ColorMap.viridis.rgb(0))
    }

    @Test(arguments: ColorMap.allCases) func interpolatesBetweenNeighbours(map: ColorMap) {
        // Linear interpolation: no channel jumps by more than a table step between close inputs.
        var previous = map.rgb(0)
        for step in 1...1000 {
            let colour = map.rgb(Float(step) / 1000)
            let jump = max(abs(Int(colour.x) - Int(previous.x)), abs(Int(colour.y) - Int(previous.y)), abs(Int(colour.z) - Int(previous.z)))
            #expect(jump <= 3, "\(map) jumps by \(jump) at \(step)")
            previous = colour
        }
    }
}
