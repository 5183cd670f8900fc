"""Compare Loupe's convolution throughput with PyTorch's on this machine.

`loupe bench ops --json` prints, for a list of convolution shapes, the GFLOP/s
Loupe achieves for the forward convolution and for the backward-data
(input-gradient) convolution, plus the machine's measured peak GFLOP/s:

    {"peak_gflops": 150.2,
     "convs": [{"n": 1, "c_in": 64, "c_out": 64, "h": 56, "w": 56, "k": 3,
                "stride": 1, "groups": 1, "padding": 1,
                "forward_gflops": 120.5, "backward_data_gflops": 98.1}, ...]}

(`padding` is symmetric and optional, default k//2.) This script reads that
JSON, times exactly the same shapes in PyTorch in the same run (float32, CPU,
`--threads` intra-op threads, default 2), and prints a table of both numbers,
the ratio Loupe time / PyTorch time (= PyTorch GFLOP/s / Loupe GFLOP/s; below
1 means Loupe is faster) and Loupe's forward GFLOP/s as a % of the peak,
followed by a summary (geometric-mean ratios, worst ratios, how many shapes
Loupe loses, best forward % of peak over shapes of >= 1 GFLOP per call).

FLOPs per call, for forward and backward-data alike:
    2 * N * C_out * OH * OW * (C_in / groups) * k * k

PyTorch is timed eval-style: x = randn(n, c_in, h, w), weight =
randn(c_out, c_in/groups, k, k), no bias. Forward is F.conv2d under
torch.no_grad(); backward-data computes only the gradient with respect to the
input (see `backward_data_call`). Each measurement warms up, then takes the
median of as many timed calls (time.perf_counter) as cover --min-time seconds
(default 0.3), and at least 3.

Run from the repository root with Debian's Python (which has torch):

    swift build -c release && \\
        /usr/bin/python3 Scripts/bench/ops_vs_torch.py \\
            --loupe ".build/release/loupe bench ops --json"

or from saved output:

    .build/release/loupe bench ops --json > /tmp/loupe.json
    /usr/bin/python3 Scripts/bench/ops_vs_torch.py --loupe-json /tmp/loupe.json

`--json OUT` also writes the merged numbers, the summary, the torch version,
thread count and CPU model to OUT. The Loupe command is split with shlex (no
shell), runs before any PyTorch timing, and its stderr passes through.
Two things distort PyTorch's numbers on a small VM, and the script deals
with both:

* Other busy processes. With 2 OpenMP threads on 2 cores, anything else
  running makes a PyTorch call 10-30x slower (a barrier waits for whichever
  thread got descheduled). The `other` column gives the CPU share others used
  while each row was timed and flags rows above 10%; rerun on an idle machine.
* Page faults. PyTorch allocates every output (and oneDNN blocked-layout
  temporaries) afresh per call. With glibc's default, dynamic mmap threshold,
  buffers above 128 KiB are mmap'ed and freed each call, so every call faults
  in and zeroes them: a 1x144x56x56 depthwise conv went from 0.3 ms to 3 ms,
  and the result depended on which shapes ran before. So by default the
  script calls mallopt (M_MMAP_MAX=0, M_TRIM_THRESHOLD=max) in its own process
  before importing torch, which keeps freed memory for reuse; pass
  --malloc-default to measure with glibc's defaults. (Loupe's command runs in
  its own process and is not affected.) Faults per call are in the --json
  output.
"""

import argparse
import json
import math
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import time

PROG = "ops_vs_torch"
CONTENDED = 0.10  # other processes' share of the CPUs above which a row is flagged
GENERATOR = "Scripts/bench/ops_vs_torch.py"
SHAPE_INT_FIELDS = ("n", "c_in", "c_out", "h", "w", "k", "stride", "groups")


class InputError(Exception):
    """A problem with the Loupe side: the command or its JSON."""


def fail(message):
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------- Loupe input

def read_loupe_command(command):
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise InputError(f"cannot parse --loupe command: {e}")
    if not argv:
        raise InputError("--loupe command is empty")
    try:
        # stderr is inherited, so Loupe's diagnostics pass straight through.
        proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=None)
    except OSError as e:
        raise InputError(f"cannot run {argv[0]!r}: {e.strerror or e}")
    if proc.returncode != 0:
        if proc.returncode < 0:
            raise InputError(f"loupe command killed by signal {-proc.returncode}: {command}")
        raise InputError(f"loupe command exited with status {proc.returncode}: {command}")
    return proc.stdout.decode("utf-8", errors="replace"), f"command: {command}"


def read_loupe_file(path):
    try:
        if path == "-":
            return sys.stdin.read(), "stdin"
        with open(path, encoding="utf-8") as f:
            return f.read(), f"file: {path}"
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}")


def write_json(path, data):
    """Writes `data` as indented JSON with a final newline (raises OSError)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
        f.write("\n")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def out_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def parse_loupe(text):
    """Validate Loupe's JSON.

    Returns (peak_gflops, normalised convs, Loupe's other top-level fields,
    e.g. threads, peak_kernel, dispatch_microseconds).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(f"Loupe output is not valid JSON ({e})")
    if not isinstance(data, dict):
        raise InputError("Loupe JSON must be an object")
    peak = data.get("peak_gflops")
    if not is_number(peak) or peak <= 0:
        raise InputError("Loupe JSON: 'peak_gflops' must be a positive number")
    convs = data.get("convs")
    if not isinstance(convs, list) or not convs:
        raise InputError("Loupe JSON: 'convs' must be a non-empty list")

    out = []
    for i, c in enumerate(convs):
        where = f"Loupe JSON: convs[{i}]"
        if not isinstance(c, dict):
            raise InputError(f"{where} must be an object")
        for key in SHAPE_INT_FIELDS:
            if not is_int(c.get(key)) or c[key] < 1:
                raise InputError(f"{where}: '{key}' must be a positive integer")
        padding = c.get("padding", c["k"] // 2)
        if not is_int(padding) or padding < 0:
            raise InputError(f"{where}: 'padding' must be a non-negative integer")
        if c["c_in"] % c["groups"] or c["c_out"] % c["groups"]:
            raise InputError(f"{where}: c_in and c_out must be divisible by groups")
        oh = out_size(c["h"], c["k"], c["stride"], padding)
        ow = out_size(c["w"], c["k"], c["stride"], padding)
        if oh < 1 or ow < 1:
            raise InputError(f"{where}: empty output for this k/stride/padding")
        for key in ("forward_gflops", "backward_data_gflops"):
            if not is_number(c.get(key)) or c[key] <= 0:
                raise InputError(f"{where}: '{key}' must be a positive number")
        conv = dict(c)  # keep any extra fields Loupe reports
        conv["padding"] = padding
        conv["oh"], conv["ow"] = oh, ow
        conv["gflop_per_call"] = (2 * c["n"] * c["c_out"] * oh * ow
                                  * (c["c_in"] // c["groups"]) * c["k"] * c["k"]) / 1e9
        out.append(conv)
    extras = {k: v for k, v in data.items() if k not in ("peak_gflops", "convs")}
    return float(peak), out, extras


# ---------------------------------------------------------------- PyTorch timing

def time_median(fn, min_time, warmup, min_reps, setup=None):
    """(median, min, count, minor page faults per call) of fn()'s wall times.

    Repeats until at least `min_reps` calls and `min_time` seconds of timed
    calls, after `warmup` untimed calls. setup(), if given, runs before every
    call outside the timed region (its page faults are counted, though).
    Page faults matter: a freshly mmap'ed output is faulted in and zeroed by
    the kernel on every call, which is costly on a VM.
    """
    for _ in range(warmup):
        if setup is not None:
            setup()
        fn()
    times = []
    total = 0.0
    faults0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    while len(times) < min_reps or total < min_time:
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt)
        total += dt
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults0
    return statistics.median(times), min(times), len(times), faults / len(times)


def backward_data_call(torch, F, x, weight, grad_output, stride, padding, groups, via):
    """Return (fn, setup) timing the input gradient of conv2d, and nothing else.

    Default "aten": call aten::convolution_backward with output_mask
    (True, False, False) on the real input. That is exactly the call
    autograd's ConvolutionBackward0 makes for torch.autograd.grad(y, x, g)
    when the weight does not require grad (so only grad_input is computed,
    no grad_weight or grad_bias), minus the autograd engine around it.
    The alternatives are kept for cross-checking:
      "autograd": x.requires_grad_(True); y = F.conv2d(...) built once per
                  repetition in untimed setup; time torch.autograd.grad(y, x, g).
                  Adds the engine's per-call overhead (matters for tiny shapes).
      "conv2d_input": torch.nn.grad.conv2d_input. Not kernel-only in torch
                  1.13: it passes a zero-stride expanded dummy input, which
                  convolution_backward clones into a full input-sized tensor
                  (allocation + copy) on every call.
    """
    aten_stride, aten_padding = [stride, stride], [padding, padding]
    if via == "aten":
        op = torch.ops.aten.convolution_backward

        def fn():
            return op(grad_output, x, weight, None, aten_stride, aten_padding,
                      [1, 1], False, [0, 0], groups, (True, False, False))[0]
        return fn, None
    if via == "autograd":
        state = {}

        def setup():
            xg = x.detach().requires_grad_(True)
            state["x"] = xg
            state["y"] = F.conv2d(xg, weight, None, stride, padding, 1, groups)

        def fn():
            return torch.autograd.grad(state["y"], state["x"], grad_output)[0]
        return fn, setup
    if via == "conv2d_input":
        shape = x.shape

        def fn():
            return torch.nn.grad.conv2d_input(shape, weight, grad_output,
                                              stride, padding, 1, groups)
        return fn, None
    raise ValueError(via)


def time_torch_conv(torch, F, conv, args):
    n, c_in, c_out = conv["n"], conv["c_in"], conv["c_out"]
    h, w, k, stride = conv["h"], conv["w"], conv["k"], conv["stride"]
    groups, padding = conv["groups"], conv["padding"]
    torch.manual_seed(0)
    x = torch.randn(n, c_in, h, w, dtype=torch.float32)
    weight = torch.randn(c_out, c_in // groups, k, k, dtype=torch.float32)  # never requires grad
    grad_output = torch.randn(n, c_out, conv["oh"], conv["ow"], dtype=torch.float32)

    with torch.no_grad():
        fwd = time_median(
            lambda: F.conv2d(x, weight, None, stride, padding, 1, groups),
            args.min_time, args.warmup, args.min_reps)

    fn, setup = backward_data_call(torch, F, x, weight, grad_output, stride,
                                   padding, groups, args.bwd_via)
    bwd = time_median(fn, args.min_time, args.warmup, args.min_reps, setup)
    return fwd, bwd


# ---------------------------------------------------------------- report

def shape_label(c):
    pad = "" if c["padding"] == c["k"] // 2 else f" p{c['padding']}"
    return (f"n{c['n']} {c['c_in']}\u2192{c['c_out']} {c['h']}\u00d7{c['w']} "
            f"k{c['k']}{pad} s{c['stride']} g{c['groups']}")


def load_cell(load):
    if load is None:
        return f"{'?':>5}"
    return f"{100 * load:>4.0f}%" + ("!" if load > CONTENDED else "")


def geomean(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))


def summarise(rows):
    summary = {}
    for key, name in (("forward", "forward"), ("backward_data", "backward_data")):
        ratios = [r[f"{key}_ratio"] for r in rows]
        worst = max(rows, key=lambda r: r[f"{key}_ratio"])
        summary[f"{name}_geomean_ratio"] = geomean(ratios)
        summary[f"{name}_worst_ratio"] = worst[f"{key}_ratio"]
        summary[f"{name}_worst_shape"] = worst["shape"]
        summary[f"{name}_loupe_slower_count"] = sum(1 for v in ratios if v > 1)
    big = [r for r in rows if r["gflop_per_call"] >= 1.0]
    if big:
        best = max(big, key=lambda r: r["loupe_forward_pct_of_peak"])
        summary["best_forward_pct_of_peak_ge_1gflop"] = best["loupe_forward_pct_of_peak"]
        summary["best_forward_pct_of_peak_ge_1gflop_shape"] = best["shape"]
    else:
        summary["best_forward_pct_of_peak_ge_1gflop"] = None
        summary["best_forward_pct_of_peak_ge_1gflop_shape"] = None
    summary["shape_count"] = len(rows)
    loads = [r["other_cpu_load"] for r in rows if r["other_cpu_load"] is not None]
    summary["max_other_cpu_load"] = max(loads) if loads else None
    summary["contended_shape_count"] = sum(1 for v in loads if v > CONTENDED)
    return summary


def print_report(rows, summary, peak, meta):
    loupe_threads = meta["loupe_threads"]
    print(f"Loupe vs PyTorch {meta['torch_version']} convolutions, float32, "
          f"PyTorch {meta['threads']} thread(s)"
          + (f", Loupe {loupe_threads}" if loupe_threads is not None else "")
          + f", {meta['cpu_model']}")
    if is_int(loupe_threads) and loupe_threads != meta["threads"]:
        print(f"WARNING: Loupe reports {loupe_threads} thread(s) but PyTorch ran with "
              f"{meta['threads']}; pass --threads {loupe_threads} for a like-for-like comparison")
    print(f"Loupe peak {peak:.1f} GFLOP/s; ratio = Loupe time / PyTorch time "
          f"(< 1: Loupe faster)")
    print(f"PyTorch backward-data via {meta['backward_data_via']}; malloc "
          f"{'tuned (no per-call page faults)' if meta['malloc_tuned'] else 'glibc defaults'}")
    print()
    sw = max(len("shape"), max(len(r["shape"]) for r in rows))
    head = (f"{'shape':<{sw}}  {'GFLOP':>6}  {'fwd L':>7} {'fwd PT':>7} {'ratio':>6}  "
            f"{'bwd L':>7} {'bwd PT':>7} {'ratio':>6}  {'L %pk':>6}  {'other':>5}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['shape']:<{sw}}  {r['gflop_per_call']:>6.3f}  "
              f"{r['loupe_forward_gflops']:>7.1f} {r['torch_forward_gflops']:>7.1f} "
              f"{r['forward_ratio']:>6.2f}  "
              f"{r['loupe_backward_data_gflops']:>7.1f} {r['torch_backward_data_gflops']:>7.1f} "
              f"{r['backward_data_ratio']:>6.2f}  {r['loupe_forward_pct_of_peak']:>5.1f}%  "
              f"{load_cell(r['other_cpu_load'])}")
    print("(GFLOP/s except GFLOP = work per call; L = Loupe, PT = PyTorch, "
          "%pk = Loupe fwd as % of peak;")
    print(f" other = CPU share used by other processes while PyTorch was timed, "
          f"'!' above {100 * CONTENDED:.0f}%)")
    print()
    s = summary
    n = s["shape_count"]
    print(f"geomean ratio      fwd {s['forward_geomean_ratio']:.2f}   "
          f"bwd-data {s['backward_data_geomean_ratio']:.2f}")
    print(f"worst ratio        fwd {s['forward_worst_ratio']:.2f} ({s['forward_worst_shape']})   "
          f"bwd-data {s['backward_data_worst_ratio']:.2f} ({s['backward_data_worst_shape']})")
    print(f"Loupe slower on    fwd {s['forward_loupe_slower_count']}/{n}   "
          f"bwd-data {s['backward_data_loupe_slower_count']}/{n} shapes")
    if s["best_forward_pct_of_peak_ge_1gflop"] is None:
        print("best Loupe fwd % of peak (>= 1 GFLOP/call): n/a (no such shape)")
    else:
        print(f"best Loupe fwd % of peak (>= 1 GFLOP/call): "
              f"{s['best_forward_pct_of_peak_ge_1gflop']:.1f}% "
              f"({s['best_forward_pct_of_peak_ge_1gflop_shape']})")
    if s["contended_shape_count"]:
        print(f"WARNING: {s['contended_shape_count']}/{n} shapes were timed while other "
              f"processes used > {100 * CONTENDED:.0f}% of the CPUs; their PyTorch numbers "
              "are too low. Rerun on an idle machine.")


def tune_malloc():
    """Stop glibc returning big buffers to the kernel between calls.

    Returns True on success (glibc only). M_MMAP_MAX=0 serves every
    allocation from the heap; M_TRIM_THRESHOLD=max never trims it, so a
    buffer freed by one call is reused, already faulted in, by the next.
    """
    import ctypes
    M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_MAX, 0)) and bool(mallopt(M_TRIM_THRESHOLD, 2**31 - 1))


class OtherLoad:
    """CPU time used by *other* processes while we time, as a fraction of all CPUs.

    Multi-threaded timings collapse when anything else runs: an OpenMP barrier
    waits for whichever of our threads got descheduled (on a 2-core VM,
    PyTorch's 1 ms convolutions became ~30 ms). So every row records it.
    """

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.ncpu = os.cpu_count() or 1

    @staticmethod
    def _busy_ticks():
        with open("/proc/stat", encoding="ascii") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal: busy = all but idle+iowait
        # (hypervisor steal counts as "other": it takes cores from us just the same)
        return sum(fields[:8]) - fields[3] - fields[4]

    def start(self):
        try:
            self._t0 = (time.perf_counter(), self._busy_ticks(), time.process_time())
        except (OSError, ValueError, IndexError):
            self._t0 = None

    def stop(self):
        """Fraction in [0, 1] of the machine used by others since start(), or None."""
        if self._t0 is None:
            return None
        try:
            wall1, busy1, own1 = time.perf_counter(), self._busy_ticks(), time.process_time()
        except (OSError, ValueError, IndexError):
            return None
        wall0, busy0, own0 = self._t0
        if wall1 - wall0 <= 0:
            return None
        others = (busy1 - busy0) / self.hz - (own1 - own0)
        return min(1.0, max(0.0, others / ((wall1 - wall0) * self.ncpu)))


def cpu_model():
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


# ---------------------------------------------------------------- main

def main(argv=None):
    p = argparse.ArgumentParser(
        prog=PROG, description="Compare `loupe bench ops --json` convolution "
        "GFLOP/s with PyTorch on the same shapes.")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--loupe", metavar="CMD",
                     help='command printing Loupe\'s JSON, e.g. ".build/release/loupe bench ops --json"')
    src.add_argument("--loupe-json", metavar="FILE",
                     help="file holding Loupe's JSON ('-' for stdin)")
    p.add_argument("--threads", type=int, default=2,
                   help="torch.set_num_threads for PyTorch (default 2)")
    p.add_argument("--json", metavar="OUT", help="also write the merged data to OUT")
    p.add_argument("--min-time", type=float, default=0.3,
                   help="seconds of timed calls per measurement (default 0.3)")
    p.add_argument("--min-reps", type=int, default=3,
                   help="minimum timed calls per measurement (default 3)")
    p.add_argument("--warmup", type=int, default=2,
                   help="untimed calls before each measurement (default 2)")
    p.add_argument("--malloc-default", action="store_true",
                   help="keep glibc's malloc defaults for PyTorch (per-call page "
                        "faults on large outputs are then part of its timings)")
    p.add_argument("--bwd-via", choices=("aten", "autograd", "conv2d_input"), default="aten",
                   help="how PyTorch's backward-data is invoked (default aten; "
                        "see backward_data_call)")
    args = p.parse_args(argv)
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.min_reps < 3:
        p.error("--min-reps must be >= 3")
    if args.warmup < 2:
        p.error("--warmup must be >= 2")
    if args.min_time < 0:
        p.error("--min-time must be >= 0")

    if args.json:
        out_dir = os.path.dirname(os.path.abspath(args.json))
        if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
            fail(f"cannot write {args.json}: directory {out_dir} is missing or not writable")

    try:
        if args.loupe is not None:
            text, source = read_loupe_command(args.loupe)
        else:
            text, source = read_loupe_file(args.loupe_json)
        peak, convs, loupe_meta = parse_loupe(text)
    except InputError as e:
        fail(str(e))

    malloc_tuned = False if args.malloc_default else tune_malloc()
    if not args.malloc_default and not malloc_tuned:
        print(f"{PROG}: warning: could not tune malloc (not glibc?); PyTorch timings "
              "may include per-call page faults", file=sys.stderr)

    try:
        import torch
        import torch.nn.functional as F
    except ImportError as e:
        fail(f"cannot import torch ({e}); run with Debian's /usr/bin/python3")
    torch.set_num_threads(args.threads)
    threads = torch.get_num_threads()

    rows = []
    load = OtherLoad()
    tty = sys.stderr.isatty()
    for i, conv in enumerate(convs):
        label = shape_label(conv)
        if tty:
            print(f"\rtiming PyTorch {i + 1}/{len(convs)}: {label:<50}",
                  end="", file=sys.stderr, flush=True)
        load.start()
        fwd, bwd = time_torch_conv(torch, F, conv, args)
        (fwd_s, fwd_min, fwd_reps, fwd_faults), (bwd_s, bwd_min, bwd_reps, bwd_faults) = fwd, bwd
        other = load.stop()
        gflop = conv["gflop_per_call"]
        torch_fwd = gflop / fwd_s
        torch_bwd = gflop / bwd_s
        row = {k: v for k, v in conv.items()
               if k not in ("forward_gflops", "backward_data_gflops")}
        row.update({
            "shape": label,
            "loupe_forward_gflops": conv["forward_gflops"],
            "loupe_backward_data_gflops": conv["backward_data_gflops"],
            "loupe_forward_pct_of_peak": 100.0 * conv["forward_gflops"] / peak,
            "torch_forward_gflops": torch_fwd,
            "torch_backward_data_gflops": torch_bwd,
            "torch_forward_ms": fwd_s * 1e3,
            "torch_backward_data_ms": bwd_s * 1e3,
            "torch_forward_min_ms": fwd_min * 1e3,
            "torch_backward_data_min_ms": bwd_min * 1e3,
            "torch_forward_reps": fwd_reps,
            "torch_backward_data_reps": bwd_reps,
            "torch_forward_page_faults_per_call": fwd_faults,
            "torch_backward_data_page_faults_per_call": bwd_faults,
            "other_cpu_load": other,
            # Loupe time / PyTorch time for the same FLOPs.
            "forward_ratio": torch_fwd / conv["forward_gflops"],
            "backward_data_ratio": torch_bwd / conv["backward_data_gflops"],
        })
        rows.append(row)
    if tty:
        print("\r" + " " * 80 + "\r", end="", file=sys.stderr, flush=True)

    summary = summarise(rows)
    meta = {
        "torch_version": torch.__version__,
        "threads": threads,
        "cpu_model": cpu_model(),
        "backward_data_via": args.bwd_via,
        "malloc_tuned": malloc_tuned,
        "loupe_threads": loupe_meta.get("threads"),
    }
    print_report(rows, summary, peak, meta)

    if args.json:
        merged = {
            "generator": GENERATOR,
            "loupe_source": source,
            "peak_gflops": peak,
            "loupe_meta": loupe_meta,
            **meta,
            "logical_cpus": os.cpu_count(),
            "mkldnn_enabled": bool(torch.backends.mkldnn.is_available()
                                   and torch.backends.mkldnn.enabled),
            "timing": {"min_time_s": args.min_time, "min_reps": args.min_reps,
                       "warmup": args.warmup, "statistic": "median"},
            "flop_formula": "2*n*c_out*oh*ow*(c_in/groups)*k*k",
            "convs": rows,
            "summary": summary,
        }
        try:
            write_json(args.json, merged)
        except OSError as e:
            fail(f"cannot write {args.json}: {e}")


if __name__ == "__main__":
    main()
