"""Compare the time of `loupe attribute` with Captum 0.7's `attribute` calls, method by method.

For ResNet-18 (torchvision, the seeded random weights of Scripts/parity/models.py) and
EfficientNet-Lite0 (real weights; timm's tf_efficientnet_lite0 in PyTorch, Loupe's own store),
on one photo (dog.jpg, preprocessed to the 224x224 tensor both sides use), every method with
the same parameters on both sides, target = the top-1 class (computed beforehand, passed to
both sides as the target, so neither times an extra forward):

  saliency              Saliency(model).attribute(x, target=t)
  smoothgrad            NoiseTunnel(Saliency(model)).attribute(x, nt_type="smoothgrad",
                        nt_samples=5, stdevs=1.0, target=t); Loupe --samples 5
                        --noise-level 1.0, drawing its own noise (no --noise)
  integrated-gradients  IntegratedGradients(model).attribute(x, baselines=black, target=t,
                        n_steps=50, method="gausslegendre"), all steps in one batch
  gradcam               LayerGradCam(model, layer).attribute(x, target=t,
                        relu_attributions=True); layer4 / timm bn2 (Loupe --layer layer4 / _relu)
  guided-backprop       GuidedBackprop(model).attribute(x, target=t)
  guided-gradcam        GuidedGradCam(model, layer).attribute(x, target=t)
  occlusion             Occlusion(model).attribute(x, sliding_window_shapes=(3,16,16),
                        strides=(3,8,8), baselines=0, target=t) (Captum's default
                        perturbations_per_eval=1: 729 batch-1 forwards; Loupe --window 16
                        --stride 8 --occlusion-value 0)

(Lite0's ReLU6 modules are swapped for a guided-aware subclass of nn.ReLU, as in
Scripts/parity/attribution.py; forward and plain gradients are unchanged.)

Captum: in this process, torch.set_num_threads(2), OPENBLAS_NUM_THREADS=1, model.eval(),
float32; one untimed warm-up call per method, then the median wall time (time.perf_counter)
of --reps calls. Loupe: one `loupe attribute ... --json --repeat REPS` process per method, which
times its first call (oneDNN primitive creation, first touch of buffers) and then REPS warm calls
in the same process and reports their median as `seconds`, the attribution only (after model
loading and preprocessing). Both sides are thus compared warm, like a notebook kernel or a
`loupe render` process that runs several cells. The table gives the first calls too (Captum's:
the first call of that method in this process, after the top-1 forward and earlier methods),
and the ratio Loupe / Captum (below 1: Loupe is faster).

Like the sister scripts, this one tunes glibc's malloc before importing torch (see
ops_vs_torch.py; --malloc-default keeps glibc's defaults), waits up to --idle-wait seconds for
an idle machine before each measurement, and gives the CPU share other processes used while
each side was timed (`other`; '!' above 10%: rerun on an idle machine).

A second table puts the times next to this machine's ceiling: the float32 rate PyTorch's oneDNN
convolution reaches on a large 3x3 convolution in the same run (the peak), each side's achieved
GFLOP/s on the methods whose work is whole forward and input-gradient passes (convolution and
linear multiply-adds counted by hooks), and the floor ratio, Captum's rate / the peak: the lowest
loupe/captum ratio any implementation could reach on this machine.

    swift build -c release --product loupe && \\
        /usr/bin/python3 Scripts/bench/attribution_vs_captum.py [--loupe PATH] [--reps 3]
            [--models resnet18,efficientnet-lite0] [--methods saliency,gradcam,...] [--json OUT]

Needs captum 0.7.0, timm 0.6.13 and the Lite0 weights in .parity/pysite (Scripts/setup-parity.sh).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
from ops_vs_torch import CONTENDED, OtherLoad, cpu_model, is_number, tune_malloc, write_json  # noqa: E402
from models_vs_torch import ChildLoad, run_json_process, wait_for_idle  # noqa: E402

PROG = "attribution_vs_captum"
DEFAULT_LOUPE = str(ROOT / ".build/release/loupe")
IMAGE = "/usr/share/darknet/data/dog.jpg"
MODELS = ["resnet18", "efficientnet-lite0"]
METHODS = ["saliency", "smoothgrad", "integrated-gradients", "gradcam", "guided-backprop",
           "guided-gradcam", "occlusion"]
SAMPLES, SIGMA, STEPS, WINDOW, STRIDE = 5, 1.0, 50, 16, 8


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


def loupe_args(method, layer):
    return {"saliency": [],
            "smoothgrad": ["--samples", str(SAMPLES), "--noise-level", f"{SIGMA:g}"],
            "integrated-gradients": ["--steps", str(STEPS), "--integration", "gausslegendre",
                                     "--baseline", "black"],
            "gradcam": ["--layer", layer],
            "guided-backprop": [],
            "guided-gradcam": ["--layer", layer],
            "occlusion": ["--window", str(WINDOW), "--stride", str(STRIDE), "--occlusion-value", "0"]}[method]


def captum_call(method, model, x, target, layer, black):
    from captum.attr import (GuidedBackprop, GuidedGradCam, IntegratedGradients, LayerGradCam,
                             NoiseTunnel, Occlusion, Saliency)
    return {"saliency": lambda: Saliency(model).attribute(x, target=target),
            "smoothgrad": lambda: NoiseTunnel(Saliency(model)).attribute(
                x, nt_type="smoothgrad", nt_samples=SAMPLES, stdevs=SIGMA, target=target),
            "integrated-gradients": lambda: IntegratedGradients(model).attribute(
                x, baselines=black, target=target, n_steps=STEPS, method="gausslegendre"),
            "gradcam": lambda: LayerGradCam(model, layer).attribute(x, target=target, relu_attributions=True),
            "guided-backprop": lambda: GuidedBackprop(model).attribute(x, target=target),
            "guided-gradcam": lambda: GuidedGradCam(model, layer).attribute(x, target=target),
            "occlusion": lambda: Occlusion(model).attribute(
                x, sliding_window_shapes=(3, WINDOW, WINDOW), strides=(3, STRIDE, STRIDE),
                baselines=0, target=target)}[method]


def time_captum(fn, reps):
    """(median of reps calls after one warm-up call, other share, the warm-up call's time)."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    times, load = [], OtherLoad()
    load.start()
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), load.stop(), first


def time_loupe(argv, reps, what):
    """(median of reps warm calls, other share, the JSON): one process, `--repeat reps`."""
    load = ChildLoad()
    load.start()
    data, _ = run_json_process([*argv, "--repeat", str(reps)], what)
    other = load.stop()
    for key in ("seconds", "first_call_seconds"):
        if not isinstance(data, dict) or not is_number(data.get(key)) or data[key] <= 0:
            fail(f"{what}: the JSON has no positive '{key}'")
    if data.get("warm_calls") != reps:
        fail(f"{what}: Loupe timed {data.get('warm_calls')} warm calls, not {reps}")
    return data["seconds"], other, data


# Methods whose work is whole forward passes plus whole input-gradient passes, and how many
# images each pushes through the network (SmoothGrad: its noisy copies; IG: its steps).
GRADIENT_IMAGES = {"saliency": 1, "smoothgrad": SAMPLES, "integrated-gradients": STEPS, "guided-backprop": 1}
# Methods that are mostly forward passes, in forward passes of one image (a forward is half of
# a forward + input gradient): Grad-CAM's gradient stops at the last feature map, Guided
# Grad-CAM adds guided backpropagation, occlusion runs one forward per window and the original.
WINDOWS = ((224 - WINDOW) // STRIDE + 1) ** 2
FORWARD_IMAGES = {"gradcam": 1, "guided-gradcam": 3, "occlusion": WINDOWS + 1}


def gradient_gflop(torch, model):
    """GFLOP of one forward pass plus one input-gradient pass of one 224x224 image: 2 FLOP per
    multiply-add of every convolution and linear layer, counted by forward hooks, times two (the
    gradient with respect to a layer's input costs what its forward does). Elementwise work is
    left out, so the figure is a floor."""
    macs = []

    def hook(module, _inputs, output):
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            macs.append(output.numel() * (module.in_channels // module.groups) * kh * kw)
        else:
            macs.append(module.in_features * module.out_features)

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, 224, 224))
    finally:
        for h in handles:
            h.remove()
    return 2 * 2 * sum(macs) / 1e9


def machine_peak(torch, reps=5):
    """The float32 rate this machine reaches on work that suits it best, in this run: PyTorch's
    oneDNN convolution of 8x256x56x56 by 256 3x3 filters (115.6 GFLOP), best of `reps`, GFLOP/s."""
    x, w = torch.randn(8, 256, 56, 56), torch.randn(256, 256, 3, 3)
    flop = 2 * 8 * 256 * 256 * 9 * 56 * 56
    best = float("inf")
    with torch.no_grad():
        torch.nn.functional.conv2d(x, w, padding=1)
        for _ in range(reps):
            start = time.perf_counter()
            torch.nn.functional.conv2d(x, w, padding=1)
            best = min(best, time.perf_counter() - start)
    return flop / best / 1e9


def print_ceiling(rows, meta):
    """Achieved GFLOP/s of each side for the whole-gradient methods, and the lowest ratio any
    implementation could reach if it ran at the machine's peak while Captum keeps its time."""
    peak = meta.get("peak_gflops")
    if not peak:
        return
    print(f"\nCeiling: this machine's float32 peak in this run, {peak:.0f} GFLOP/s (oneDNN 3x3 convolution, "
          f"{meta['threads']} threads). Work = the forward and input-gradient passes each method makes (Grad-CAM: "
          f"one forward; Guided Grad-CAM: three; occlusion: one per window and the original), 2 FLOP per "
          f"multiply-add of every convolution and linear layer; achieved = work / time, and the goal where "
          f"Captum is near the peak is Loupe at >= 75 % of it.")
    print(f"{'model':20s} {'method':22s} {'GFLOP':>7s} {'captum GFLOP/s':>14s} {'loupe GFLOP/s':>13s} {'of peak':>7s} {'floor ratio':>11s}")
    for r in rows:
        if "gflop" not in r:
            continue
        captum_rate, loupe_rate = r["gflop"] / r["captum_seconds"], r["gflop"] / r["loupe_seconds"]
        print(f"{r['model']:20s} {r['method']:22s} {r['gflop']:7.1f} {captum_rate:14.0f} {loupe_rate:13.0f} "
              f"{100 * loupe_rate / peak:6.0f}% {captum_rate / peak:11.2f}")
    print("floor ratio = (time at peak) / Captum's time: no implementation can be faster than this ratio here.")


def load_cell(load):
    if load is None:
        return "   ?"
    return f"{100 * load:3.0f}%" + ("!" if load > CONTENDED else " ")


def print_report(rows, meta):
    print(f"Attribution time, Loupe vs Captum {meta['captum_version']} (torch {meta['torch_version']}, "
          f"{meta['threads']} threads), {Path(IMAGE).name} at 224x224, median of {meta['reps']}; "
          f"{meta['cpu_model']}")
    print(f"{'model':20s} {'method':22s} {'captum s':>9s} {'other':>5s} {'(1st call)':>10s} {'loupe s':>9s} "
          f"{'other':>5s} {'(1st call)':>10s} {'loupe/captum':>12s}")
    for r in rows:
        print(f"{r['model']:20s} {r['method']:22s} {r['captum_seconds']:9.4f} {load_cell(r['captum_other_cpu_load'])} "
              f"{r['captum_first_call_seconds']:10.4f} {r['loupe_seconds']:9.4f} {load_cell(r['loupe_other_cpu_load'])} "
              f"{r['loupe_first_call_seconds']:10.4f} {r['ratio']:12.2f}")
    for model in dict.fromkeys(r["model"] for r in rows):
        ratios = [r["ratio"] for r in rows if r["model"] == model]
        print(f"{model}: geometric-mean ratio {statistics.geometric_mean(ratios):.2f} over {len(ratios)} methods")
    contended = [f"{r['model']} {r['method']}" for r in rows
                 if any(v is not None and v > CONTENDED for v in (r["captum_other_cpu_load"], r["loupe_other_cpu_load"]))]
    if contended:
        print(f"WARNING: other processes used > {100 * CONTENDED:.0f}% of the CPUs while timing "
              f"{', '.join(contended)}; rerun on an idle machine.")


def main(argv=None):
    p = argparse.ArgumentParser(prog=PROG, description="Compare `loupe attribute` times with Captum's.")
    p.add_argument("--loupe", metavar="PATH", default=DEFAULT_LOUPE,
                   help="the loupe binary (default .build/release/loupe in the repository)")
    p.add_argument("--reps", type=int, default=3, help="timed calls per side and method (default 3)")
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated subset of {','.join(MODELS)}")
    p.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {','.join(METHODS)}")
    p.add_argument("--json", metavar="OUT", help="also write all numbers to OUT")
    p.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    p.add_argument("--malloc-default", action="store_true", help="keep glibc's malloc defaults")
    p.add_argument("--idle-wait", type=float, default=120,
                   help="seconds to wait for an idle machine before each measurement (default 120)")
    args = p.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    if args.reps < 1 or args.threads < 1:
        p.error("--reps and --threads must be >= 1")
    if not set(models) <= set(MODELS) or not models:
        p.error(f"--models: choose from {', '.join(MODELS)}")
    if not set(methods) <= set(METHODS) or not methods:
        p.error(f"--methods: choose from {', '.join(METHODS)}")
    loupe = os.path.abspath(args.loupe)
    if not os.access(loupe, os.X_OK):
        fail(f"{loupe} is not executable; run `swift build -c release --product loupe` first")

    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    malloc_tuned = False if args.malloc_default else tune_malloc()
    sys.path.insert(0, str(ROOT / "Scripts/parity"))
    import attribution  # the parity script: models, preprocessing, the ReLU6 swap
    import captum
    import torch
    from PIL import Image
    attribution.quiet_captum()
    torch.set_num_threads(args.threads)
    if "efficientnet-lite0" in models:
        attribution.ensure_loupe_model(loupe)

    rows = []
    with tempfile.TemporaryDirectory(prefix="loupe-attr-bench-") as d:
        specs = {("efficientnet-lite0" if name == "efficientnet_lite0" else name): spec
                 for name, *spec in attribution.model_specs(d)}
        for name in models:
            model, mean_std, layer_name, loupe_layer, model_args = specs[name]
            layer = model.get_submodule(layer_name)
            model_args = [str(Path(d) / a) if a.endswith(".pth") else a for a in model_args]
            x = attribution.preprocess(mean_std)(Image.open(IMAGE).convert("RGB")).unsqueeze(0).contiguous()
            with torch.no_grad():
                target = int(model(x)[0].argmax())
            mean, std = (torch.tensor(v).view(1, 3, 1, 1) for v in mean_std)
            black = ((torch.zeros_like(x) - mean) / std).contiguous()
            per_image = gradient_gflop(torch, model)
            for method in methods:
                what = f"{name} {method}"
                wait_for_idle(args.idle_wait, f"Captum {what}")
                captum_s, captum_load, captum_first = time_captum(captum_call(method, model, x, target, layer, black), args.reps)
                argv = [loupe, "attribute", *model_args, "--image", IMAGE, "--method", method,
                        "--target", str(target), *loupe_args(method, loupe_layer), "--json"]
                wait_for_idle(args.idle_wait, f"Loupe {what}")
                loupe_s, loupe_load, info = time_loupe(argv, args.reps, f"loupe attribute ({what})")
                if info.get("target_index") != target:
                    fail(f"{what}: Loupe's target_index {info.get('target_index')} is not {target}")
                rows.append({"model": name, "method": method, "target": target,
                             "captum_seconds": captum_s, "captum_first_call_seconds": captum_first,
                             "loupe_seconds": loupe_s, "loupe_first_call_seconds": info["first_call_seconds"],
                             "ratio": loupe_s / captum_s,
                             "captum_other_cpu_load": captum_load, "loupe_other_cpu_load": loupe_load,
                             "loupe_args": argv[2:]})
                if method in GRADIENT_IMAGES:
                    rows[-1]["gflop"] = per_image * GRADIENT_IMAGES[method]
                elif method in FORWARD_IMAGES:
                    rows[-1]["gflop"] = per_image / 2 * FORWARD_IMAGES[method]
                print(f"{PROG}: {what}: captum {captum_s:.4f} s, loupe {loupe_s:.4f} s", file=sys.stderr)
    wait_for_idle(args.idle_wait, "the machine's peak")
    meta = {"peak_gflops": machine_peak(torch), "torch_version": torch.__version__, "captum_version": captum.__version__, "threads": args.threads,
            "reps": args.reps, "malloc_tuned": malloc_tuned, "cpu_model": cpu_model(), "image": IMAGE,
            "generator": "Scripts/bench/attribution_vs_captum.py"}
    print_report(rows, meta)
    print_ceiling(rows, meta)
    if args.json:
        write_json(args.json, {**meta, "rows": rows})


if __name__ == "__main__":
    main()
