#!/usr/bin/env python3
"""The text encoder (all-MiniLM-L6-v2) in Loupe next to ONNX Runtime and PyTorch, in the same run.

    swift build -c release --product loupe && \\
        /usr/bin/python3 Scripts/bench/text_vs_onnxruntime.py [--loupe PATH] [--reps 3] [--json OUT]

Three workloads, the same texts on every side:

  vocabulary   the 20,000 words of `english-20k` (`loupe concepts show english-20k`)
  sentences    1,000 sentences of 10-30 words, drawn from those words with a fixed seed (the cost
               depends on token counts, not on meaning)
  latency      one sentence of 12 words, embedded on its own

Every side tokenizes with the same WordPiece vocabulary (Loupe's own tokenizer; Hugging Face's
`tokenizers` for the Python sides, whose ids Scripts/parity/text.py shows to be identical), sorts
the texts by length, pads each batch of 64 to its longest text (as sentence-transformers does),
runs the BERT, mean-pools over the mask and normalises:

  Loupe         `loupe bench text FILE --json` (one process per workload: weights and vocabulary
                loaded, one untimed pass that creates the kernels, then the median of --reps
                passes, the embedding cache bypassed)
  ONNX Runtime  onnxruntime 1.20.1 (PyPI, the engine behind fastembed), CPUExecutionProvider with
                2 intra-op threads, on the plain PyTorch BERT of Scripts/parity/bert_reference.py
                exported with Debian's torch.onnx (opset 14, dynamic batch and length)
  PyTorch       the same plain BERT in Debian's torch 1.13, torch.set_num_threads(2), no_grad

Each Python side runs in its own process too, timed the same way (one untimed pass, median of
--reps), and reports its process's peak RSS. Loupe and ONNX Runtime take --rounds turns on each
workload and each side keeps its median round, so that the machine's drift over minutes does not
favour one of them; the ratio is Loupe / other (below 1: Loupe is
faster). Peak RSS of a whole `loupe embed --file vocabulary.txt --no-cache` process is compared
with the ONNX Runtime process's. The reference packages are installed with pip --no-deps into
.parity/ and run with Debian's /usr/bin/python3; they are never Loupe's dependencies.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PARITY = os.path.join(ROOT, ".parity")
ORT_SITE = os.path.join(PARITY, "pysite-onnxruntime")
ORT = "onnxruntime==1.20.1"
BATCH = 64
sys.path.insert(0, os.path.join(ROOT, "Scripts", "parity"))


def setup_onnxruntime():
    marker = os.path.join(ORT_SITE, ".done")
    if not os.path.exists(marker) or open(marker).read().strip() != ORT:
        subprocess.run(["rm", "-rf", ORT_SITE], check=True)
        download = os.path.join(PARITY, "download-onnxruntime")
        pip = [sys.executable, "-m", "pip", "-q"]
        subprocess.run(pip + ["download", "--no-deps", "--dest", download, ORT], check=True)
        subprocess.run(pip + ["install", "--no-deps", "--no-index", "--find-links", download, "--target", ORT_SITE, ORT], check=True)
        with open(marker, "w") as f:
            f.write(ORT + "\n")


def workloads(loupe, folder):
    """The three workloads as files of one text per line."""
    words = subprocess.run([loupe, "concepts", "show", "english-20k"], capture_output=True, text=True, check=True).stdout.split("\n")
    words = [w for w in words if w]
    rng = random.Random(0)
    sentences = [" ".join(rng.choice(words) for _ in range(rng.randint(10, 30))) for _ in range(1000)]
    latency = [" ".join(rng.choice(words) for _ in range(12))]
    files = {}
    for name, texts in (("vocabulary", words), ("sentences", sentences), ("latency", latency)):
        path = os.path.join(folder, name + ".txt")
        with open(path, "w") as f:
            f.write("\n".join(texts) + "\n")
        files[name] = path
    return files


def python_side(engine, path, reps, onnx_path):
    """Runs this script in a child process for one engine and workload; returns its JSON."""
    out = subprocess.run([sys.executable, __file__, "--child", engine, "--file", path, "--reps", str(reps), "--onnx", onnx_path],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{engine} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(engine, path, reps, onnx_path):
    """One engine on one file: tokenization, batching, timing, peak RSS (printed as JSON)."""
    import numpy as np
    import text as parity

    parity.setup()
    tokenizer = parity.load_tokenizer()
    texts = [t for t in open(path).read().split("\n") if t]
    encodings = [tokenizer.encode(t).ids for t in texts]
    order = sorted(range(len(texts)), key=lambda i: -len(encodings[i]))
    batches = []
    for start in range(0, len(order), BATCH):
        chunk = order[start:start + BATCH]
        length = max(len(encodings[i]) for i in chunk)
        ids = np.zeros((len(chunk), length), dtype=np.int64)
        mask = np.zeros((len(chunk), length), dtype=np.int64)
        for row, i in enumerate(chunk):
            ids[row, :len(encodings[i])] = encodings[i]
            mask[row, :len(encodings[i])] = 1
        batches.append((ids, mask))
    load_start = time.perf_counter()
    if engine == "onnxruntime":
        sys.path.insert(0, ORT_SITE)
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        options.inter_op_num_threads = 1
        session = onnxruntime.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])

        def run_all():
            return [session.run(None, {"ids": ids, "mask": mask})[0] for ids, mask in batches]
    else:
        import torch
        import bert_reference

        torch.set_num_threads(2)
        model = bert_reference.SentenceBERT(bert_reference.load_safetensors(parity.weights()))

        def run_all():
            with torch.no_grad():
                return [model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy() for ids, mask in batches]
    load = time.perf_counter() - load_start
    start = time.perf_counter()
    run_all()
    first = time.perf_counter() - start
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        run_all()
        times.append(time.perf_counter() - start)
    rss = peak_rss_mib()
    print(json.dumps({"engine": engine, "texts": len(texts), "tokens": sum(map(len, encodings)), "seconds": statistics.median(times),
                      "first_seconds": first, "load_seconds": load, "peak_rss_mib": rss}))


def median_round(rounds):
    """The round with the median time (the upper one of an even count), with every round's time."""
    chosen = dict(sorted(rounds, key=lambda r: r["seconds"])[len(rounds) // 2])
    chosen["round_seconds"] = [r["seconds"] for r in rounds]
    return chosen


def peak_rss_mib():
    """This process's peak RSS from /proc (VmHWM): getrusage's ru_maxrss survives exec, so a child of
    this driver (which has PyTorch loaded) would report the driver's peak as its own."""
    with open("/proc/self/status") as f:
        line = next(line for line in f if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def export_onnx(path):
    import torch
    import bert_reference
    import text as parity

    parity.setup()
    model = bert_reference.SentenceBERT(bert_reference.load_safetensors(parity.weights())).eval()
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = torch.ones(2, 8, dtype=torch.long)
    torch.onnx.export(model, (ids, mask), path, input_names=["ids", "mask"], output_names=["vectors"],
                      dynamic_axes={"ids": {0: "batch", 1: "length"}, "mask": {0: "batch", 1: "length"}, "vectors": {0: "batch"}},
                      opset_version=14)


def process_rss(command):
    """Peak RSS (MiB) and wall seconds of a whole process, from /usr/bin/time -v."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as t:
        start = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-v", "-o", t.name] + command, check=True, capture_output=True)
        wall = time.perf_counter() - start
        text = open(t.name).read()
    kb = int(next(line.split(":")[1] for line in text.splitlines() if "Maximum resident set size" in line))
    return kb / 1024, wall


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--loupe", default=os.path.join(ROOT, ".build", "release", "loupe"))
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3, help="turns Loupe and ONNX Runtime take on each workload")
    p.add_argument("--json", metavar="OUT")
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--file", help=argparse.SUPPRESS)
    p.add_argument("--onnx", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child, args.file, args.reps, args.onnx)
        return

    setup_onnxruntime()
    folder = tempfile.mkdtemp(prefix="loupe-text-bench-")
    onnx_path = os.path.join(folder, "minilm.onnx")
    export_onnx(onnx_path)
    files = workloads(args.loupe, folder)
    rows = []
    for name, path in files.items():
        # Loupe and ONNX Runtime take turns, --rounds times, and each side's time is the median of
        # its rounds' medians: this machine's speed drifts over minutes, and taking turns spreads the
        # drift over both sides instead of handing it to whichever ran second.
        loupe_rounds, ort_rounds = [], []
        for _ in range(args.rounds):
            loupe_rounds.append(json.loads(subprocess.run([args.loupe, "bench", "text", path, "--reps", str(args.reps), "--json"],
                                                          capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]))
            ort_rounds.append(python_side("onnxruntime", path, args.reps, onnx_path))
        loupe, ort = median_round(loupe_rounds), median_round(ort_rounds)
        torch = python_side("torch", path, args.reps, onnx_path)
        rows.append({"workload": name, "loupe": loupe, "onnxruntime": ort, "torch": torch})
        print(f"{name}: loupe {loupe['round_seconds']} s, onnxruntime {ort['round_seconds']} s, torch {torch['seconds']:.3f} s",
              file=sys.stderr)
    loupe_rss, loupe_wall = process_rss([args.loupe, "embed", "--file", files["vocabulary"], "--no-cache", "--npy", os.devnull])

    print(f"\nall-MiniLM-L6-v2, warm medians of {args.reps} passes (Loupe and ONNX Runtime: the median of {args.rounds} alternating rounds), batches of {BATCH} sorted by length; ratio = Loupe / other")
    print(f"{'workload':11} {'texts':>6} {'tokens':>7} {'Loupe s':>9} {'ORT s':>9} {'torch s':>9} {'/ORT':>6} {'/torch':>7}"
          f" {'Loupe MiB':>9} {'ORT MiB':>8} {'torch MiB':>9}")
    for r in rows:
        l, o, t = r["loupe"], r["onnxruntime"], r["torch"]
        print(f"{r['workload']:11} {l['texts']:6d} {l['tokens']:7d} {l['seconds']:9.4f} {o['seconds']:9.4f} {t['seconds']:9.4f} "
              f"{l['seconds'] / o['seconds']:6.2f} {l['seconds'] / t['seconds']:7.2f} {l['peak_rss_mib']:9.0f} {o['peak_rss_mib']:8.0f}"
              f" {t['peak_rss_mib']:9.0f}")
    vocabulary_ort = rows[0]["onnxruntime"]["peak_rss_mib"]
    print(f"`loupe embed` on the vocabulary, whole process: {loupe_wall:.2f} s, peak RSS {loupe_rss:.0f} MiB "
          f"(ONNX Runtime's process: {vocabulary_ort:.0f} MiB)")
    print("goals: throughput ratio <= 1.0 against ONNX Runtime and <= 0.5 against PyTorch; loupe embed's RSS <= ONNX Runtime's")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"reps": args.reps, "rows": rows, "loupe_embed_rss_mib": loupe_rss, "loupe_embed_seconds": loupe_wall}, f, indent=2)


if __name__ == "__main__":
    main()
