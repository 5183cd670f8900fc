"""open_clip parity for Loupe's CLIP towers: the ViT and modified-ResNet image towers, the causal text
transformer, and the three ways CLIP weights are stored (open_clip state dicts as a torch.save zip
or as safetensors, and OpenAI's TorchScript archives).

Subcommands:

  fixtures               write Tests/LoupeModelsTests/Fixtures/clip/ (below): two tiny random CLIPs,
                         their inputs, their outputs and some intermediate activations
  random [--out PATH] [--config NAME]
                         write a random-weight CLIP (ViT-B-32-quickgelu by default) as safetensors whose
                         header says plainly that the weights are random, with an open_clip_config.json
                         beside it; CI renders Notebooks/clip.md with it
  run [--loupe PATH] [--quick] [--keep]
                         full-size parity on random weights (what CI runs): build ViT-B/32 and RN50
                         (both with QuickGELU, as OpenAI's), save each as .bin, .safetensors and a
                         float16 TorchScript archive under .parity/clip/, embed 3 photos and 12 texts
                         with open_clip and with `PATH clip embed`, and compare (table below).
                         --quick does only ViT-B/32 as safetensors and TorchScript; --keep keeps
                         .parity/clip/ (otherwise it is deleted). PATH defaults to
                         .build/release/loupe. Exit code 1 if any comparison fails. Each model's
                         files are deleted after its comparisons unless --keep (disk: 1.6 GB at
                         most; with --keep 2.6 GB). The Python side takes about a minute on 2 cores.

The oracle is open_clip_torch 3.3.0 (`open_clip.model.CLIP`) on Debian's torch (/usr/bin/python3).
It is a test oracle only, never a dependency of Loupe: Scripts/parity/clip_tokenizer.py's setup()
downloads the pinned wheels (open_clip_torch, ftfy, wcwidth, regex; SHA-256 checked) with pip into
.parity/download-clip and installs them with --no-deps into .parity/pysite-clip; this script calls
that function, so a fresh machine needs only Debian's python3-torch, python3-numpy, python3-pil and
python3-pip. open_clip 3.3.0 imports without timm and huggingface_hub (they are optional there), and
safetensors files are written here by hand (the `safetensors` package is not needed).

Random weights: the models are built with a seed and then randomised (randomise()) so that no term
is trivially an identity: batch norms get random affine parameters and running statistics (set from
the activations of a random batch, then perturbed), layer norms random weight/bias around 1/0, every
bias is random, class, positional and token embeddings have std 0.5, attention and MLP weights are
drawn so that each residual branch is O(1), logit_scale is log(1/0.05) plus noise. `fixtures` prints
the RMS of each term (patch/token embeddings, class/positional embeddings, each block's input and
its attention and MLP branches) so one can check that none dominates.

Fixtures (`fixtures`; all .npy are float32, C order; manifest.json lists every file, the exact
configs passed to open_clip.model.CLIP, seeds, versions, state-dict keys with shapes and dtypes, the
TorchScript archive's classes, and suggested tolerances):

  tiny-vit.safetensors       ViT CLIP, model.state_dict() as float32 (embed_dim 32; vision width 128,
                             2 heads of 64, 2 layers, patch 8, image 32; text context 16, vocab 512,
                             width 64, 1 head, 2 layers; quick_gelu=True)
  tiny-vit.fp16.pt           the same state dict as a torch.save zip with every float tensor float16;
                             its expected outputs are tiny-vit.fp16.*.npy, computed in float32 from
                             the float16-rounded weights
  tiny-rn.safetensors        modified-ResNet CLIP (layers 1,1,1,1, width 8 so 256 channels and 4
                             attention-pool heads, image 64; same text tower; quick_gelu=False, GELU),
                             model.state_dict() (float32, plus BatchNorm's int64 num_batches_tracked)
  tiny-rn.torchscript.pt     torch.jit.trace of the whole CLIP (forward(image, text) returns
                             normalised image features, normalised text features, logit_scale.exp()),
                             float32, with OpenAI's extra int64 buffers input_resolution,
                             context_length and vocab_size; its outputs are tiny-rn.*.npy
  ids.npy                    [3, 16] token ids (as float32) for both models: ids in 1...508, then the
                             end-of-text id 511 (= vocab_size - 1, so argmax pooling picks it), then 0
  <model>.images.npy         [2, 3, S, S] preprocessed images (standard normal)
  <model>.image_features.npy encode_image(images, normalize=False), [2, 32]
  <model>.text_features.npy  encode_text(ids, normalize=False), [3, 32]
  <model>.logits.npy         logit_scale.exp() * normalize(image) @ normalize(text).T, [2, 3]
  <model>.zero_shot_gradient.npy
                             d logits[0, 1] / d images[0:1], [1, 3, S, S]: saliency of a zero-shot
                             logit whose labels are the three texts' unit features
  <model>.<module>.npy       forward outputs of single modules, for debugging layer by layer;
                             transformer activations are batch-first [B, T, W] (open_clip 3.3 runs
                             its transformers batch-first); convolutional ones are [B, C, H, W]

`run` table: for each model and format, the largest |Loupe - open_clip| of the image and of the text
embeddings divided by the largest |open_clip| component (must be <= 1e-5; for the float16
TorchScript archive the reference is the float32 model with the float16-rounded weights), whether
Loupe's 77-token rows and truncation flags equal open_clip's tokenizer's, whether each image's
ranking of the texts (cosine similarity) is the same (ties within 1e-5 may swap), open_clip's time
to encode the 3 images and the 12 texts, and Loupe's wall time. Loupe is called as

  PATH clip embed --weights FILE --activation quickgelu --image P ... --text T ... --no-resize --json

and prints {"model": {"kind", "embed_dim", ...}, "logit_scale": exp'd scale, "images": [{"path",
"embedding"}], "texts": [{"text", "tokens", "truncated", "embedding"}]}, embeddings un-normalised.
The photos (Notebooks/images/dog.jpg, eagle.jpg, giraffe.jpg) are centre-cropped and resized to
224x224 here with PIL and saved as PNG, so open_clip's Resize(224, bicubic) + CenterCrop(224) is the
identity and both sides read identical pixels; both normalise with OpenAI's mean and std.

    /usr/bin/python3 Scripts/parity/clip.py fixtures
    /usr/bin/python3 Scripts/parity/clip.py run --loupe .build/release/loupe
"""

import argparse
import copy
import importlib.util
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "LoupeModelsTests", "Fixtures", "clip")
WORK = os.path.join(ROOT, ".parity", "clip")
GENERATOR = "Scripts/parity/clip.py"
OPEN_CLIP_VERSION = "3.3.0"
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
FLOAT32_FACTOR = 4  # see compare()
TOLERANCE = 1e-5

# ---------------------------------------------------------------- setup (open_clip from the pinned wheels)


def load_open_clip():
    """Installs the pinned wheels with clip_tokenizer.setup() and imports the whole of open_clip."""
    spec = importlib.util.spec_from_file_location("loupe_clip_tokenizer_parity", os.path.join(HERE, "clip_tokenizer.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.setup()  # puts .parity/pysite-clip first on sys.path
    import open_clip

    if open_clip.__version__ != OPEN_CLIP_VERSION:
        sys.exit(f"open_clip {open_clip.__version__} imported from {open_clip.__file__}, expected {OPEN_CLIP_VERSION}")
    return open_clip


# ---------------------------------------------------------------- files


SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}


def save_safetensors(state, path, note=None):
    """A state dict as safetensors (little-endian, header padded to 8 bytes), keys in state-dict order;
    `note` goes into the header's metadata, where Loupe shows it with the model."""
    assert sys.byteorder == "little"
    header, arrays, offset = {}, [], 0
    for key, value in state.items():
        array = value.detach().cpu().contiguous().numpy()  # (np.ascontiguousarray would make scalars 1-D)
        header[key] = {"dtype": SAFETENSORS_DTYPES[value.dtype], "shape": list(value.shape),
                       "data_offsets": [offset, offset + array.nbytes]}
        arrays.append(array)
        offset += array.nbytes
    header["__metadata__"] = {"format": "pt", "generator": GENERATOR, **({"note": note} if note else {})}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        for array in arrays:
            f.write(array.reshape(-1).view(np.uint8))


def read_safetensors(path):
    """Reads back what save_safetensors wrote (to check it)."""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        body = f.read()
    names = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    out = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        out[key] = torch.from_numpy(np.frombuffer(body[start:end], dtype=names[entry["dtype"]]).reshape(entry["shape"]).copy())
    return out


def save_npy(directory, name, tensor):
    path = os.path.join(directory, name)
    np.save(path, np.ascontiguousarray(tensor.detach().cpu().numpy().astype(np.float32)))
    return name


def key_list(state):
    return [[k, list(v.shape), str(v.dtype).replace("torch.", "")] for k, v in state.items()]


def torchscript_classes(path):
    """The archive's classes, as Loupe reads them: qualified name, __parameters__, __buffers__."""
    classes = {}
    with zipfile.ZipFile(path) as z:
        for name in sorted(z.namelist()):
            if "/code/" not in name or not name.endswith(".py"):
                continue
            module = "__torch__." + name.split("/code/__torch__/", 1)[1][:-3].replace("/", ".")
            current = None
            for line in z.read(name).decode().splitlines():
                if line.startswith("class "):
                    current = module + "." + line[6:].split("(")[0]
                    classes[current] = {"parameters": [], "buffers": []}
                elif current and line.strip().startswith(("__parameters__", "__buffers__")):
                    kind = "parameters" if "__parameters__" in line else "buffers"
                    classes[current][kind] = json.loads(line.split("=", 1)[1].replace(", ]", "]").strip())
    return classes


# ---------------------------------------------------------------- random weights


def randomise(model, seed, calibration=None):
    """Gives every term of `model` seeded random values that are O(1) where they meet (see the docstring).

    `calibration`: images from which batch-norm running statistics are set (then perturbed), so
    that an eval-mode ResNet of any depth keeps O(1) activations.
    """
    g = torch.Generator().manual_seed(seed)

    def normal(t, std, mean=0.0):
        t.copy_(torch.randn(t.shape, generator=g) * std + mean)

    def uniform(t, low, high):
        t.copy_(torch.rand(t.shape, generator=g) * (high - low) + low)

    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, nn.BatchNorm2d):
                uniform(m.weight, 0.5, 1.5)
                normal(m.bias, 0.1)
                normal(m.running_mean, 0.1)
                uniform(m.running_var, 0.5, 1.5)
            elif isinstance(m, nn.LayerNorm):
                normal(m.weight, 0.1, 1.0)
                normal(m.bias, 0.1)
            elif isinstance(m, nn.MultiheadAttention):
                width = m.embed_dim
                normal(m.in_proj_weight, 1.5 * width ** -0.5)  # attention logits with std about 2
                normal(m.in_proj_bias, 0.1)
                normal(m.out_proj.weight, width ** -0.5)
                normal(m.out_proj.bias, 0.1)
            elif isinstance(m, nn.Linear) and name.endswith("mlp.c_fc"):
                normal(m.weight, m.in_features ** -0.5)
                normal(m.bias, 0.1)
            elif isinstance(m, nn.Linear) and name.endswith("mlp.c_proj"):
                normal(m.weight, m.in_features ** -0.5 * 2)  # GELU halves the variance
                normal(m.bias, 0.1)
            elif isinstance(m, nn.Linear):  # the attention pool's q/k/v/c projections
                normal(m.weight, m.in_features ** -0.5)
                normal(m.bias, 0.1)
            elif isinstance(m, nn.Embedding):
                normal(m.weight, 0.5)
        normal(model.positional_embedding, 0.5)
        normal(model.text_projection, model.text_projection.shape[0] ** -0.5)
        normal(model.logit_scale, 0.05, math.log(1 / 0.05))
        visual = model.visual
        if hasattr(visual, "class_embedding"):
            normal(visual.class_embedding, 0.5)
            normal(visual.positional_embedding, 0.5)
            normal(visual.proj, visual.proj.shape[0] ** -0.5)
        if hasattr(visual, "attnpool"):
            normal(visual.attnpool.positional_embedding, 0.5)

        if calibration is not None:
            calibrate(visual, calibration, g)
    return model.eval()


def calibrate(visual, calibration, g):
    """Sets the batch norms' running statistics of `visual` from the batch `calibration`, then
    perturbs them (seeded by `g`), so that an eval-mode ResNet of any depth keeps O(1) activations."""
    norms = [m for m in visual.modules() if isinstance(m, nn.BatchNorm2d)]
    if not norms:
        return
    with torch.no_grad():
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average: exactly this batch's statistics
        visual.train()
        visual(calibration)
        visual.eval()
        for m in norms:
            m.momentum = 0.1
            m.running_mean.add_(torch.randn(m.running_mean.shape, generator=g) * 0.1 * m.running_var.sqrt())
            m.running_var.mul_(torch.rand(m.running_var.shape, generator=g) * 0.6 + 0.7)
            m.num_batches_tracked.fill_(int(torch.randint(1, 100000, (1,), generator=g)))


def rms(t):
    return float(t.detach().float().pow(2).mean().sqrt())


def term_norms(model, images, ids):
    """RMS of each term where terms are added, so one can see that no term dominates."""
    lines, hooks = [], []

    def watch(module, label, pick=lambda out: out):
        hooks.append(module.register_forward_hook(lambda m, i, o: lines.append((label, rms(pick(o))))))

    def watch_input(module, label):
        hooks.append(module.register_forward_hook(lambda m, i, o: lines.append((label, rms(i[0])))))

    visual = model.visual
    if hasattr(visual, "class_embedding"):
        watch(visual.conv1, "visual patch embeddings")
        lines.append(("visual class embedding", rms(visual.class_embedding)))
        lines.append(("visual positional embedding", rms(visual.positional_embedding)))
        blocks = [("visual", i, b) for i, b in enumerate(visual.transformer.resblocks)]
    else:
        blocks = []
        for layer in ("layer1", "layer2", "layer3", "layer4"):
            for i, b in enumerate(getattr(visual, layer)):
                watch_input(b, f"visual.{layer}.{i} input (identity path)")
                watch(b.bn3, f"visual.{layer}.{i} residual branch (bn3)")
        watch_input(visual.attnpool, "visual attnpool input")
        lines.append(("visual attnpool positional embedding", rms(visual.attnpool.positional_embedding)))
    watch(model.token_embedding, "text token embeddings")
    lines.append(("text positional embedding", rms(model.positional_embedding)))
    blocks += [("text", i, b) for i, b in enumerate(model.transformer.resblocks)]
    for tower, i, block in blocks:
        watch_input(block, f"{tower} block {i} input")
        watch(block.attn, f"{tower} block {i} attention branch", lambda out: out[0])
        watch(block.mlp, f"{tower} block {i} MLP branch")
    with torch.no_grad():
        image = model.encode_image(images)
        text = model.encode_text(ids)
    for h in hooks:
        h.remove()
    lines.append(("image embedding", rms(image)))
    lines.append(("text embedding", rms(text)))
    return lines


def outputs(model, images, ids, modules=()):
    """encode_image, encode_text (un-normalised), the logits, and the forward outputs of `modules`."""
    captured, hooks = {}, []
    for name in modules:
        hooks.append(model.get_submodule(name).register_forward_hook(
            lambda m, i, o, name=name: captured.__setitem__(name, (o[0] if isinstance(o, tuple) else o).detach().clone())))
    with torch.no_grad():
        image = model.encode_image(images)
        text = model.encode_text(ids)
        logits = model.logit_scale.exp() * nn.functional.normalize(image, dim=-1) @ nn.functional.normalize(text, dim=-1).T
    for h in hooks:
        h.remove()
    return image, text, logits, captured


def add_openai_buffers(model, input_resolution, context_length, vocab_size):
    """OpenAI's archives carry these three int64 scalars in their state dict; open_clip's CLIP has
    plain int attributes of two of those names, which are replaced here by buffers."""
    for name, value in (("input_resolution", input_resolution), ("context_length", context_length), ("vocab_size", vocab_size)):
        if hasattr(model, name):
            delattr(model, name)
        model.register_buffer(name, torch.tensor(value, dtype=torch.int64))
    return model


def trace(model, images, ids):
    # check_trace=False: nn.MultiheadAttention's fast-path checks make the re-traced graphs differ
    # textually; the archive's outputs are checked numerically instead.
    with torch.no_grad():
        return torch.jit.trace(model, (images, ids), check_trace=False)


# ---------------------------------------------------------------- fixtures

TEXT_CFG = {"context_length": 16, "vocab_size": 512, "width": 64, "heads": 1, "layers": 2}
TINY = {
    "tiny-vit": {"embed_dim": 32, "quick_gelu": True, "seed": 1001,
                 "vision_cfg": {"image_size": 32, "layers": 2, "width": 128, "head_width": 64, "patch_size": 8},
                 "text_cfg": TEXT_CFG,
                 "modules": ["visual.ln_pre", "visual.transformer.resblocks.0", "transformer.resblocks.0"]},
    "tiny-rn": {"embed_dim": 32, "quick_gelu": False, "seed": 2002,
                "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 8, "head_width": 64},
                "text_cfg": TEXT_CFG,
                "modules": ["visual.avgpool", "visual.layer1", "visual.layer4", "visual.attnpool", "transformer.resblocks.0"]},
}
IDS_SEED = 3003
EOT = TEXT_CFG["vocab_size"] - 1


def tiny_ids():
    """Three rows of 16 ids: random ids in 1...508, the end-of-text id 511, zero padding."""
    g = torch.Generator().manual_seed(IDS_SEED)
    rows = torch.zeros(3, TEXT_CFG["context_length"], dtype=torch.long)
    for row, length in enumerate((5, 16, 9)):  # lengths include the end-of-text id
        rows[row, :length - 1] = torch.randint(1, 509, (length - 1,), generator=g)
        rows[row, length - 1] = EOT
    return rows


def build_tiny(open_clip, name):
    spec = TINY[name]
    torch.manual_seed(spec["seed"])
    model = open_clip.model.CLIP(spec["embed_dim"], spec["vision_cfg"], spec["text_cfg"], quick_gelu=spec["quick_gelu"])
    size = spec["vision_cfg"]["image_size"]
    g = torch.Generator().manual_seed(spec["seed"] + 2)
    images = torch.randn(2, 3, size, size, generator=g)
    calibration = torch.randn(8, 3, size, size, generator=g)
    randomise(model, spec["seed"] + 1, calibration)
    return model, images


def write_fixtures():
    open_clip = load_open_clip()
    torch.set_num_threads(2)
    if os.path.isdir(FIXTURES):
        shutil.rmtree(FIXTURES)
    os.makedirs(FIXTURES)
    ids = tiny_ids()
    manifest = {
        "generator": GENERATOR + " fixtures", "open_clip": f"open_clip_torch {open_clip.__version__}",
        "torch": torch.__version__, "numpy": np.__version__, "python": sys.version.split()[0],
        "layouts": {"images": "[B, 3, H, W], already normalised", "ids": "[B, context] token ids stored as float32",
                    "transformer activations": "[B, T, W] batch-first (open_clip 3.3 runs batch-first)",
                    "convolutional activations": "[B, C, H, W]", "features": "[B, embed_dim], un-normalised",
                    "logits": "[images, texts] = logit_scale.exp() * normalize(image) @ normalize(text).T"},
        "ids": save_npy(FIXTURES, "ids.npy", ids.float()), "ids_seed": IDS_SEED, "end_of_text_id": EOT,
        "tolerances": {"features": "max |diff| <= 1e-5 * max |expected| (float32; 2e-5 if a platform's GELU or exp differ)",
                       "activations": "max |diff| <= 1e-5 * max |expected|",
                       "logits": "max |diff| <= 1e-4 (logit_scale.exp() is about 20)",
                       "fp16 file": "the same: its expected outputs use the float16-rounded weights in float32"},
        "models": {},
    }
    print(f"{'model':10s} {'term':48s} {'rms':>8s}")
    for name, spec in TINY.items():
        model, images = build_tiny(open_clip, name)
        for term, value in term_norms(model, images, ids):
            print(f"{name:10s} {term:48s} {value:8.3f}")
        state = model.state_dict()
        image, text, logits, captured = outputs(model, images, ids, spec["modules"])
        # Saliency of a zero-shot logit: the text features of the three id rows are the labels
        # (one template each), and the gradient of image 0's logit for label 1 w.r.t. its pixels.
        pixels = images[:1].clone().requires_grad_(True)
        labels = nn.functional.normalize(text.detach(), dim=-1)
        zero_shot = model.logit_scale.exp().detach() * nn.functional.normalize(model.encode_image(pixels), dim=-1) @ labels.T
        zero_shot[0, 1].backward()
        entry = {
            "config": {"embed_dim": spec["embed_dim"], "vision_cfg": spec["vision_cfg"], "text_cfg": spec["text_cfg"],
                       "quick_gelu": spec["quick_gelu"]},
            "call": f"open_clip.model.CLIP(embed_dim, vision_cfg, text_cfg, quick_gelu={spec['quick_gelu']})",
            "activation": "quickgelu" if spec["quick_gelu"] else "gelu",
            "seeds": {"torch.manual_seed before CLIP()": spec["seed"], "randomise": spec["seed"] + 1, "images": spec["seed"] + 2},
            "logit_scale": float(model.logit_scale), "logit_scale_exp": float(model.logit_scale.exp()),
            "images": save_npy(FIXTURES, f"{name}.images.npy", images),
            "expected": {"image_features": save_npy(FIXTURES, f"{name}.image_features.npy", image),
                         "text_features": save_npy(FIXTURES, f"{name}.text_features.npy", text),
                         "logits": save_npy(FIXTURES, f"{name}.logits.npy", logits),
                         "zero_shot_gradient": save_npy(FIXTURES, f"{name}.zero_shot_gradient.npy", pixels.grad)},
            "activations": {m: {"file": save_npy(FIXTURES, f"{name}.{m}.npy", t), "shape": list(t.shape)}
                            for m, t in captured.items()},
            "files": {},
        }
        path = os.path.join(FIXTURES, f"{name}.safetensors")
        save_safetensors(state, path)
        back = read_safetensors(path)
        assert list(back) == list(state) and all(torch.equal(back[k], state[k]) for k in state)
        entry["files"][f"{name}.safetensors"] = {"format": "safetensors, open_clip state dict (model.state_dict())",
                                                "expected": "image_features, text_features, logits, activations",
                                                "keys": key_list(state)}
        if name == "tiny-vit":
            half = {k: (v.half() if v.is_floating_point() else v) for k, v in state.items()}
            path = os.path.join(FIXTURES, f"{name}.fp16.pt")
            torch.save(half, path)
            rounded = copy.deepcopy(model)
            rounded.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in half.items()})
            image16, text16, logits16, _ = outputs(rounded, images, ids)
            entry["files"][f"{name}.fp16.pt"] = {
                "format": "torch.save zip of the state dict, every float tensor float16",
                "expected": {"image_features": save_npy(FIXTURES, f"{name}.fp16.image_features.npy", image16),
                             "text_features": save_npy(FIXTURES, f"{name}.fp16.text_features.npy", text16),
                             "logits": save_npy(FIXTURES, f"{name}.fp16.logits.npy", logits16)},
                "keys": key_list(half)}
            print(f"{name}: fp16 rounding moves the image features by {float((image16 - image).abs().max()):.2e}, "
                  f"the text features by {float((text16 - text).abs().max()):.2e}")
        else:
            scripted = add_openai_buffers(copy.deepcopy(model), spec["vision_cfg"]["image_size"],
                                          TEXT_CFG["context_length"], TEXT_CFG["vocab_size"])
            path = os.path.join(FIXTURES, f"{name}.torchscript.pt")
            torch.jit.save(trace(scripted, images, ids), path)
            loaded = torch.jit.load(path)
            with torch.no_grad():
                got_image, got_text, got_scale = loaded(images, ids)
            assert torch.allclose(got_image, nn.functional.normalize(image, dim=-1), atol=1e-6)
            assert torch.allclose(got_text, nn.functional.normalize(text, dim=-1), atol=1e-6)
            assert torch.allclose(got_scale, model.logit_scale.exp())
            archive_state = loaded.state_dict()
            entry["files"][f"{name}.torchscript.pt"] = {
                "format": "torch.jit.save of torch.jit.trace(CLIP) (float32); forward(image, text) returns "
                          "(normalised image features, normalised text features, logit_scale.exp())",
                "expected": "the same as tiny-rn.safetensors",
                "extra_keys": [k for k in archive_state if k not in state],
                "keys": key_list(archive_state),
                "classes": torchscript_classes(path)}
        manifest["models"][name] = entry
    files = sorted(os.listdir(FIXTURES)) + ["manifest.json"]
    manifest["files"] = files
    with open(os.path.join(FIXTURES, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = 0
    for name in files:
        size = os.path.getsize(os.path.join(FIXTURES, name))
        total += size
        print(f"{size:10,d}  {name}")
    print(f"{total:10,d}  bytes in {os.path.relpath(FIXTURES, ROOT)}")
    return 0


# ---------------------------------------------------------------- run: full-size parity against Loupe

FULL = [
    # label, open_clip config, activation flag for Loupe, seed
    ("ViT-B/32", "ViT-B-32-quickgelu", "quickgelu", 11),
    ("RN50", "RN50-quickgelu", "quickgelu", 12),
]
PHOTOS = ["dog.jpg", "eagle.jpg", "giraffe.jpg"]
PROSE = ("A photo of a striped cat sleeping on a red sofa next to a window, with sunlight on the "
         "wooden floor and a small green plant in a ceramic pot. ")
TEXTS = [
    "a photo of a dog",
    "a photo of an eagle",
    "a photo of a giraffe",
    "a diagram",
    "A Photo Of A CAT.",
    "a bald eagle soaring over snowy mountains at dawn",
    "it's a dog's life, isn't it?",
    "3 dogs and 2 cats, 100% cute!",
    "a giraffe next to a tree &amp; a fence",
    "Cr\u00e8me br\u00fbl\u00e9e \U0001f36e \u2014 \u201cquoted\u201d \ufb01ne \u212b \u732b\u306e\u5199\u771f \u0130stanbul",
    "une photo d'un chien qui court dans l'herbe",
    PROSE * 3,  # longer than 77 tokens: truncated, the end-of-text id kept
]


def prepare_photos(directory):
    """Centre-crops and resizes each photo to 224x224 (PIL, bicubic) and saves it as PNG."""
    from PIL import Image

    paths = []
    for name in PHOTOS:
        image = Image.open(os.path.join(ROOT, "Notebooks", "images", name)).convert("RGB")
        w, h = image.size
        side = min(w, h)
        left, top = (w - side) // 2, (h - side) // 2
        image = image.crop((left, top, left + side, top + side)).resize((224, 224), Image.BICUBIC)
        path = os.path.join(directory, os.path.splitext(name)[0] + ".png")
        image.save(path)
        paths.append(path)
    return paths


def preprocess(open_clip, paths):
    """[N, 3, 224, 224]: pixels / 255, normalised with OpenAI's mean and std; checked against open_clip's transform."""
    from PIL import Image

    arrays = [np.asarray(Image.open(p).convert("RGB"), dtype=np.float32) / 255 for p in paths]
    x = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    x = (x - torch.tensor(MEAN).view(1, 3, 1, 1)) / torch.tensor(STD).view(1, 3, 1, 1)
    try:
        transform = open_clip.image_transform(224, is_train=False, mean=MEAN, std=STD)
    except ImportError:  # torchvision missing: the manual preprocessing stands alone
        return x, None
    theirs = torch.stack([transform(Image.open(p)) for p in paths])
    return x, float((theirs - x).abs().max())


def similarity_rankings(images, texts):
    s = nn.functional.normalize(images, dim=-1) @ nn.functional.normalize(texts, dim=-1).T
    return s, [list(map(int, torch.argsort(row, descending=True))) for row in s]


def ranking_verdict(reference_s, reference_orders, loupe_orders):
    """'equal', 'ties' (Loupe's order is sorted by open_clip's similarities within 1e-5) or 'DIFFERENT'."""
    if reference_orders == loupe_orders:
        return "equal"
    eps = TOLERANCE * float(reference_s.abs().max())
    for row, order in zip(reference_s, loupe_orders):
        if sorted(order) != list(range(len(row))):
            return "DIFFERENT"
        if any(float(row[a]) < float(row[b]) - eps for a, b in zip(order, order[1:])):
            return "DIFFERENT"
    return "ties"


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def build_full(open_clip, config, seed):
    cfg = open_clip.get_model_config(config)
    torch.manual_seed(seed)
    model = open_clip.model.CLIP(cfg["embed_dim"], cfg["vision_cfg"], cfg["text_cfg"], quick_gelu=cfg.get("quick_gelu", False))
    size = cfg["vision_cfg"]["image_size"]
    calibration = torch.randn(4, 3, size, size, generator=torch.Generator().manual_seed(seed + 1))
    return randomise(model, seed + 2, calibration), cfg


def call_loupe(loupe, weights, activation, photos, texts):
    """Runs Loupe; returns (parsed JSON or None, error message or None, seconds)."""
    command = [loupe, "clip", "embed", "--weights", weights, "--activation", activation]
    for p in photos:
        command += ["--image", p]
    for t in texts:
        command += ["--text", t]
    command += ["--no-resize", "--json"]
    shown = f"{loupe} clip embed --weights {os.path.relpath(weights, ROOT)} --activation {activation} ... --no-resize --json"
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True)
    except OSError as error:
        return None, f"`{shown}` could not run: {error}", time.perf_counter() - start
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return None, f"`{shown}` exited with {done.returncode}" + (": " + " | ".join(tail) if tail else ""), seconds
    try:
        return json.loads(done.stdout), None, seconds
    except json.JSONDecodeError as error:
        return None, f"`{shown}` did not print one JSON object ({error}): {done.stdout[:200]!r}", seconds


def compare(result, reference, kind, embed_dim, photos):
    """Returns (image error, text error, tokens ok, ranking verdict, problems)."""
    problems = []
    model = result.get("model", {})
    if model.get("kind") != kind or model.get("embed_dim") != embed_dim:
        problems.append(f"model {model}, expected kind {kind!r} and embed_dim {embed_dim}")
    scale = float(reference["logit_scale"])
    if abs(float(result.get("logit_scale", math.nan)) - scale) > TOLERANCE * scale:
        problems.append(f"logit_scale {result.get('logit_scale')}, expected {scale}")
    images, texts = result.get("images", []), result.get("texts", [])
    if [os.path.abspath(i.get("path", "")) for i in images] != [os.path.abspath(p) for p in photos] or len(texts) != len(TEXTS):
        problems.append(f"{len(images)} images and {len(texts)} texts, expected {len(photos)} and {len(TEXTS)} in order")
        return math.inf, math.inf, False, "DIFFERENT", problems
    loupe_images = torch.tensor([i["embedding"] for i in images], dtype=torch.float64)
    loupe_texts = torch.tensor([t["embedding"] for t in texts], dtype=torch.float64)
    ref_images, ref_texts = reference["images"].double(), reference["texts"].double()
    if loupe_images.shape != ref_images.shape or loupe_texts.shape != ref_texts.shape:
        problems.append(f"embedding shapes {list(loupe_images.shape)}, {list(loupe_texts.shape)}, "
                        f"expected {list(ref_images.shape)}, {list(ref_texts.shape)}")
        return math.inf, math.inf, False, "DIFFERENT", problems
    def relative(a, b):
        return float((a - b).abs().max() / b.abs().max())

    image_error, text_error = relative(loupe_images, ref_images), relative(loupe_texts, ref_texts)
    # Where float32 itself is far from float64 (a randomly initialised tower whose float16-rounded
    # weights make it ill-conditioned), Loupe passes when it is as close to float64 as float32
    # PyTorch is, up to FLOAT32_FACTOR.
    notes = []
    for label, loupe, ref32, ref64 in [("image", loupe_images, ref_images, reference["images64"]),
                                      ("text", loupe_texts, ref_texts, reference["texts64"])]:
        if relative(loupe, ref32) > TOLERANCE:
            ours, theirs = relative(loupe, ref64), relative(ref32.double(), ref64)
            notes.append((label, ours, theirs, ours <= max(TOLERANCE, FLOAT32_FACTOR * theirs)))
    tokens_ok = True
    for t, row, truncated, text in zip(texts, reference["tokens"], reference["truncated"], TEXTS):
        if t.get("text") != text or t.get("tokens") != row or t.get("truncated") != truncated:
            tokens_ok = False
            problems.append(f"text {text[:40]!r}: Loupe {t.get('text', '')[:40]!r} tokens {t.get('tokens')} "
                            f"truncated {t.get('truncated')}, open_clip {row} truncated {truncated}")
    _, loupe_orders = similarity_rankings(loupe_images, loupe_texts)
    verdict = ranking_verdict(reference["similarities"], reference["orders"], loupe_orders)
    for label, ours, theirs, ok in notes:
        message = (f"{label} embeddings {relative(loupe_images, ref_images) if label == 'image' else text_error:.2e} from float32 "
                   f"open_clip; from float64 open_clip: Loupe {ours:.2e}, float32 open_clip {theirs:.2e}")
        if ok:
            print(f"note: {message} (within {FLOAT32_FACTOR}x float32's own error: passes)")
        else:
            problems.append(message + f" (more than {FLOAT32_FACTOR}x float32's own error and above {TOLERANCE:.0e})")
    if verdict == "DIFFERENT":
        problems.append(f"rankings differ: Loupe {loupe_orders}, open_clip {reference['orders']}")
    return image_error, text_error, tokens_ok, verdict, problems


def reference_outputs(model, images, ids):
    with torch.no_grad():
        image, image_seconds = timed(lambda: model.encode_image(images))
        text, text_seconds = timed(lambda: model.encode_text(ids))
        wide = copy.deepcopy(model).double()
        image64, text64 = wide.encode_image(images.double()), wide.encode_text(ids)
        del wide
    s, orders = similarity_rankings(image.double(), text.double())
    return {"images": image, "texts": text, "images64": image64, "texts64": text64, "similarities": s, "orders": orders,
            "logit_scale": float(model.logit_scale.exp()),
            "image_seconds": image_seconds, "text_seconds": text_seconds}


def run(loupe, quick, keep):
    started = time.perf_counter()
    open_clip = load_open_clip()
    torch.set_num_threads(2)
    os.makedirs(WORK, exist_ok=True)
    phases = []  # (model, phase, seconds) of the Python side

    photos, seconds = timed(lambda: prepare_photos(WORK))
    (images, transform_error), more = timed(lambda: preprocess(open_clip, photos))
    phases.append(("-", "photos", seconds + more))
    if transform_error is not None:
        print(f"open_clip's Resize(224, bicubic) + CenterCrop(224) on the 224x224 PNGs: max |diff| {transform_error:.1e} "
              "from the plain normalisation")
        if transform_error > 1e-6:
            print("FAIL: open_clip's transform is not the identity on the prepared photos")
            return 1
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    ids = tokenizer(TEXTS)
    tokens = ids.tolist()
    truncated = [len(tokenizer.encode(t)) + 2 > ids.shape[1] for t in TEXTS]
    assert truncated[-1] and ids.shape[1] == 77

    rows, failures, loupe_seconds = [], [], 0.0
    for label, config, activation, seed in FULL[:1] if quick else FULL:
        (model, cfg), seconds = timed(lambda: build_full(open_clip, config, seed))
        phases.append((label, "build + randomise", seconds))
        kind = "resnet" if isinstance(cfg["vision_cfg"]["layers"], (list, tuple)) else "vit"
        stem = os.path.join(WORK, config)
        state = model.state_dict()
        formats = []
        if not quick:
            _, seconds = timed(lambda: torch.save(state, stem + ".bin"))
            phases.append((label, "save .bin", seconds))
            formats.append(("bin", stem + ".bin", model))
        _, seconds = timed(lambda: save_safetensors(state, stem + ".safetensors"))
        phases.append((label, "save .safetensors", seconds))
        formats.append(("safetensors", stem + ".safetensors", model))

        def torchscript():
            scripted = add_openai_buffers(copy.deepcopy(model), cfg["vision_cfg"]["image_size"],
                                          cfg["text_cfg"]["context_length"], cfg["text_cfg"]["vocab_size"])
            traced = trace(scripted, images[:1], ids[:1])
            open_clip.model.convert_weights_to_lp(scripted)  # shared with `traced`: OpenAI's fp16 layout
            # Rounding the weights of a random ResNet shifts what its batch norms see; statistics
            # calibrated before the rounding leave it ill-conditioned (float32 PyTorch 9e-4 from
            # float64 on RN50), so they are calibrated again on the rounded weights, in place
            # (the batch norms stay float32 and are shared with `traced`).
            rounded = copy.deepcopy(scripted).float()
            size = cfg["vision_cfg"]["image_size"]
            calibrate(rounded.visual, torch.randn(4, 3, size, size, generator=torch.Generator().manual_seed(seed + 1)),
                      torch.Generator().manual_seed(seed + 3))
            with torch.no_grad():
                for name, buffer in rounded.named_buffers():
                    if name.startswith("visual.") and ("running_" in name or "num_batches" in name):
                        scripted.get_buffer(name).copy_(buffer)
            torch.jit.save(traced, stem + ".torchscript.pt")
            rounded = copy.deepcopy(scripted).float()  # float32 again, with the float16-rounded values
            archive = torch.jit.load(stem + ".torchscript.pt").state_dict()
            mine = rounded.state_dict()
            assert all(torch.equal(archive[k].float(), mine[k].float()) for k in mine), "archive differs from its reference"
            return rounded, archive
        (rounded, archive), seconds = timed(torchscript)
        phases.append((label, "trace + fp16 + save TorchScript", seconds))
        dtypes = sorted({str(v.dtype).replace("torch.", "") for v in archive.values()})
        extra = [k for k in archive if k not in state]
        print(f"{label} TorchScript: {len(archive)} state-dict entries ({', '.join(dtypes)}); beyond open_clip's: {extra}")
        formats.append(("torchscript fp16", stem + ".torchscript.pt", rounded))

        references = {}
        for name, path, reference_model in formats:
            if id(reference_model) not in references:
                reference, seconds = timed(lambda: reference_outputs(reference_model, images, ids))
                phases.append((label, f"open_clip encode ({name})", seconds))
                reference.update(tokens=tokens, truncated=truncated)
                references[id(reference_model)] = reference
            reference = references[id(reference_model)]
            result, error, seconds = call_loupe(loupe, path, activation, photos, TEXTS)
            loupe_seconds += seconds
            row = [label, name, "-", "-", "-", "-", f"{reference['image_seconds'] * 1000:.0f}",
                   f"{reference['text_seconds'] * 1000:.0f}", f"{seconds:.1f}"]
            if error:
                failures.append(f"{label} {name}: {error}")
                row.append("FAIL")
            else:
                image_error, text_error, tokens_ok, verdict, problems = compare(result, reference, kind, cfg["embed_dim"], photos)
                row[2:6] = [f"{image_error:.1e}", f"{text_error:.1e}", "equal" if tokens_ok else "DIFFERENT", verdict]
                row.append("FAIL" if problems else "ok")
                failures += [f"{label} {name}: {p}" for p in problems]
            rows.append(row)
        if not keep:  # at most one model's files on disk at a time (ViT-B/32: 1.6 GB)
            for _, path, _ in formats:
                os.remove(path)
        del model, rounded, references, formats

    header = ["model", "format", "image err", "text err", "tokens", "ranking", "oc img ms", "oc txt ms", "loupe s", ""]
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print()
    for r in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    print(f"\n(errors: max |Loupe - open_clip| / max |open_clip|, tolerance {TOLERANCE:.0e}; open_clip times for "
          f"{len(photos)} images and {len(TEXTS)} texts on {torch.get_num_threads()} threads)")
    python_seconds = time.perf_counter() - started - loupe_seconds
    print("\nPython side:")
    for model_label, phase, seconds in phases:
        print(f"  {model_label:9s} {phase:34s} {seconds:7.1f} s")
    print(f"  total (without Loupe's {loupe_seconds:.1f} s): {python_seconds:.1f} s")
    if not keep:
        shutil.rmtree(WORK, ignore_errors=True)
    else:
        print(f"kept {os.path.relpath(WORK, ROOT)}")
    for f in failures:
        print("FAIL:", f)
    print(f"{len(rows)} comparisons, {len(failures)} problems")
    return 1 if failures else 0


RANDOM_NOTE = ("RANDOM weights, not a trained CLIP: made with a seed by Scripts/parity/clip.py random for Loupe's "
               "tests. Every prediction, similarity and map this model gives is noise.")


def write_random(out, config):
    """A random-weight CLIP as safetensors with a note saying so, and an open_clip_config.json beside it."""
    open_clip = load_open_clip()
    model, cfg = build_full(open_clip, config, 21)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    save_safetensors(model.state_dict(), out, note=RANDOM_NOTE)
    with open(os.path.join(os.path.dirname(os.path.abspath(out)), "open_clip_config.json"), "w") as f:
        json.dump({"model_cfg": cfg, "note": RANDOM_NOTE}, f, indent=1)
    print(f"wrote {out} ({os.path.getsize(out) / 2**20:.0f} MiB): {config}, random weights")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("fixtures", help="write Tests/LoupeModelsTests/Fixtures/clip/")
    runner = sub.add_parser("run", help="full-size parity against `loupe clip embed`")
    runner.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    runner.add_argument("--quick", action="store_true", help="only ViT-B/32 as safetensors and TorchScript")
    runner.add_argument("--keep", action="store_true", help="keep the files in .parity/clip/")
    maker = sub.add_parser("random", help="write a random-weight CLIP (safetensors, with a note saying so) for notebooks")
    maker.add_argument("--out", default=os.path.join(ROOT, ".parity", "clip-notebook", "ViT-B-32-random.safetensors"))
    maker.add_argument("--config", default="ViT-B-32-quickgelu", help="an open_clip model config name")
    args = parser.parse_args()
    if args.command == "fixtures":
        return write_fixtures()
    if args.command == "random":
        return write_random(args.out, args.config)
    return run(os.path.abspath(args.loupe) if os.sep in args.loupe else args.loupe, args.quick, args.keep)


if __name__ == "__main__":
    sys.exit(main())
