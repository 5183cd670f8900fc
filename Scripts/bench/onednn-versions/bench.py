#!/usr/bin/env python3
"""Would a newer oneDNN make Loupe's notebooks faster? Kernel-level answer.

Records which oneDNN primitives a notebook runs (a DNNL_VERBOSE log of the
current Loupe binary, which links Debian's oneDNN 2.6), then replays every
distinct primitive with three libraries and compares their times, weighted by
how often the notebook calls each one:

  2.6   Debian libdnnl2 2.6.3 (GNU OpenMP), what Loupe links today
  3.2   PyPI onednn-cpu-gomp 2023.2.0 (GNU OpenMP), the newest OpenMP wheel
  3.13  PyPI onednn 2026.1.0 (SYCL + TBB build); its CPU engine needs a SYCL
        CPU device, which comes from PyPI's intel-opencl-rt and friends

The libraries run alternately, round after round, so that load from other
processes falls on all of them alike. See README.md.

  python3 Scripts/bench/onednn-versions/bench.py          # everything
  python3 bench.py --notebook Notebooks/lecture.md --isa host --libs 2.6,3.2
  python3 bench.py --log lecture:host=/tmp/lecture-host.log --notebook Notebooks/lecture.md --isa host
"""
import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CACHE = os.environ.get("LOUPE_BENCH_CACHE", os.path.expanduser("~/.cache/loupe-bench"))

# Wheels, pinned. 3.13 needs the SYCL runtime, an OpenCL CPU device for SYCL
# to find (intel-opencl-rt), and a TBB newer than Debian 12's 2021.8.
WHEELS = {
    "3.2": ["onednn-cpu-gomp==2023.2.0", "onednn-devel-cpu-gomp==2023.2.0"],
    "3.13": ["onednn==2026.1.0", "onednn-devel==2026.1.0"],
    "runtime": ["intel-sycl-rt==2026.2.0", "intel-cmplr-lib-rt==2026.2.0",
                "intel-cmplr-lib-ur==2026.2.0", "intel-opencl-rt==2026.2.0",
                "umf==1.2.0", "tbb==2023.2.0"],
}
# Large runtime files the CPU engine never loads.
SKIP = re.compile(r"libsycl-jit|libsycl-preview|icx-lto|sanitizer|\.bc$|/include/")

ISA_ENV = {"host": {}, "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2",
                                "DNNL_MAX_CPU_ISA": "AVX2"}}

# Kinds in report order; a verbose primitive maps onto one of them.
KINDS = ["conv_fwd", "conv_bwd_data", "eltwise_fwd", "eltwise_bwd", "binary",
         "pool_fwd", "pool_bwd", "matmul", "reorder"]


def sh(cmd, **kw):
    print("+", " ".join(cmd), file=sys.stderr)
    subprocess.run(cmd, check=True, **kw)


# ---- setting up the libraries ----

def unpack(wheel_names, dest, wheels_dir):
    """Extracts the lib/ and include/ trees of the wheels into dest."""
    if os.path.isdir(dest):
        return
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    for name in wheel_names:
        stem = name.split("==")[0].replace("-", "_")
        version = name.split("==")[1]
        (whl,) = [f for f in os.listdir(wheels_dir)
                  if f.startswith(f"{stem}-{version}-") and f.endswith(".whl")]
        with zipfile.ZipFile(os.path.join(wheels_dir, whl)) as z:
            for member in z.namelist():
                m = re.match(r"[^/]+\.data/data/(lib|include)/(.*)", member)
                if not m or member.endswith("/"):
                    continue
                if m.group(1) == "lib" and SKIP.search(member):
                    continue
                out = os.path.join(tmp, m.group(1), m.group(2))
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with z.open(member) as src, open(out, "wb") as dst:
                    shutil.copyfileobj(src, dst)
    os.rename(tmp, dest)


def setup(libs):
    """Fetches and unpacks the wheels, compiles replay.c once per library.
    Returns {lib: (binary, environment additions)}."""
    if "2.6" in libs and not os.path.exists("/usr/include/oneapi/dnnl/dnnl.h"):
        sys.exit("Debian's oneDNN 2.6 headers are missing: apt-get install libdnnl-dev")
    if not shutil.which("gcc"):
        sys.exit("gcc is missing: apt-get install gcc")
    wheels = os.path.join(CACHE, "wheels")
    os.makedirs(wheels, exist_ok=True)
    need = [w for lib in libs if lib != "2.6" for w in WHEELS[lib]]
    if "3.13" in libs:
        need += WHEELS["runtime"]
    if need:
        have = set(os.listdir(wheels))
        missing = [w for w in need if not any(
            f.startswith(w.replace("-", "_").replace("==", "-") + "-")
            for f in have)]
        if missing:
            sh([sys.executable, "-m", "pip", "download", "--no-deps",
                "--only-binary=:all:", "-d", wheels] + missing)
    bins = os.path.join(CACHE, "bin")
    os.makedirs(bins, exist_ok=True)
    src = os.path.join(HERE, "replay.c")
    cc = ["gcc", "-O2", "-Wall", "-std=c11", "-D_POSIX_C_SOURCE=200809L", src]
    out = {}
    for lib in libs:
        exe = os.path.join(bins, "replay" + lib.replace(".", ""))
        env = {}
        if lib == "2.6":  # Debian's libdnnl-dev
            flags = ["-ldnnl"]
        else:
            root = os.path.join(CACHE, "onednn-" + lib)
            unpack(WHEELS[lib], root, wheels)
            flags = ["-I", os.path.join(root, "include"),
                     "-L", os.path.join(root, "lib"), "-l:libdnnl.so.3"]
            env["LD_LIBRARY_PATH"] = os.path.join(root, "lib")
        if lib == "3.13":
            rt = os.path.join(CACHE, "runtime")
            unpack(WHEELS["runtime"], rt, wheels)
            flags += ["-Wl,-rpath-link," + os.path.join(rt, "lib")]
            env["LD_LIBRARY_PATH"] += ":" + os.path.join(rt, "lib")
            env["OCL_ICD_FILENAMES"] = os.path.join(rt, "lib", "libintelocl.so")
        if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
            sh(cc + ["-o", exe] + flags + ["-lm"])
        out[lib] = (exe, env)
    return out


# ---- recording and reading verbose logs ----

def record(loupe, notebook, isa, outdir, verbose=True):
    """Renders the notebook once; returns (log path, wall seconds, CPUs used
    by other processes meanwhile)."""
    env = dict(os.environ, **ISA_ENV[isa])
    if verbose:
        env["DNNL_VERBOSE"] = env["ONEDNN_VERBOSE"] = "1"
    name = os.path.splitext(os.path.basename(notebook))[0]
    tag = f"{name}-{isa}" + ("" if verbose else "-plain") + time.strftime("-%H%M%S")
    log = os.path.join(outdir, tag + ".log")
    hz = os.sysconf("SC_CLK_TCK")
    b0, c0, start = busy_jiffies(), os.times(), time.monotonic()
    with open(log, "w") as f:
        subprocess.run([loupe, "render", notebook, "--no-cache",
                        "-o", os.path.join(outdir, tag + ".html")],
                       cwd=REPO, env=env, stdout=f, stderr=subprocess.STDOUT,
                       check=True)
    b1, c1, wall = busy_jiffies(), os.times(), time.monotonic() - start
    ours = (c1.children_user + c1.children_system
            - c0.children_user - c0.children_system)
    return log, wall, max(0.0, ((b1 - b0) / hz - ours) / wall)


def parse_mds(field):
    """'src_f32::blocked:acdb:f0 wei_f32:p:blocked:Acdb48a:f0 ...' ->
    {'src': ('f32', 'acdb'), ...} (a second src is 'src1')."""
    mds = {}
    for tok in field.split():
        parts = tok.split(":")
        if len(parts) < 4:
            continue
        name, _, dt = parts[0].rpartition("_")
        if name in mds:
            name += "1"
        mds[name] = (dt, parts[3])
    return mds


def dims_of(desc):
    return dict((k, int(v)) for k, v in re.findall(r"([a-z]+)(\d+)", desc))


def post_ops(attrs):
    """'attr-post-ops:binary_mul:f32:2+eltwise_clip_v2:0:6' ->
    'binary:mul:2+eltwise:clip_v2:0:6'; None if some attribute is not a
    post-op this replay understands."""
    attrs = attrs.strip()
    if not attrs:
        return ""
    if not attrs.startswith("attr-post-ops:") or " " in attrs:
        return None
    out = []
    for op in attrs[len("attr-post-ops:"):].split("+"):
        parts = op.split(":")
        if parts[0].startswith("eltwise_"):
            a = parts[1] if len(parts) > 1 else "0"
            b = parts[2] if len(parts) > 2 else "0"
            if len(parts) > 3 and float(parts[3]) != 1:
                return None  # scaled eltwise post-op
            out.append(f"eltwise:{parts[0][8:]}:{a}:{b}")
        elif parts[0].startswith("binary_") and len(parts) == 3:
            out.append(f"binary:{parts[0][7:]}:{parts[2]}")
        else:
            return None
    return "+".join(out)


def conv_keys(desc):
    d = dims_of(desc)
    if "id" in d or "ic" not in d:
        return None  # 3D or unreadable: not replayed
    for k, v in (("ih", 1), ("oh", 1), ("kh", 1), ("sh", 1), ("dh", 0), ("ph", 0)):
        d.setdefault(k, v)
    keys = ["g", "mb", "ic", "oc", "ih", "iw", "oh", "ow", "kh", "kw", "sh",
            "sw", "dh", "dw", "ph", "pw"]
    return " ".join(f"{k}={d.get(k, 1 if k == 'g' else 0)}" for k in keys)


def problem(prim, prop, mds_field, attrs, aux, desc):
    """One verbose exec line -> (kind, replay line), or (None, why not)."""
    mds = parse_mds(mds_field)
    if any(dt not in ("f32", "undef") for dt, _ in mds.values()):
        return None, "not f32"
    alg = (re.search(r"alg:(\S+)", aux) or [None, ""])[1]
    a = (re.search(r"alpha:(\S+)", aux) or [None, "0"])[1]
    b = (re.search(r"beta:(\S+)", aux) or [None, "0"])[1]
    fwd = "inference" if prop == "forward_inference" else "training"
    if prim == "convolution":
        geometry = conv_keys(desc)
        post = post_ops(attrs)
        if geometry is None or post is None or alg != "convolution_direct":
            return None, "convolution variant"
        if prop.startswith("forward"):
            bias = int(mds.get("bia", ("undef",))[0] != "undef")
            line = f"conv_fwd prop={fwd} {geometry} bias={bias}"
            line += f" post={post}" if post else ""
            log = "/".join(mds.get(k, ("", "?"))[1] for k in ("src", "wei", "dst"))
            return "conv_fwd", f"{line} log={log}"
        if prop == "backward_data" and not post:
            # 2.6 prints diff_src and diff_dst as src and dst
            log = "/".join(mds.get(k, mds.get("diff_" + k, ("", "?")))[1]
                           for k in ("src", "wei", "dst"))
            return "conv_bwd_data", f"conv_bwd_data {geometry} log={log}"
        return None, "convolution " + prop
    if attrs.strip():
        return None, prim + " with attributes"
    if prim == "eltwise":
        data = f"{mds['data'][1]}:{desc}"
        common = f"alg={alg[8:]} alpha={a} beta={b} data={data}"
        if prop.startswith("forward"):
            return "eltwise_fwd", f"eltwise_fwd prop={fwd} {common}"
        if mds.get("diff", ("", ""))[1] != mds["data"][1]:
            return None, "eltwise with two layouts"
        return "eltwise_bwd", f"eltwise_bwd {common}"
    if prim == "binary":
        s0, s1 = desc.split(":")[:2]
        d0, d1 = s0.split("x"), s1.split("x")
        dst = "x".join(str(max(int(p), int(q))) for p, q in zip(d0, d1))
        return "binary", (f"binary alg={alg[7:]} src0={mds['src'][1]}:{s0} "
                          f"src1={mds['src1'][1]}:{s1} dst={mds['dst'][1]}:{dst}")
    if prim in ("pooling", "pooling_v2"):
        d = dims_of(desc)
        if "id" in d:
            return None, "3D pooling"
        d.setdefault("ih", 1), d.setdefault("oh", 1)
        src = f"{mds['src'][1]}:{d['mb']}x{d['ic']}x{d['ih']}x{d['iw']}"
        dst = f"{mds['dst'][1]}:{d['mb']}x{d['ic']}x{d['oh']}x{d['ow']}"
        geom = " ".join(f"{k}={d.get(k, 0)}" for k in
                        ("ih", "iw", "oh", "ow", "kh", "kw", "sh", "sw", "dh",
                         "dw", "ph", "pw"))
        kind = "pool_fwd" if prop.startswith("forward") else "pool_bwd"
        return kind, f"{kind} alg={alg} prop={fwd} src={src} dst={dst} {geom}"
    if prim == "matmul":
        s, w, d = desc.split(":")[:3]
        line = (f"matmul src={mds['src'][1]}:{s} wei={mds['wei'][1]}:{w} "
                f"dst={mds['dst'][1]}:{d}")
        if mds.get("bia", ("undef",))[0] != "undef":
            n = d.split("x")
            line += f" bias={mds['bia'][1]}:" + "x".join(["1"] * (len(n) - 1) + n[-1:])
        return "matmul", line
    if prim == "reorder":
        return "reorder", f"reorder src={mds['src'][1]}:{desc} dst={mds['dst'][1]}:{desc}"
    return None, prim


def read_log(path):
    """-> (problems: {line: {kind, count, log_ms}}, skipped: {why: [count, ms]},
    total exec ms)."""
    problems, skipped, total = {}, collections.defaultdict(lambda: [0, 0.0]), 0.0
    with open(path, errors="replace") as f:
        for raw in f:
            if ",exec,cpu," not in raw:
                continue
            fields = raw.rstrip("\n").split(",")
            i = fields.index("exec")
            try:
                prim, _impl, prop, mds, attrs, aux, desc, ms = fields[i + 2:i + 10]
                ms = float(ms)
            except ValueError:
                continue
            total += ms
            kind, line = problem(prim, prop, mds, attrs, aux, desc)
            if kind is None:
                skipped[line][0] += 1
                skipped[line][1] += ms
                continue
            p = problems.setdefault(line, {"kind": kind, "count": 0, "log_ms": 0.0})
            p["count"] += 1
            p["log_ms"] += ms
    return problems, dict(skipped), total


# ---- replaying ----

def busy_jiffies():
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    return sum(cpu) - cpu[3] - cpu[4]  # all but idle and iowait


def wait_until_quiet(max_wait, threshold=0.15):
    """Waits until other processes use less than `threshold` CPUs (sampled
    over a second while we do nothing), or max_wait seconds have passed.
    Returns the load seen last, in CPUs."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + max_wait
    while True:
        b0 = busy_jiffies()
        time.sleep(1)
        load = (busy_jiffies() - b0) / hz
        if load < threshold or time.monotonic() > deadline:
            return load
        print(f"  waiting: other processes use {load:.1f} CPUs", file=sys.stderr)
        time.sleep(4)


def quietly(run, max_wait, tries=1, threshold=0.5):
    """Calls run() -> (result, foreign CPUs) once the machine is quiet; runs it
    again (up to `tries` times) while others used more than `threshold` CPUs
    meanwhile, and keeps the least disturbed result.

    The foreign load is /proc/stat's busy time less our children's CPU time.
    On the 2-vCPU VM this was written on, a run that keeps both CPUs busy shows
    0.3 "foreign" CPUs with nothing else running (tick-sampled /proc/stat and
    the children's precise times disagree), so it is an upper bound, reported
    but not retried on by default (--retries); the waiting beforehand, measured
    with nothing of ours running, is reliable."""
    best = None
    for _ in range(tries):
        wait_until_quiet(max_wait)
        result = run()
        if best is None or result[-1] < best[-1]:
            best = result
        if result[-1] < threshold:
            break
        print(f"  disturbed ({result[-1]:.2f} CPUs used by others): again",
              file=sys.stderr)
    return best


def replay(exe, env_add, isa, problem_file, budget):
    """Runs one library over the problem list. Returns ({index: result},
    CPUs used by other processes meanwhile)."""
    env = dict(os.environ, **ISA_ENV[isa], **env_add)
    for var in ("DNNL_VERBOSE", "ONEDNN_VERBOSE"):
        env.pop(var, None)
    hz = os.sysconf("SC_CLK_TCK")
    b0, c0, t0 = busy_jiffies(), os.times(), time.monotonic()
    out = subprocess.run([exe, problem_file, str(budget)], env=env, check=True,
                         capture_output=True, text=True).stdout
    b1, c1, t1 = busy_jiffies(), os.times(), time.monotonic()
    ours = (c1.children_user + c1.children_system
            - c0.children_user - c0.children_system)
    foreign = max(0.0, ((b1 - b0) / hz - ours) / (t1 - t0))
    results = {}
    for line in out.splitlines():
        if line.startswith("#"):
            continue
        parts = line.split("\t")
        if parts[1] == "error":
            results[int(parts[0])] = {"error": parts[2]}
        else:
            results[int(parts[0])] = {
                "ms": float(parts[1]), "min": float(parts[2]),
                "create": float(parts[4]), "impl": parts[5],
                "choice": parts[6], "layouts": parts[7],
                "tried": parts[8] if len(parts) > 8 else ""}
    return results, foreign


def best_round(rounds, index):
    """The lowest of the per-round medians: on a shared 2-CPU machine a busy
    neighbour only ever adds time (a 2-thread parallel region waits a whole
    scheduler slice, 4 ms, for a descheduled thread)."""
    runs = [r[index] for r in rounds if index in r]
    if not runs or any("error" in r for r in runs):
        return None
    return {"ms": min(r["ms"] for r in runs),
            "create": statistics.median(r["create"] for r in runs),
            "impl": runs[0]["impl"], "choice": runs[0]["choice"],
            "layouts": runs[0]["layouts"], "tried": runs[0]["tried"]}


# ---- report ----

def short(line):
    """A problem line without the keys that are at their defaults."""
    line = re.sub(r" log=\S+", "", line)
    return re.sub(r" (dh|dw)=0\b| g=1\b| mb=1\b| bias=0\b| prop=inference", "", line)


def src_dst(layouts):
    """'acdb/Acdb16a/acdb' -> 'acdb/acdb' (activations only)."""
    parts = layouts.split("/")
    return f"{parts[0]}/{parts[-1]}" if len(parts) == 3 else layouts


def report(lines, meta, per_lib, libs, top):
    base = libs[0]
    ok = [i for i in range(len(lines))
          if all(per_lib[lib][i] is not None for lib in libs)]
    failed = [i for i in range(len(lines)) if i not in ok]
    out = []
    head = ["kind", "calls", "log ms"] + [f"{lib} ms" for lib in libs] + \
        [f"{base}/{lib}" for lib in libs[1:]]
    out.append("| " + " | ".join(head) + " |")
    out.append("|" + "---|" * len(head))
    grand = {}
    for kind in KINDS + ["all"]:
        idx = [i for i in ok if kind in ("all", meta[i]["kind"])]
        if not idx:
            continue
        calls = sum(meta[i]["count"] for i in idx)
        log_ms = sum(meta[i]["log_ms"] for i in idx)
        sums = {lib: sum(meta[i]["count"] * per_lib[lib][i]["ms"] for i in idx)
                for lib in libs}
        row = [f"**{kind}**" if kind == "all" else kind, str(calls), f"{log_ms:.0f}"]
        row += [f"{sums[lib]:.0f}" for lib in libs]
        row += [f"{sums[base] / sums[lib]:.2f}×" if sums[lib] else "-"
                for lib in libs[1:]]
        out.append("| " + " | ".join(row) + " |")
        if kind == "all":
            grand = dict(sums, calls=calls, log_ms=log_ms)
    create = {lib: sum(per_lib[lib][i]["create"] for i in ok) for lib in libs}
    out.append("")
    out.append("Ratios are old time / new time: above 1 the newer library is "
               "faster. One-off creation of every distinct primitive "
               "(descriptor + primitive, JIT included), Σ ms: " +
               ", ".join(f"{lib} {create[lib]:.0f}" for lib in libs) + ".")
    if failed:
        out.append("")
        out.append(f"Left out: {len(failed)} problems, "
                   f"{sum(meta[i]['count'] for i in failed)} calls, "
                   f"{sum(meta[i]['log_ms'] for i in failed):.0f} log ms "
                   "(a library could not build them):")
        for i in failed[:5]:
            why = [f"{lib}: {'ok' if per_lib[lib][i] else 'error'}" for lib in libs]
            out.append(f"- `{short(lines[i])}` ({', '.join(why)})")

    # Layouts: do the newer libraries pick the activation layouts 2.6 picked?
    convs = [i for i in ok if meta[i]["kind"].startswith("conv")]
    if convs:
        out.append("")
        out.append("Convolution activation layouts (src/dst) compared with the "
                   "logged 2.6 run, in calls: same / different; and the layout "
                   "choice that won (given, chosen, plain):")
        out.append("")
        for lib in libs:
            same = sum(meta[i]["count"] for i in convs
                       if src_dst(per_lib[lib][i]["layouts"])
                       == src_dst(re.search(r"log=(\S+)", lines[i])[1]))
            total = sum(meta[i]["count"] for i in convs)
            choices = collections.Counter()
            for i in convs:
                choices[per_lib[lib][i]["choice"]] += meta[i]["count"]
            diff = collections.Counter()
            for i in convs:
                a = src_dst(re.search(r"log=(\S+)", lines[i])[1])
                b = src_dst(per_lib[lib][i]["layouts"])
                if a != b:
                    diff[f"{a} → {b}"] += meta[i]["count"]
            out.append(f"- {lib}: {same} / {total - same}; " + ", ".join(
                f"{c} {n}" for c, n in choices.most_common()) +
                ("; changes: " + ", ".join(f"{k} ({n})" for k, n in
                                           diff.most_common(4)) if diff else ""))

    # The primitives that take the most time.
    def weighted(lib, i):
        return meta[i]["count"] * per_lib[lib][i]["ms"]
    ranked = sorted(ok, key=lambda i: -max(weighted(lib, i) for lib in libs))[:top]
    out.append("")
    out.append(f"Top {top} primitives by time (Σ ms = calls × per-call time; "
               "convolution layouts src/dst shown where a library's differ "
               "from the log):")
    out.append("")
    hd = ["problem", "calls"]
    for lib in libs:
        hd += [f"{lib} Σ ms", f"{lib} impl"]
    out.append("| " + " | ".join(hd) + " |")
    out.append("|" + "---|" * len(hd))
    for i in ranked:
        row = [f"`{short(lines[i])}`", str(meta[i]["count"])]
        logged = re.search(r"log=(\S+)", lines[i])
        for lib in libs:
            r = per_lib[lib][i]
            impl = r["impl"]
            notes = []
            if r["choice"] != "given":
                notes.append(r["choice"])
            if logged and src_dst(r["layouts"]) != src_dst(logged[1]):
                notes.append(src_dst(r["layouts"]))
            if notes:
                impl += " (" + ", ".join(notes) + ")"
            row += [f"{weighted(lib, i):.0f}", impl]
        out.append("| " + " | ".join(row) + " |")

    for lib in libs[1:]:
        diffs = sorted(ok, key=lambda i: -abs(weighted(base, i) - weighted(lib, i)))[:5]
        out.append("")
        out.append(f"Where {lib} differs most from {base} (Σ saved ms: + means "
                   "the newer one is faster):")
        out.append("")
        out.append(f"| problem | calls | {base} ms/call | {lib} ms/call | Σ saved ms |")
        out.append("|---|---|---|---|---|")
        for i in diffs:
            a, b = per_lib[base][i], per_lib[lib][i]
            out.append(f"| `{short(lines[i])}` | {meta[i]['count']} | {a['ms']:.3f} | "
                       f"{b['ms']:.3f} | {weighted(base, i) - weighted(lib, i):+.0f} |")
    out.append("")
    out.append("Implementations, weighted by calls:")
    out.append("")
    for kind in KINDS:
        parts = []
        for lib in libs:
            c = collections.Counter()
            for i in ok:
                if meta[i]["kind"] == kind:
                    c[per_lib[lib][i]["impl"]] += meta[i]["count"]
            if c:
                parts.append(f"{lib}: " + ", ".join(
                    f"{name} {n}" for name, n in c.most_common(4)))
        if parts:
            out.append(f"- {kind}: " + "; ".join(parts))
    return "\n".join(out), grand


def machine():
    model, flags = "?", set()
    for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
        if line.startswith("Model name:"):
            model = line.split(":", 1)[1].strip()
        if line.startswith("Flags:"):
            flags = set(line.split(":", 1)[1].split())
    return (f"{model}, {os.cpu_count()} CPUs, avx2 {'yes' if 'avx2' in flags else 'no'}, "
            f"avx512f {'yes' if 'avx512f' in flags else 'no'}; "
            + time.strftime("%Y-%m-%d %H:%M %Z"))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loupe", default=os.path.join(REPO, ".build", "release", "loupe"),
                    help="Loupe binary to record verbose logs with (default: "
                         "the release build of this checkout)")
    ap.add_argument("--notebook", action="append", default=[],
                    help="notebook to record, relative to the repository; may "
                         "be repeated (default: lecture and attribution)")
    ap.add_argument("--log", action="append", default=[], metavar="NB:ISA=FILE",
                    help="use an existing verbose log instead of recording, "
                         "e.g. lecture:host=/tmp/lecture-host.log")
    ap.add_argument("--isa", default="host,avx2", help="host and/or avx2")
    ap.add_argument("--libs", default="2.6,3.2,3.13")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--budget-ms", type=float, default=40,
                    help="time each problem for about this long per round")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--max-wait", type=float, default=120,
                    help="seconds to wait for other processes to go quiet "
                         "before each render and replay")
    ap.add_argument("--retries", type=int, default=1,
                    help="run a render or replay up to this many times while "
                         "other processes seemed to use over half a CPU")
    ap.add_argument("--out", default=os.path.join(CACHE, "out"))
    args = ap.parse_args()

    started = time.monotonic()
    libs = args.libs.split(",")
    isas = args.isa.split(",")
    notebooks = args.notebook or ["Notebooks/lecture.md", "Notebooks/attribution.md"]
    os.makedirs(args.out, exist_ok=True)
    tools = setup(libs)
    logs = dict(x.split("=", 1) for x in args.log)

    summary, sections, table = {}, [], []
    for notebook in notebooks:
        name = os.path.splitext(os.path.basename(notebook))[0]
        for isa in isas:
            key = f"{name}:{isa}"
            walls = None
            if key not in logs:
                if not os.path.exists(args.loupe):
                    sys.exit(f"no log for {key}: give --log {key}=FILE or --loupe")
                print(f"[{key}] rendering", file=sys.stderr)
                _, plain, load_plain = quietly(lambda: record(
                    args.loupe, notebook, isa, args.out, verbose=False),
                    args.max_wait, args.retries)
                logs[key], verbose, load = quietly(lambda: record(
                    args.loupe, notebook, isa, args.out), args.max_wait, args.retries)
                walls = (plain, verbose, load_plain, load)
            problems, skipped, total = read_log(logs[key])
            lines = list(problems)
            meta = [problems[l] for l in lines]
            pfile = os.path.join(args.out, f"problems-{name}-{isa}.txt")
            with open(pfile, "w") as f:
                f.write("\n".join(lines) + "\n")
            rounds = {lib: [] for lib in libs}
            foreign = {lib: [] for lib in libs}
            for r in range(args.rounds):
                order = libs[r % len(libs):] + libs[:r % len(libs)]
                for lib in order:
                    print(f"[{key}] round {r + 1}/{args.rounds}: {lib}", file=sys.stderr)
                    res, load = quietly(lambda: replay(*tools[lib], isa, pfile,
                                                       args.budget_ms), args.max_wait,
                                          args.retries)
                    rounds[lib].append(res)
                    foreign[lib].append(load)
            per_lib = {lib: [best_round(rounds[lib], i) for i in range(len(lines))]
                       for lib in libs}
            text, sums = report(lines, meta, per_lib, libs, args.top)
            replayed_log = sum(m["log_ms"] for m in meta)
            sec = [f"### {name}, ISA {isa}", ""]
            sec.append(f"Log `{os.path.basename(logs[key])}`: {len(lines)} distinct "
                       f"primitives, {sum(m['count'] for m in meta)} calls.")
            if walls:
                plain, verbose, load_plain, load = walls
                sec.append(f"Whole render with 2.6 (`loupe render --no-cache`): "
                           f"{plain:.1f} s, {verbose:.1f} s with DNNL_VERBOSE; "
                           f"other processes used {load_plain:.2f} and {load:.2f} "
                           "CPUs meanwhile.")
            sec.append(f"Σ oneDNN exec time in the log: {total / 1000:.2f} s, of "
                       f"which the replayed kinds cover {replayed_log / 1000:.2f} s.")
            if skipped:
                sec.append("Not replayed: " + ", ".join(
                    f"{why} ({n} calls, {ms:.0f} ms)" for why, (n, ms) in
                    sorted(skipped.items(), key=lambda kv: -kv[1][1])) + ".")
            sec.append("CPUs used by other processes during each replay (upper bound, see quietly()): " + "; ".join(
                f"{lib}: " + " ".join(f"{x:.2f}" for x in foreign[lib]) for lib in libs)
                + ".")
            sec += ["", text, ""]
            sections.append("\n".join(sec))
            print("\n".join(sec))
            table.append((name, isa, total, sums))
            summary[key] = {"log": logs[key], "walls": walls,
                            "foreign_cpus": foreign, "log_exec_ms": total,
                            "sums": sums, "problems": lines, "meta": meta,
                            "rounds": rounds, "skipped": skipped}

    head = ["notebook", "ISA", "log exec ms", "calls"] + \
        [f"{lib} ms" for lib in libs] + [f"{libs[0]}/{lib}" for lib in libs[1:]]
    summ = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, isa, total, sums in table:
        row = [name, isa, f"{total:.0f}", str(sums.get("calls", 0))]
        row += [f"{sums.get(lib, 0):.0f}" for lib in libs]
        row += [f"{sums[libs[0]] / sums[lib]:.2f}×" if sums.get(lib) else "-"
                for lib in libs[1:]]
        summ.append("| " + " | ".join(row) + " |")
    doc = [f"# oneDNN versions: kernel replay", "",
           f"Machine: {machine()}.", "",
           f"Libraries: {', '.join(libs)}; {args.rounds} rounds, "
           f"{args.budget_ms:g} ms per problem per round; run took "
           f"{(time.monotonic() - started) / 60:.1f} min.", "",
           "Weighted primitive time (Σ calls × fastest per-round median):", ""]
    doc += summ + [""] + sections
    with open(os.path.join(args.out, "report.md"), "w") as f:
        f.write("\n".join(doc) + "\n")
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(summary, f)
    print("\n".join(summ))
    print(f"\nwrote {os.path.join(args.out, 'report.md')}", file=sys.stderr)


if __name__ == "__main__":
    main()
