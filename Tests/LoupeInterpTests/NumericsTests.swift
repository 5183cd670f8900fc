import Foundation
import LoupeTensor
import Testing

@testable import LoupeInterp

@Suite struct NumericsTests {
    @Test func gaussLegendreMatchesClosedForms() {
        let (x2, w2) = IntegrationRule.gaussLegendre(2)
        #expect(abs(x2[0] + 1 / 3.0.squareRoot()) < 1e-15 && abs(x2[1] - 1 / 3.0.squareRoot()) < 1e-15)
        #expect(w2.allSatisfy { abs($0 - 1) < 1e-14 })
        let (x3, w3) = IntegrationRule.gaussLegendre(3)
        #expect(abs(x3[1]) < 1e-15 && abs(x3[2] - (0.6).squareRoot()) < 1e-15)
        #expect(abs(w3[1] - 8 / 9.0) < 1e-14 && abs(w3[0] - 5 / 9.0) < 1e-14)
    }

    @Test(arguments: [5, 50, 101])
    func gaussLegendreIntegratesPolynomialsExactly(_ n: Int) {
        let (alphas, weights) = IntegrationRule.gaussLegendre.nodes(n)
        #expect(alphas == alphas.sorted() && alphas.allSatisfy { $0 > 0 && $0 < 1 })
        // ∫₀¹ t^k dt = 1/(k+1) for k ≤ 2n − 1.
        for k in [0, 1, 7, 2 * n - 1] {
            let sum = zip(alphas, weights).reduce(0.0) { $0 + $1.1 * pow($1.0, Double(k)) }
            #expect(abs(sum - 1 / Double(k + 1)) < 1e-12, "k = \(k)")
        }
    }

    @Test func riemannRulesAreCaptums() {
        let (a, w) = IntegrationRule.riemannTrapezoid.nodes(5)
        #expect(a == [0, 0.25, 0.5, 0.75, 1])
        #expect(w == [0.1, 0.2, 0.2, 0.2, 0.1], "Captum's: 1/n, ends halved")
        #expect(IntegrationRule.riemannRight.nodes(4).alphas == [0.25, 0.5, 0.75, 1])
        #expect(IntegrationRule.riemannLeft.nodes(4).alphas == [0, 0.25, 0.5, 0.75])
        #expect(IntegrationRule.riemannMiddle.nodes(4).alphas == [0.125, 0.375, 0.625, 0.875])
    }

    @Test func bilinearAndNearestMatchPyTorch() {
        // F.interpolate(torch.tensor([[[[0., 1.], [2., 3.]]]]), size=(4, 4), mode=…)
        let bilinear = Resampling.bilinear([0, 1, 2, 3], from: (2, 2), to: (4, 4))
        #expect(bilinear == [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3])
        let nearest = Resampling.nearest([0, 1, 2, 3], from: (2, 2), to: (3, 3))
        #expect(nearest == [0, 0, 1, 0, 0, 1, 2, 2, 3])
    }

    @Test func npyRoundTripsAndAlignsItsHeader() throws {
        let values: [Float] = [1, -2.5, .pi, 0, 1e-30, -0.0]
        let data = NPY.encode(values, shape: [1, 2, 3])
        #expect(data.prefix(6) == Data([0x93] + Array("NUMPY".utf8)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let (decoded, shape) = try NPY.decode(data)
        #expect(shape == [1, 2, 3])
        #expect(decoded.map(\.bitPattern) == values.map(\.bitPattern))
        #expect(throws: NPYError.self) { try NPY.decode(data.prefix(data.count - 1)) }
        #expect(throws: NPYError.self) { try NPY.decode(Data("not numpy".utf8)) }
    }

    @Test func npyIsReadableByNumPy() throws {
        let python = URL(fileURLWithPath: "/usr/bin/python3")
        try #require(
            FileManager.default.isExecutableFile(atPath: python.path), "Debian's python3 (numpy) is part of Scripts/setup.sh --dev")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-\(UUID().uuidString).npy")
        try NPY.encode([1, 2, 3, 4, 5, 6], shape: [2, 3]).write(to: file)
        let process = Process()
        process.executableURL = python
        process.arguments = [
            "-c",
            "import numpy, sys; a = numpy.load(sys.argv[1]); sys.exit(0 if a.shape == (2, 3) and a.dtype == numpy.float32 and a[1, 2] == 6 else 1)",
            file.path,
        ]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
