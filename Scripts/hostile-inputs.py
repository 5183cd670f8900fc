#!/usr/bin/env python3
"""Inputs built to exhaust memory, run through the real `loupe` binary: each must end with a clear
error (no crash, no signal) and a peak resident set no larger than the same command's on a small
legitimate input plus twice the hostile file's size.

    python3 Scripts/hostile-inputs.py --loupe .build/release/loupe [--markdown]

The cases (built here, in a temporary folder, from nothing but the standard library):

  image        a PNG whose header declares 100,000 x 100,000 pixels; a JPEG declaring 65,000 x 65,000
  checkpoint   a safetensors header and a torch zip each declaring a 10^12-element tensor; a torch zip
               whose data entry inflates to 512 MiB for a 16-element tensor (a decompression bomb);
               a pickle nested 100,000 deep
  notebook     100,000 directive cells; one line of 100 MiB

Peak RSS is the child's own (`wait4`, from a small launcher process), in MiB, with 4 MiB for the
run-to-run spread of the same command's peak. A case may carry an allowance above the bound, with
its reason, printed in the table. The baselines are the same commands on a 2 x 2 PNG,
on a valid 16-element checkpoint and on a one-cell notebook. Exit status 1 when any case fails.
"""

import argparse
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from collections import OrderedDict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOG = os.path.join(ROOT, "Notebooks", "images", "dog.jpg")


def png(width, height, pixels=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = pixels if pixels is not None else b"\x00" * 64
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width, height):
    # SOI, a baseline SOF0 declaring the size with three components, then EOI: no tables, no scan.
    sof = struct.pack(">HBHHB", 17, 8, height, width, 3) + bytes([1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0])
    # A quantisation table and a scan header, so that a decoder reads the size as it would a
    # real photo's; the scan's entropy-coded data is a few bytes of nothing.
    dqt = struct.pack(">HB", 67, 0) + bytes([1] * 64)
    sos = struct.pack(">HB", 12, 3) + bytes([1, 0x00, 2, 0x11, 3, 0x11, 0, 63, 0])
    return b"\xff\xd8" + b"\xff\xdb" + dqt + b"\xff\xc0" + sof + b"\xff\xda" + sos + b"\x00" * 16 + b"\xff\xd9"


# A torch zip written without torch: the pickle PyTorch's own saver produces, with a storage
# record of our choosing (`numel` elements) and the data entry given.
class _FloatStorage:  # pickled by reference, as torch.FloatStorage
    pass


def _rebuild(*args):  # never called: pickled by reference, as torch._utils._rebuild_tensor_v2
    raise RuntimeError


_torch, _utils = type(sys)("torch"), type(sys)("torch._utils")
_FloatStorage.__module__, _FloatStorage.__qualname__ = "torch", "FloatStorage"
_rebuild.__module__, _rebuild.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
_torch.FloatStorage, _utils._rebuild_tensor_v2 = _FloatStorage, _rebuild
sys.modules.setdefault("torch", _torch)
sys.modules.setdefault("torch._utils", _utils)


class _Storage:
    def __init__(self, numel):
        self.numel = numel


class _Tensor:
    def __init__(self, numel, shape):
        self.numel, self.shape = numel, shape


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", _FloatStorage, "0", "cpu", obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _Tensor):
            strides, step = [], 1
            for size in reversed(obj.shape):
                strides.insert(0, step)
                step *= size
            return (_rebuild, (_Storage(obj.numel), 0, tuple(obj.shape), tuple(strides), False, OrderedDict()))
        return NotImplemented


def torch_zip(path, numel, shape, data=b"", zeros=0):
    """Writes a torch zip whose storage 0 holds `data`, or `zeros` zero bytes deflated (streamed,
    so that this script never holds them)."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=2).dump(OrderedDict([("weight", _Tensor(numel, shape))]))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", buffer.getvalue())
        archive.writestr("archive/byteorder", "little")
        entry = zipfile.ZipInfo("archive/data/0")
        entry.compress_type = zipfile.ZIP_DEFLATED if zeros else zipfile.ZIP_STORED
        with archive.open(entry, "w", force_zip64=True) as stream:
            stream.write(data)
            for _ in range(zeros >> 20):
                stream.write(bytes(1 << 20))
        archive.writestr("archive/version", "3\n")
    return path


def safetensors(header):
    return struct.pack("<Q", len(header)) + header.encode()


def cases(folder, loupe):
    def write(name, data):
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        return path

    predict_image = lambda path: [loupe, "predict", "--image", path, "--model", "efficientnet-lite0"]
    predict_weights = lambda path: [loupe, "predict", "--arch", "resnet18", "--weights", path, "--image", DOG]
    out = os.path.join(folder, "report.html")
    render = lambda path: [loupe, "render", path, "-o", out, "--no-cache", "--quiet"]

    image_base = predict_image(write("small.png", png(2, 2, b"\x00" + b"\x80" * 6 + b"\x00" + b"\x80" * 6)))
    weights_base = predict_weights(torch_zip(os.path.join(folder, "small.pt"), 16, (4, 4), bytes(64)))
    notebook_base = render(write("small.md", "# one cell\n\n```{image} photo\n:src: " + DOG + "\n```\n"))

    many = "".join(f"```{{image}} p{i}\n:src: {DOG}\n```\n\n" for i in range(100_000))
    line = os.path.join(folder, "line.md")
    with open(line, "w") as f:
        f.write("# ")
        for _ in range(100):
            f.write("x" * (1 << 20))
        f.write("\n")
    nested = b"\x80\x02" + b"]" * 100_000 + b"a" * 99_999 + b"."
    nested_zip = io.BytesIO()
    with zipfile.ZipFile(nested_zip, "w") as archive:
        archive.writestr("archive/data.pkl", nested)
        archive.writestr("archive/version", "3\n")
    return [
        ("image", "PNG declaring 100,000 x 100,000 pixels", image_base,
         predict_image(write("huge.png", png(100_000, 100_000))), "pixels"),
        ("image", "JPEG declaring 65,000 x 65,000 pixels", image_base,
         predict_image(write("huge.jpg", jpeg(65_000, 65_000))), "pixels"),
        ("checkpoint", "safetensors header declaring 10^12 elements", weights_base,
         predict_weights(write("huge.safetensors", safetensors(
             '{"weight":{"dtype":"F32","shape":[1000000,1000000],"data_offsets":[0,4000000000000]}}') + b"\x00" * 64)),
         "huge.safetensors"),
        ("checkpoint", "torch zip declaring a 10^12-element storage", weights_base,
         predict_weights(torch_zip(os.path.join(folder, "huge.pt"), 10**12, (10**6, 10**6), bytes(64))), "huge.pt"),
        ("checkpoint", "torch zip whose 16-element tensor's entry inflates to 512 MiB", weights_base,
         predict_weights(torch_zip(os.path.join(folder, "bomb.pt"), 16, (4, 4), zeros=512 << 20)), "bomb.pt"),
        ("checkpoint", "pickle nested 100,000 deep", weights_base,
         predict_weights(write("nested.pt", nested_zip.getvalue())), "nested.pt",
         (16, "each of the 100,000 lists the pickle builds costs about 140 bytes until it is refused")),
        ("notebook", "100,000 directive cells", notebook_base, render(write("many.md", many)), "many.md"),
        ("notebook", "one line of 100 MiB", notebook_base, render(line), "line.md"),
    ]


# Runs the command in a fresh, small Python process and prints its exit status and peak RSS:
# a child forked from this script would count this script's own pages in its peak.
LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
sys.stderr.write("\\nLAUNCHER %d %d\\n" % (os.waitstatus_to_exitcode(status), usage.ru_maxrss))
"""


NOISE_MIB = 4


def run(command):
    result = subprocess.run([sys.executable, "-c", LAUNCHER] + command, capture_output=True, cwd=ROOT)
    err = result.stderr.decode("utf-8", "replace")
    err, _, tail = err.rpartition("\nLAUNCHER ")
    status, rss = (int(x) for x in tail.split())
    text = (result.stdout.decode("utf-8", "replace") + err).strip()
    return status, rss / 1024, text


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loupe", required=True)
    parser.add_argument("--markdown", action="store_true", help="print the table for docs/robustness.md")
    args = parser.parse_args()
    loupe = os.path.abspath(args.loupe)
    failures, rows, baselines = 0, [], {}
    with tempfile.TemporaryDirectory(prefix="loupe-hostile-") as folder:
        for kind, what, base, command, named, *allowance in cases(folder, loupe):
            extra, reason = allowance[0] if allowance else (0, "")
            if kind not in baselines:
                status, rss, text = run(base)
                baselines[kind] = rss
            path = command[command.index("--image") + 1] if kind == "image" else (
                command[command.index("--weights") + 1] if kind == "checkpoint" else command[2])
            size = os.path.getsize(path)
            status, rss, text = run(command)
            message = text.splitlines()[-1] if text else ""
            bound = baselines[kind] + 2 * size / (1 << 20) + extra + NOISE_MIB
            problems = []
            if status <= 0:
                problems.append(f"exit status {status} (a signal or success)")
            if named not in message:
                problems.append(f"the message does not name '{named}'")
            if rss > bound:
                problems.append(f"peak RSS {rss:.0f} MiB over the bound {bound:.0f} MiB")
            failures += bool(problems)
            rows.append((kind, what, size, rss, baselines[kind], status, message, problems, extra, reason))
    for kind, what, size, rss, base, status, message, problems, extra, reason in rows:
        if args.markdown:
            shown = message.replace("|", "\\|").replace(folder, "…")
            if len(shown) > 160:
                shown = shown[:157] + "…"
            note = f" (allowed +{extra} MiB: {reason})" if extra else ""
            print(f"| {what} | {size:,} B | {rss:.0f} MiB (baseline {base:.0f}){note} | {status} | {shown} |")
        else:
            verdict = "FAIL: " + "; ".join(problems) if problems else "ok"
            print(f"{kind:10} {what:62} {size:>12,} B  peak {rss:6.0f} MiB (baseline {base:4.0f})  exit {status}  {verdict}")
            print(f"{'':10} {message[:200]}")
    print(f"hostile inputs: {len(rows) - failures} of {len(rows)} refused within bounds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
