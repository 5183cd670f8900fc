#!/usr/bin/env python3
"""Time the lecture in Loupe next to the Jupyter + PyTorch anchor, in the same run, as ratios.

    swift build -c release --product loupe && \\
        /usr/bin/python3 Scripts/bench/lecture_vs_jupyter.py [--reps 3] [--anchor DIR]
            [--loupe PATH] [--isa best --isa AVX2] [--skip-jupyter RUNS_DIR] [--json OUT]

Three measurements, each the median of --reps repetitions:

  jupyter   ../shared/anchors/jupyter/run.sh (or --anchor DIR/run.sh) with REPS=--reps: the
            lecture's 13 cells in Jupyter with PyTorch, tf_efficientnet_lite0 (real weights).
            A = cold render (new nbconvert process and kernel, execute and export to HTML);
            B = re-render with eagle.jpg (papermill re-run + nbconvert export).
  anchor    `loupe bench render Scripts/bench/lecture-anchor.md`: the same 13 cells as Loupe
            directives (same model, photos, 224x224 squash, 100 pixel Adam steps on flamingo,
            20 dream steps on the same block). This row is the like-for-like ratio.
  lecture   `loupe bench render Notebooks/lecture.md`: the whole Loupe lecture (24 cells,
            including a third photo, Grad-CAM exercises, dataset examples, three
            visualisations and ablation, which the Jupyter lecture does not run), for scale.

For Loupe, cold = a new `loupe render` process with an empty cell cache; re-render = a new
process after `--set photo=eagle.jpg`, reusing the cell cache (cells that do not read the photo
are not run again; Jupyter has no such cache, so B re-runs everything). Peak RSS is the largest
process of each (the Jupyter kernel; the `loupe render` process).

Each measurement is taken once per --isa: `best` lets oneDNN use everything the CPU has; a name
(AVX2, AVX512_CORE, SSE41) sets ONEDNN_MAX_CPU_ISA for both sides, since Debian's PyTorch calls the
same system oneDNN, and for AVX2 or less also OPENBLAS_CORETYPE=Haswell (or Nehalem for SSE41) so
that PyTorch's OpenBLAS gemm runs the kernels such a CPU would get. The default, `best` then
`AVX2`, gives an AVX2 machine's figures on an AVX-512 one, in the same run.

--skip-jupyter RUNS_DIR reuses the .time files of an earlier run.sh (its $WORK/runs) instead of
running it again; the ratio is then not from the same run, and the table says so.
"""

import argparse
import glob
import json
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROG = "lecture_vs_jupyter"


def parse_time(path):
    """Wall seconds and peak RSS (MiB) from a `/usr/bin/time -v` file; None when it failed."""
    text = Path(path).read_text()
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    status = re.search(r"Exit status: (\d+)", text)
    if not (wall and rss and status) or int(status.group(1)) != 0:
        return None
    parts = wall.group(1).split(":")
    seconds = sum(float(x) * 60 ** k for k, x in enumerate(reversed(parts)))
    return seconds, int(rss.group(1)) / 1024


def jupyter_figures(runs):
    """Median A and B (= B1 + B2) wall times and the largest A peak RSS of run.sh's lite0 runs."""
    def by_rep(step):
        out = {}
        for p in glob.glob(f"{runs}/{step}_lite0_*.time"):
            parsed = parse_time(p)
            if parsed:
                out[int(re.search(r"_(\d+)\.time$", p).group(1))] = parsed
        return out
    a, b1, b2 = by_rep("A"), by_rep("B1"), by_rep("B2")
    both = sorted(set(b1) & set(b2))
    if not a or not both:
        sys.exit(f"{PROG}: no successful lite0 runs in {runs}")
    return {
        "cold_seconds": statistics.median(w for w, _ in a.values()),
        "changed_seconds": statistics.median(b1[i][0] + b2[i][0] for i in both),
        "peak_rss_mib": max(r for _, r in a.values()),
        "reps": len(a),
    }


def isa_environment(isa):
    """The environment that limits oneDNN (and OpenBLAS) to `isa`; `best` leaves them alone."""
    env = {k: v for k, v in os.environ.items() if k not in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA", "OPENBLAS_CORETYPE")}
    if isa.lower() != "best":
        env["ONEDNN_MAX_CPU_ISA"] = isa.upper()
        blas = {"AVX2": "Haswell", "AVX": "SandyBridge", "SSE41": "Nehalem"}.get(isa.upper())
        if blas:
            env["OPENBLAS_CORETYPE"] = blas
    return env


def loupe_figures(loupe, notebook, reps, env):
    command = [loupe, "bench", "render", notebook, "--change", "photo=Notebooks/images/eagle.jpg",
               "--reps", str(reps), "--json"]
    print(f"{PROG}: {' '.join(command)}", file=sys.stderr, flush=True)
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def effective_isa(loupe, env):
    """oneDNN's instruction set under `env`, as `loupe bench kernels` reports it (one small model)."""
    out = subprocess.run([loupe, "bench", "kernels", "--model", "resnet18", "--json"], cwd=ROOT, capture_output=True,
                         text=True, env=env).stdout
    try:
        report = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return "?", None
    return report["isa"], len(report["references"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--anchor", default=str(ROOT.parent / "shared" / "anchors" / "jupyter"),
                   help="the folder holding the anchor's run.sh")
    p.add_argument("--loupe", default=str(ROOT / ".build" / "release" / "loupe"))
    p.add_argument("--skip-jupyter", metavar="RUNS_DIR", help="reuse an earlier run.sh's runs folder")
    p.add_argument("--isa", action="append", help="best, or a ONEDNN_MAX_CPU_ISA value (repeatable; default: best and AVX2)")
    p.add_argument("--json", metavar="OUT", help="also write the figures as JSON")
    args = p.parse_args()
    if not os.access(args.loupe, os.X_OK):
        sys.exit(f"{PROG}: {args.loupe} is not an executable; run `swift build -c release --product loupe`")

    isas = args.isa or ["best", "AVX2"]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    results = {}
    for isa in isas:
        env = isa_environment(isa)
        if args.skip_jupyter:
            runs, same_run = args.skip_jupyter, False
        else:
            run_sh = Path(args.anchor) / "run.sh"
            if not run_sh.exists():
                sys.exit(f"{PROG}: {run_sh} does not exist; pass --anchor DIR or --skip-jupyter RUNS_DIR")
            work = os.environ.get("WORK") or f"{os.environ.get('TMPDIR', '/tmp')}/loupe-jupyter-anchor"
            print(f"{PROG}: bash {run_sh} (REPS={args.reps}, WORK={work}, isa {isa})", file=sys.stderr, flush=True)
            subprocess.run(["bash", str(run_sh)], env=dict(env, REPS=str(args.reps), WORK=work), check=True, stdout=sys.stderr)
            runs, same_run = f"{work}/runs", True
        jupyter = jupyter_figures(runs)
        anchor = loupe_figures(args.loupe, "Scripts/bench/lecture-anchor.md", args.reps, env)
        lecture = loupe_figures(args.loupe, "Notebooks/lecture.md", args.reps, env)
        onednn, references = effective_isa(args.loupe, env)
        results[isa] = {"jupyter": jupyter, "anchor": anchor, "lecture": lecture, "same_run": same_run,
                        "onednn_isa": onednn, "reference_kernels": references}

    for isa, r in results.items():
        jupyter, anchor, lecture = r["jupyter"], r["anchor"], r["lecture"]
        print(f"\nThe lecture, Loupe vs Jupyter + PyTorch (lite0, real weights), medians of {args.reps}; "
              f"{os.cpu_count()} CPUs, {cpu}; oneDNN isa {r['onednn_isa']} ({isa})"
              + ("" if r["same_run"] else f"; Jupyter figures reused from {args.skip_jupyter}"))
        print(f"{'':44} {'cold s':>8} {'ratio':>6} {'re-render s':>12} {'ratio':>6} {'peak RSS MiB':>13}")
        print(f"{'Jupyter + PyTorch (13 cells, anchor run.sh)':44} {jupyter['cold_seconds']:8.2f} {'':6} "
              f"{jupyter['changed_seconds']:12.2f} {'':6} {jupyter['peak_rss_mib']:13.0f}")
        for name, f in (("Loupe, same 13 cells (lecture-anchor.md)", anchor), ("Loupe, full lecture (24 cells)", lecture)):
            print(f"{name:44} {f['cold_seconds']:8.2f} {f['cold_seconds'] / jupyter['cold_seconds']:6.2f} "
                  f"{f['changed_seconds']:12.2f} {f['changed_seconds'] / jupyter['changed_seconds']:6.2f} {f['peak_rss_mib']:13.0f}")
        print(f"reference kernels in the audit (loupe bench kernels, ResNet-18): {r['reference_kernels']}")
    print("goals: cold <= 0.2x Jupyter; re-render with a new photo < 2 s; on every isa")
    if args.json:
        Path(args.json).write_text(json.dumps({"reps": args.reps, "cpu": cpu, "isas": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
