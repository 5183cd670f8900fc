#!/usr/bin/env python3
"""Merges the rounds of several bench.py runs of the same log.

A problem's time is again the lowest of its per-round medians, now over the
rounds of every run given, so a problem that a busy neighbour hit in every
round of one run (the ~8 ms per call of a 2-thread OpenMP barrier waiting a
scheduler slice) gets its quiet time from another run.

  python3 merge.py attribution:avx2 ~/.cache/loupe-bench/out ~/.cache/loupe-bench/out-rerun

Prints the per-kind table and the top primitives by time, in the format of
report.md.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import report  # noqa: E402


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    key, dirs = sys.argv[1], sys.argv[2:]
    runs = [json.load(open(os.path.join(d, "results.json")))[key] for d in dirs]
    lines, meta = runs[0]["problems"], runs[0]["meta"]
    if any(r["problems"] != lines for r in runs):
        sys.exit("the runs replayed different problem lists")
    libs = list(runs[0]["rounds"])
    per_lib = {}
    for lib in libs:
        rounds = [rd for r in runs for rd in r["rounds"][lib]]
        per_lib[lib] = []
        for i in range(len(lines)):
            results = [rd[str(i)] for rd in rounds if str(i) in rd]
            if not results or any("error" in x for x in results):
                per_lib[lib].append(None)
                continue
            fastest = min(results, key=lambda x: x["ms"])
            per_lib[lib].append(dict(fastest, create=sorted(
                x["create"] for x in results)[len(results) // 2]))
        print(f"{lib}: {len(rounds)} rounds", file=sys.stderr)
    text, _ = report(lines, meta, per_lib, libs, 10)
    print(text)


if __name__ == "__main__":
    main()
