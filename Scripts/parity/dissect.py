#!/usr/bin/env python3
"""SoftWPMI (CLIP-Dissect's neuron-concept similarity) in Loupe against the reference algorithm.

    /usr/bin/python3 Scripts/parity/dissect.py write
        seeded matrices and the reference scores -> Tests/LoupeInterpTests/Fixtures/softwpmi.json
        (the Swift test DissectionTests compares Loupe's Dissection.softWPMI with them)
    /usr/bin/python3 Scripts/parity/dissect.py run --loupe .build/release/loupe [--probe DIR]
        `loupe bench dissect --dump` on real data (EfficientNet-Lite0's 1000 logits, annotated by
        EfficientNet-Lite2 over the coupling photos and their crops); the reference recomputes the
        scores from the dumped matrices and the largest |difference| must be <= 1e-5

The reference is CLIP-Dissect's `soft_wpmi` (Oikarinen & Weng, ICLR 2023; similarity.py of
github.com/Trustworthy-ML-Lab/CLIP-dissect) ported to PyTorch on the CPU in float64, with the
same defaults (top_k 100, lam 1, p_start 0.998, p_end 0.97, min_prob 1e-7). The reference applies
softmax(a * cosines) to CLIP's cosines first; here the annotator's probabilities go in directly
(for `write`, the matrices are softmax(10 * cosines) computed here, and the fixture holds both).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "LoupeInterpTests", "Fixtures", "softwpmi.json")


def soft_wpmi(probabilities, activations, top_k=100, lam=1.0, min_prob=1e-7, p_start=0.998, p_end=0.97):
    """The reference: probabilities [images, concepts] (rows sum to 1), activations [images, neurons]."""
    p = torch.as_tensor(probabilities, dtype=torch.float64)
    a = torch.as_tensor(activations, dtype=torch.float64)
    # torch.topk does not promise an order among ties; Loupe keeps image order, so does this
    # (a stable descending sort).
    order = torch.sort(a, dim=0, descending=True, stable=True)[1][:top_k]
    weights = (p_start - torch.arange(top_k, dtype=torch.float64) / top_k * (p_start - p_end)).unsqueeze(1)
    rows = []
    for neuron in range(a.shape[1]):
        picked = p[order[:, neuron]]
        rows.append(torch.log(1 + weights * (picked - 1) + min_prob).sum(dim=0, keepdim=True))
    conditional = torch.cat(rows, dim=0)
    marginal = torch.logsumexp(conditional, dim=0, keepdim=True) - np.log(conditional.shape[0])
    return (conditional - lam * marginal).numpy()


def write():
    rng = np.random.default_rng(7)
    cases = []
    for images, concepts, neurons, top_k, lam in ((150, 12, 7, 100, 1.0), (60, 20, 5, 20, 0.6), (40, 3, 9, 40, 1.0)):
        cosines = rng.uniform(-0.2, 0.6, size=(images, concepts))
        probabilities = torch.softmax(torch.as_tensor(10 * cosines), dim=1).numpy()
        activations = rng.normal(size=(images, neurons))
        # A planted neuron: it fires where concept 0 is likely.
        activations[:, 0] = probabilities[:, 0] + 0.01 * rng.normal(size=images)
        scores = soft_wpmi(probabilities, activations, top_k=top_k, lam=lam)
        cases.append({"images": images, "concepts": concepts, "neurons": neurons, "top_k": top_k, "lambda": lam,
                      "cosines": cosines.ravel().tolist(), "probabilities": probabilities.ravel().tolist(),
                      "activations": activations.ravel().tolist(), "scores": scores.ravel().tolist()})
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        json.dump({"generator": "Scripts/parity/dissect.py write", "torch": torch.__version__, "cases": cases}, f)
    print(f"wrote {FIXTURE}: {len(cases)} cases")


def run(loupe, probe):
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([loupe, "bench", "dissect", "--probe", probe, "--dump", folder, "--permutations", "20"], check=True)
        p = np.load(os.path.join(folder, "probabilities.npy"))
        a = np.load(os.path.join(folder, "activations.npy"))
        ours = np.load(os.path.join(folder, "soft_wpmi.npy"))
        top_k = json.load(open(os.path.join(folder, "settings.json")))["top_k"]
    theirs = soft_wpmi(p, a, top_k=top_k)
    worst = float(np.abs(ours - theirs).max())
    same_labels = float((ours.argmax(axis=1) == theirs.argmax(axis=1)).mean())
    print(f"SoftWPMI on {p.shape[0]} probes x {p.shape[1]} concepts, {a.shape[1]} neurons, top-k {top_k}: "
          f"max |Loupe - reference| = {worst:.2e}, same label for {100 * same_labels:.1f} % of neurons")
    if worst > 1e-5:
        sys.exit("FAIL: SoftWPMI differs from the reference by more than 1e-5")
    print("ok")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["write", "run"])
    parser.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    parser.add_argument("--probe", default=os.path.join(ROOT, "Notebooks", "images", "coupling"))
    args = parser.parse_args()
    write() if args.mode == "write" else run(args.loupe, args.probe)


if __name__ == "__main__":
    main()
