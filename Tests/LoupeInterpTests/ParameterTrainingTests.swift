import Foundation
import LoupeModels
import LoupeTensor
import Testing

@testable import LoupeInterp

/// Fine-tuning against PyTorch (`Scripts/parity/training.py`): weight gradients through
/// convolutions (plain and depthwise, strided), frozen batch norms, ReLU6, ReLU, pooling and a
/// linear layer, and three steps of SGD with momentum and of Adam.
@Suite struct ParameterTrainingTests {
    struct Values: Decodable {
        let shape: [Int]
        let data: [Float]
    }
    struct Run: Decodable {
        let optimizer: String
        let losses: [Float]
        let after: [[String: [Float]]]
    }
    struct Fixture: Decodable {
        let state: [String: Values]
        let input: Values
        let target: [Int]
        let trained: [String]
        let runs: [Run]
    }

    static func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "training", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    /// The fixture's network in Loupe's layers, with its initial state.
    static func network(_ fixture: Fixture) throws -> Sequential {
        let network = Sequential([
            Conv2d(3, 6, kernelSize: 3, padding: 1, bias: false), BatchNorm2d(6), ReLU6(),
            Conv2d(6, 6, kernelSize: 3, stride: 2, padding: 1, groups: 6, bias: false), BatchNorm2d(6), ReLU(),
            AdaptiveAvgPool2d((1, 1)), Flatten(), Linear(6, 4),
        ])
        let state = try fixture.state.mapValues { try Tensor(shape: $0.shape, scalars: $0.data) }
        try network.load(StateDict(state), modelName: "training fixture")
        return network
    }

    /// Mean cross-entropy of the network's logits against `target`.
    static func loss(_ network: Sequential, input: Tensor, target: [Int]) throws -> Tensor {
        var context = ForwardContext()
        let logits = try network.forward(input, context: &context)
        let classes = logits.shape[1]
        let oneHot = try Tensor(
            shape: logits.shape, scalars: target.flatMap { t in (0..<classes).map { $0 == t ? Float(1) : 0 } })
        return try (logits.logSoftmax(axis: 1) * oneHot).sum() * (-1 / Float(target.count))
    }

    @Test(arguments: ["sgd", "adam"])
    func threeStepsMatchPyTorch(optimizer: String) throws {
        let fixture = try Self.fixture()
        let run = try #require(fixture.runs.first { $0.optimizer == optimizer })
        let network = try Self.network(fixture)
        let input = try Tensor(shape: fixture.input.shape, scalars: fixture.input.data)
        let update: ParameterUpdate = optimizer == "sgd" ? .sgd(momentum: 0.9) : .adam
        let training = try ParameterTraining(
            network: network, keys: fixture.trained, update: update, learningRate: optimizer == "sgd" ? 0.1 : 0.01)
        #expect(training.keys == ["0.weight", "1.weight", "1.bias", "3.weight", "4.weight", "4.bias", "8.weight", "8.bias"])
        for (step, expected) in run.after.enumerated() {
            let loss = try Self.loss(network, input: input, target: fixture.target)
            #expect(abs(try loss.scalars[0] - run.losses[step]) < 1e-5 * max(1, abs(run.losses[step])), "loss at step \(step + 1)")
            try training.step(gradients: try grad(of: loss, wrt: try training.tensors))
            for (key, tensor) in zip(training.keys, try training.tensors) {
                let ours = try tensor.scalars, theirs = try #require(expected[key])
                let scale = max(theirs.map(abs).max() ?? 1, 1e-3)
                let worst = zip(ours, theirs).map { abs($0 - $1) }.max() ?? 1
                #expect(worst / scale < 1e-4, "\(key) after step \(step + 1): max |Δ| \(worst) of \(scale)")
            }
        }
        // Running statistics stay frozen; the originals come back on request.
        #expect(
            try (network.namedParameters.first { $0.key == "1.running_mean" }?.parameter.tensor.scalars)
                == fixture.state["1.running_mean"]?.data)
        try training.restore()
        let weight = try #require(network.namedParameters.first { $0.key == "0.weight" }?.parameter)
        #expect(try weight.tensor.scalars == fixture.state["0.weight"]?.data)
    }

    @Test func badChoicesAreRefusedByName() throws {
        let network = try Self.network(try Self.fixture())
        #expect(throws: InterpError.invalidParameter("the network has no parameter 9.weight")) {
            try ParameterTraining(network: network, keys: ["9.weight"], update: .adam, learningRate: 0.1)
        }
        #expect(throws: InterpError.invalidParameter("1.running_mean is a buffer, not a parameter: it is not trained")) {
            try ParameterTraining(network: network, keys: ["1.running_mean"], update: .adam, learningRate: 0.1)
        }
        #expect(throws: InterpError.self) { try ParameterTraining(network: network, keys: ["8.bias"], update: .adam, learningRate: .nan) }
        #expect(try ParameterTraining.keys(after: "4", in: network) == ["8.weight", "8.bias"])
        #expect(throws: InterpError.invalidParameter("nothing with parameters runs after 8: there is nothing to fine-tune")) {
            try ParameterTraining.keys(after: "8", in: network)
        }
    }

    /// A gradient that is not finite stops the step before anything changes.
    @Test func aDivergingStepChangesNothing() throws {
        let network = try Self.network(try Self.fixture())
        let training = try ParameterTraining(network: network, keys: ["8.weight", "8.bias"], update: .sgd(momentum: 0), learningRate: 1)
        let before = try training.tensors.map { try $0.scalars }
        let bad = [
            try Tensor(shape: [4, 6], scalars: [Float](repeating: 1, count: 24)), try Tensor(shape: [4], scalars: [1, .infinity, 0, 0]),
        ]
        #expect(throws: InterpError.self) { try training.step(gradients: bad) }
        #expect(try training.tensors.map { try $0.scalars } == before)
        #expect(training.steps == 0)
    }
}
