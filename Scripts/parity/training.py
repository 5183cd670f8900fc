"""PyTorch reference for fine-tuning in Loupe: weight gradients through every layer type the
models use, and the optimisers' steps.

Writes Tests/LoupeInterpTests/Fixtures/training.json: a small network (conv -> batch norm
(eval: running statistics frozen) -> ReLU6 -> depthwise conv, stride 2 -> batch norm -> ReLU
-> average pool -> linear), its initial state dict, one input batch and target classes, and,
for SGD with momentum and for Adam, the cross-entropy loss before each of three steps and every
trained parameter after each step. The Swift test builds the same network from Loupe's layers,
trains it with ParameterTraining and compares step by step.

    /usr/bin/python3 Scripts/parity/training.py
"""

import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "LoupeInterpTests", "Fixtures", "training.json")
torch.set_num_threads(1)


def network():
    return nn.Sequential(
        nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU6(),
        nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6, bias=False), nn.BatchNorm2d(6), nn.ReLU(),
        nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(6, 4))


def values(t):
    return [float(v) for v in t.detach().flatten().tolist()]


def main():
    torch.manual_seed(7)
    base = network().eval()
    with torch.no_grad():
        for m in base.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    state = {k: v.clone() for k, v in base.state_dict().items()}
    x = torch.randn(2, 3, 8, 8)
    target = torch.tensor([1, 3])
    trained = [k for k, _ in base.named_parameters()]
    out = {"generator": "Scripts/parity/training.py", "state": {k: {"shape": list(v.shape), "data": values(v)} for k, v in state.items()},
           "input": {"shape": list(x.shape), "data": values(x)}, "target": target.tolist(), "trained": trained, "runs": []}
    for name, make in (("sgd", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)), ("adam", lambda p: torch.optim.Adam(p, lr=0.01))):
        model = network().eval()
        model.load_state_dict(state)
        optimiser = make(model.parameters())
        losses, after = [], []
        for _ in range(3):
            optimiser.zero_grad()
            loss = F.cross_entropy(model(x), target)
            loss.backward()
            losses.append(float(loss))
            optimiser.step()
            after.append({k: values(v) for k, v in model.named_parameters()})
        out["runs"].append({"optimizer": name, "losses": losses, "after": after})
    with open(OUT, "w") as f:
        json.dump(out, f)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
