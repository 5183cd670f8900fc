import LoupeTensor

extension Attributor {
    /// Grad-CAM, as Captum's `LayerGradCam` with `relu_attributions=True` (`signed` keeps
    /// negative values): the layer's channels weighted by their spatially averaged gradients and
    /// summed, `[1, 1, h, w]` at the layer's size.
    ///
    /// From Selvaraju et al. 2017, <https://arxiv.org/abs/1610.02391>. A layer that runs more
    /// than once in a pass (a shared ReLU) is taken at its last run.
    public func gradCAM(_ input: Tensor, target: ResolvedTarget, layer: String, signed: Bool = false) throws -> Attribution {
        _ = try model.layer(named: layer)
        let (cam, shape) = try Engine.run { () throws -> ([Float], [Int]) in
            let x = input.requiringGrad()
            var activation: Tensor?
            var captured: Tensor?
            let logits = try model(x, observing: Set([layer] + (target.channel.map { [$0.layer] } ?? []))) { name, output in
                if name == layer { activation = output }
                if let channel = target.channel, channel.layer == name { captured = output }
                return output
            }
            guard let activation, activation.rank == 4, activation.shape[0] == 1 else {
                throw InterpError.notAFeatureMap(layer: layer, shape: activation?.shape ?? [])
            }
            let (output, seed) = try Self.seed(logits: logits, captured: captured, target: target)
            let gradient = try grad(of: output, wrt: [activation], seed: seed)[0].scalars
            let a = try activation.scalars
            let (c, h, w) = (activation.shape[1], activation.shape[2], activation.shape[3])
            let plane = h * w
            var cam = [Float](repeating: 0, count: plane)
            for channel in 0..<c {
                var weight: Float = 0
                for i in 0..<plane { weight += gradient[channel * plane + i] }
                weight /= Float(plane)
                for i in 0..<plane { cam[i] += weight * a[channel * plane + i] }
            }
            return (signed ? cam : cam.map { Swift.max($0, 0) }, [1, 1, h, w])
        }
        return Attribution(values: cam, shape: shape, method: "Grad-CAM", target: target, layer: layer, isSigned: signed)
    }

    /// Guided Grad-CAM, as Captum's `GuidedGradCam`: guided backpropagation times the Grad-CAM
    /// map upsampled to the input by nearest neighbour.
    public func guidedGradCAM(_ input: Tensor, target: ResolvedTarget, layer: String) throws -> Attribution {
        let cam = try gradCAM(input, target: target, layer: layer)
        let guided = try guidedBackprop(input, target: target)
        let (height, width) = (input.shape[2], input.shape[3])
        let upsampled = Resampling.nearest(cam.values, from: (cam.shape[2], cam.shape[3]), to: (height, width))
        let plane = height * width
        let values = guided.values.enumerated().map { index, value in value * upsampled[index % plane] }
        return Attribution(values: values, shape: input.shape, method: "Guided Grad-CAM", target: target, layer: layer, isSigned: true)
    }

    /// Guided backpropagation, as Captum's `GuidedBackprop`: the input gradient with every ReLU
    /// (and ReLU6) passing only positive gradients.
    ///
    /// From Springenberg et al. 2015, <https://arxiv.org/abs/1412.6806>.
    public func guidedBackprop(_ input: Tensor, target: ResolvedTarget) throws -> Attribution {
        let gradient = try objective(input, target: target, gradient: true, guided: true).gradient
        return Attribution(
            values: try (gradient ?? input).scalars, shape: input.shape, method: "guided backpropagation", target: target, isSigned: true)
    }

    /// The tensor to differentiate and its seed for `target`.
    static func seed(logits: Tensor, captured: Tensor?, target: ResolvedTarget) throws -> (Tensor, Tensor) {
        switch target.kind {
        case let .classLogit(classIndex):
            var one = [Float](repeating: 0, count: logits.count)
            one[classIndex] = 1
            return (logits, try Tensor(shape: logits.shape, scalars: one))
        case let .channel(layer, index):
            guard let activation = captured else {
                throw InterpError.internalError("layer '\(layer)' produced no output in the forward pass")
            }
            guard activation.rank == 4 else { throw InterpError.notAFeatureMap(layer: layer, shape: activation.shape) }
            let (c, h, w) = (activation.shape[1], activation.shape[2], activation.shape[3])
            guard (0..<c).contains(index) else { throw InterpError.channelOutOfRange(layer: layer, channel: index, channels: c) }
            var mask = [Float](repeating: 0, count: activation.count)
            for i in (index * h * w)..<((index + 1) * h * w) { mask[i] = 1 / Float(h * w) }
            return (activation, try Tensor(shape: activation.shape, scalars: mask))
        }
    }
}
