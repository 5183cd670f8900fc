#!/usr/bin/python3
"""Writes the checkpoint-reader fixtures for LoupeModelsTests.

Run with Debian's Python, which has PyTorch 1.13:

    /usr/bin/python3 Scripts/parity/checkpoints.py

Everything goes to Tests/LoupeModelsTests/Fixtures/checkpoints/:

- good files in every format Loupe reads, all seeded: a tiny conv + BN + linear model saved as
  zip, legacy, safetensors (F32, F16, BF16), TorchScript (scripted and traced), nested in
  training-script wrappers, DataParallel-prefixed, big-endian; a dict of views and shared
  storages (zip and legacy) and a legacy file whose storage is a view of another;
- expected.json: for each good file, the tensors PyTorch itself loads from it
  (`torch.load`, `torch.jit.load(...).state_dict()`, or the values written by hand for
  safetensors), as {"shape": [...], "data": [...]} in row-major order;
- hostile files built byte by byte (nothing dangerous is ever pickled or run): globals such as
  posix.system and builtins.eval, truncated zip and legacy files, random bytes, an empty file,
  safetensors offsets past the end, forged length fields.

Legacy files name their storages by memory address, so they (and TorchScript archives) differ
from run to run; expected.json always matches the files written with it.
"""

import collections
import io
import json
import os
import pickle
import random
import struct
import sys
import zipfile

import torch
from torch import nn

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.normpath(os.path.join(ROOT, "Tests", "LoupeModelsTests", "Fixtures", "checkpoints"))

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_VERSION = 1001


class Tiny(nn.Module):
    """A few hundred parameters with every kind of state_dict entry: conv, BN, Sequential, linear."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = nn.Sequential(nn.Conv2d(8, 4, 1), nn.ReLU())
        self.fc = nn.Linear(4, 5)

    def body(self, x):
        x = self.layer1(self.bn1(self.conv1(x)))
        return self.fc(x.mean((2, 3)))

    def forward(self, x):
        return self.body(x)


class TinyWithAttribute(Tiny):
    """Holds a plain tensor attribute, which TorchScript keeps but state_dict() leaves out."""

    def __init__(self):
        super().__init__()
        self.offsets = torch.randn(5)

    def forward(self, x):
        return self.body(x) + self.offsets


class TinyWithConstant(Tiny):
    """Adds a tensor that tracing turns into a constant (constants.pkl)."""

    def forward(self, x):
        return self.body(x) + torch.arange(5.0)


def tiny_model(cls=Tiny):
    torch.manual_seed(0)
    model = cls()
    with torch.no_grad():
        model.bn1.running_mean.copy_(torch.randn(8))
        model.bn1.running_var.copy_(torch.rand(8) + 0.5)
        model.bn1.num_batches_tracked.fill_(7)
    return model.eval()


def expected(tensors):
    """Row-major values as PyTorch converts them to float32."""
    return {
        key: {"shape": list(value.shape), "data": value.detach().float().contiguous().flatten().tolist()}
        for key, value in tensors.items()
    }


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def saved(obj, legacy=False):
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=not legacy)
    return buffer.getvalue()


# --- safetensors, written by hand (the format is a length, a JSON header and the data) --------

SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
                      torch.float64: "F64"}


def safetensors_bytes(tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    for key, value in tensors.items():
        value = value.detach().contiguous()
        if value.dtype == torch.bfloat16:
            raw = value.view(torch.int16).numpy().astype("<i2").tobytes()
        else:
            raw = value.numpy().astype(value.numpy().dtype.newbyteorder("<")).tobytes()
        header[key] = {"dtype": SAFETENSORS_DTYPES[value.dtype], "shape": list(value.shape),
                       "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata is not None:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the reference writer pads the header to 8 bytes
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


# --- pickles built by hand --------------------------------------------------------------------

def legacy_preamble():
    """The three small pickles torch.save writes before the object in the legacy format."""
    sys_info = dict(protocol_version=LEGACY_VERSION, little_endian=True,
                    type_sizes=dict(short=2, int=4, long=4))
    return b"".join(pickle.dumps(value, protocol=2) for value in (LEGACY_MAGIC, LEGACY_VERSION, sys_info))


class _Storage:
    def __init__(self, pid):
        self.pid = pid


class _Tensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return (torch._utils._rebuild_tensor_v2, self.args)


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _Storage) else None


def legacy_storage_view():
    """A legacy file whose tensors sit on views of one root storage (view_metadata is set)."""
    root = torch.arange(24, dtype=torch.float32) * 0.25 - 3
    view1 = _Storage(("storage", torch.FloatStorage, "root", "cpu", 24, ("view1", 6, 12)))
    view2 = _Storage(("storage", torch.FloatStorage, "root", "cpu", 24, ("view2", 20, 4)))
    whole = _Storage(("storage", torch.FloatStorage, "root", "cpu", 24, None))
    obj = collections.OrderedDict(
        a=_Tensor(view1, 2, (2, 3), (3, 1)),
        b=_Tensor(view1, 0, (3, 2), (1, 3)),
        c=_Tensor(view2, 1, (3,), (1,)),
        d=_Tensor(whole, 0, (4, 6), (6, 1)),
    )
    main = io.BytesIO()
    _Pickler(main, protocol=2).dump(obj)
    keys = pickle.dumps(["root"], protocol=2)
    return legacy_preamble() + main.getvalue() + keys + struct.pack("<q", 24) + root.numpy().astype("<f4").tobytes()


def evil_posix_system():
    """A bare pickle calling posix.system('echo pwned'): GLOBAL, argument tuple, REDUCE."""
    return (b"\x80\x02" + b"cposix\nsystem\n" + b"q\x00"
            + b"X" + struct.pack("<I", 10) + b"echo pwned" + b"\x85" + b"R" + b".")


def evil_legacy_os_system():
    """A legacy file with a valid preamble whose main pickle calls os.system."""
    payload = (b"\x80\x02" + b"}q\x00(X\x06\x00\x00\x00weightq\x01"
               + b"cos\nsystem\n" + b"X" + struct.pack("<I", 10) + b"echo pwned" + b"\x85R" + b"u.")
    return legacy_preamble() + payload


def fixed_time(name):
    """A zip entry with a fixed timestamp, so that the fixtures are the same bytes on every run."""
    return zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))


def zip_with_pickle(folder, pickle_bytes):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(fixed_time(folder + "/data.pkl"), pickle_bytes)
        archive.writestr(fixed_time(folder + "/version"), b"3\n")
    return buffer.getvalue()


def evil_builtins_eval_zip():
    """A zip checkpoint whose data.pkl (protocol 4, framed) calls builtins.eval via STACK_GLOBAL."""
    body = (b"\x8c\x08builtins\x94" + b"\x8c\x04eval\x94" + b"\x93\x94"
            + b"\x8c\x1b__import__('os').getcwd()\x94" + b"\x85\x94" + b"R\x94" + b".")
    return zip_with_pickle("evil_eval", b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body)


def zip_huge_pickle_length():
    """data.pkl announces a 2**60-byte string (BINUNICODE8) and holds three bytes."""
    return zip_with_pickle("huge", b"\x80\x02\x8d" + struct.pack("<Q", 1 << 60) + b"abc.")


def zip_huge_entry_size(good):
    """A good zip whose directory claims data.pkl is 0x7ffffff0 bytes long."""
    data = bytearray(good)
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        info = next(i for i in archive.infolist() if i.filename.endswith("/data.pkl"))
    # The local header's sizes (offsets 18 and 22), then the central directory entry's (20 and 24).
    struct.pack_into("<II", data, info.header_offset + 18, 0x7FFFFFF0, 0x7FFFFFF0)
    central = 0
    position = data.find(b"PK\x01\x02")
    while position != -1:
        name_length = struct.unpack_from("<H", data, position + 28)[0]
        name = bytes(data[position + 46:position + 46 + name_length])
        if name == info.filename.encode():
            central = position
            break
        position = data.find(b"PK\x01\x02", position + 4)
    assert central, "central directory entry not found"
    struct.pack_into("<II", data, central + 20, 0x7FFFFFF0, 0x7FFFFFF0)
    return bytes(data)


def truncated_zip(good):
    """Cuts a zip in the middle of its largest storage record."""
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        largest = max((i for i in archive.infolist() if "/data/" in i.filename), key=lambda i: i.file_size)
    header = largest.header_offset
    name_length, extra_length = struct.unpack_from("<HH", good, header + 26)
    start = header + 30 + name_length + extra_length
    return good[:start + largest.file_size // 2]


def truncated_legacy(good):
    """Cuts a legacy file in the middle of its first storage's elements."""
    stream = io.BytesIO(good)
    for _ in range(3):  # magic, version, sys info
        pickle.load(stream)
    _skip_pickle(stream)  # the object
    pickle.load(stream)  # the storage keys
    start = stream.tell()
    count = struct.unpack_from("<q", good, start)[0]
    return good[:start + 8 + count * 2]


def _skip_pickle(stream):
    class Skipper(pickle.Unpickler):
        def find_class(self, module, name):
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            return lambda *args, **kwargs: None

        def persistent_load(self, pid):
            return None

    Skipper(stream).load()


def storage_dtypes(zip_bytes):
    """Maps each storage key of a zip checkpoint to its element size, by reading the pickle inertly."""
    sizes = {}

    class Reader(pickle.Unpickler):
        def find_class(self, module, name):
            if name.endswith("Storage"):
                return getattr(torch, name)
            if (module, name) == ("collections", "OrderedDict"):
                return collections.OrderedDict
            return lambda *args, **kwargs: None

        def persistent_load(self, pid):
            sizes[pid[2]] = pid[1](0).element_size()
            return None

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        pkl = next(n for n in archive.namelist() if n.endswith("/data.pkl"))
        Reader(io.BytesIO(archive.read(pkl))).load()
    return sizes


def big_endian_zip(good, folder):
    """Rewrites a zip checkpoint with big-endian storages and a byteorder record saying so."""
    sizes = storage_dtypes(good)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            name = folder + "/" + info.filename.split("/", 1)[1]
            if "/data/" in info.filename:
                size = sizes[info.filename.rsplit("/", 1)[1]]
                data = b"".join(data[i:i + size][::-1] for i in range(0, len(data), size))
            target.writestr(fixed_time(name), data)
        target.writestr(fixed_time(folder + "/byteorder"), b"big")
    return out.getvalue()


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    expectations = {}

    def good(name, data, tensors):
        write(name, data)
        expectations[name] = expected(tensors)

    model = tiny_model()
    state = model.state_dict()
    zip_bytes = saved(state)
    legacy_bytes = saved(state, legacy=True)
    good("tiny_zip.pt", zip_bytes, torch.load(io.BytesIO(zip_bytes)))
    good("tiny_legacy.pt", legacy_bytes, torch.load(io.BytesIO(legacy_bytes)))
    good("tiny_big_endian.pt", big_endian_zip(zip_bytes, "tiny_big_endian"), state)

    # safetensors: F32, and F16/BF16 copies (num_batches_tracked stays I64) whose expected values
    # are the rounded ones.
    good("tiny_f32.safetensors", safetensors_bytes(state, {"format": "pt"}), state)
    for dtype, name in ((torch.float16, "tiny_f16.safetensors"), (torch.bfloat16, "tiny_bf16.safetensors")):
        rounded = {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}
        good(name, safetensors_bytes(rounded), rounded)

    # TorchScript: a scripted module with a plain tensor attribute (not in state_dict), and a
    # traced one with a tensor constant.
    scripted = torch.jit.script(tiny_model(TinyWithAttribute))
    buffer = io.BytesIO()
    torch.jit.save(scripted, buffer)
    good("tiny_script.pt", buffer.getvalue(), torch.jit.load(io.BytesIO(buffer.getvalue())).state_dict())
    traced = torch.jit.trace(tiny_model(TinyWithConstant), torch.randn(1, 3, 6, 6))
    buffer = io.BytesIO()
    torch.jit.save(traced, buffer)
    good("tiny_traced.pt", buffer.getvalue(), torch.jit.load(io.BytesIO(buffer.getvalue())).state_dict())

    # Training-script wrappers and DataParallel.
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    model(torch.randn(2, 3, 6, 6)).sum().backward()
    optimizer.step()
    model.eval()
    state = model.state_dict()
    nested = {"epoch": 3, "state_dict": state, "optimizer": optimizer.state_dict(), "best_acc1": 0.5,
              "arch": "tiny"}
    good("nested_state_dict.pt", saved(nested), state)
    good("nested_model_legacy.pt", saved({"model": state, "epoch": 3}, legacy=True), state)
    good("nested_model_state_dict.pt", saved({"epoch": 3, "model_state_dict": state,
                                              "optimizer_state_dict": optimizer.state_dict()}), state)
    parallel = nn.DataParallel(model).state_dict()
    assert all(k.startswith("module.") for k in parallel)
    good("dataparallel.pt", saved(parallel), state)

    # Views, shared storages, parameters, and every dtype Loupe converts.
    torch.manual_seed(1)
    t = torch.randn(4, 6)
    views = collections.OrderedDict(
        a=t, b=t[1:3], c=t.t(), d=t[:, ::2], e=t[2],
        f=torch.randn(3, 1).expand(3, 4),
        h=torch.randn(2, 3).half().t(),
        bf=torch.randn(5).bfloat16(),
        n=torch.tensor(7), i=torch.tensor([1, -5, 2 ** 40 + 1]),
        p=nn.Parameter(torch.randn(2, 2)),
        empty=torch.zeros(0, 3),
    )
    for name, legacy in (("views_zip.pt", False), ("views_legacy.pt", True)):
        data = saved(views, legacy=legacy)
        good(name, data, torch.load(io.BytesIO(data)))
    data = legacy_storage_view()
    good("legacy_storage_view.pt", data, torch.load(io.BytesIO(data)))

    # Unsupported element type (float64): the error names the key.
    write("float64.pt", saved({"ok": torch.ones(2), "weight": torch.ones(3, dtype=torch.float64)}))
    write("float64.safetensors", safetensors_bytes({"ok": torch.ones(2), "weight": torch.ones(3, dtype=torch.float64)}))

    # Hostile files.
    write("evil_posix_system.pt", evil_posix_system())
    write("evil_legacy_os_system.pt", evil_legacy_os_system())
    write("evil_builtins_eval.pt", evil_builtins_eval_zip())
    write("truncated_zip.pt", truncated_zip(zip_bytes))
    write("truncated_legacy.pt", truncated_legacy(legacy_bytes))
    noise = random.Random(1234).randbytes(300)
    assert noise[:2] != b"PK" and noise[0] != 0x80 and noise[8] != ord("{")
    write("random.bin", noise)
    write("empty.pt", b"")
    header = json.dumps({"w": {"dtype": "F32", "shape": [1000], "data_offsets": [0, 4000]}}).encode()
    past_end = struct.pack("<Q", len(header)) + header + torch.ones(10).numpy().astype("<f4").tobytes()
    write("safetensors_past_end.safetensors", past_end)
    write("zip_huge_pickle_length.pt", zip_huge_pickle_length())
    write("zip_huge_entry_size.pt", zip_huge_entry_size(zip_bytes))

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expectations, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, n)) for n in os.listdir(OUT))
    print(f"wrote {len(os.listdir(OUT))} files, {total} bytes, to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
