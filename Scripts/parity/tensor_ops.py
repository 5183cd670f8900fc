"""PyTorch parity fixtures for LoupeTensor's ops.

Generates one JSON file per op family under Tests/LoupeTensorTests/Fixtures/
(conv, norm, activation, pool, linear, softmax, binary, reduce, shape). Each
case records its inputs, PyTorch's forward output and, for differentiable ops,
a random upstream gradient ("grad_output") together with the gradients PyTorch
computes for every input listed in "grads". The Swift tests replay each case
through LoupeTensor and compare.

Everything is float32 on the CPU. Each case seeds torch from a CRC of its
name, and torch runs single-threaded, so re-running produces identical bytes
and adding or removing a case leaves the others unchanged.

Rerun from the repository root with Debian's Python (which has torch):

    /usr/bin/python3 Scripts/parity/tensor_ops.py
"""

import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT_DIR = os.path.join(ROOT, "Tests", "LoupeTensorTests", "Fixtures")
GENERATOR = "Scripts/parity/tensor_ops.py"

torch.set_num_threads(1)
torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------- helpers

def T(t):
    """Serialise a tensor as {"shape", "data"} with exact float32 values."""
    t = t.detach().to(torch.float32).contiguous()
    data = [float(v) for v in t.flatten().tolist()]
    for v in data:
        if not math.isfinite(v):
            raise ValueError("non-finite value in fixture tensor")
    return {"shape": list(t.shape), "data": data}


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape)) * scale


def make_case(name, op, params, build, fn, grads=True):
    """Build one case.

    build() -> dict of input tensors (called right after seeding).
    fn(inputs) -> output tensor, or a dict {"output": t, "indices": t}.
    grads: True for "all inputs", False for none, or a list of input names.
    """
    torch.manual_seed(zlib.crc32(name.encode("utf-8")))
    inputs = build()
    if grads is True:
        grad_keys = list(inputs.keys())
    elif grads is False:
        grad_keys = []
    else:
        grad_keys = list(grads)
    inputs = {k: (v.detach().clone().requires_grad_(True) if k in grad_keys else v.detach().clone())
              for k, v in inputs.items()}

    if grad_keys:
        result = fn(inputs)
    else:
        with torch.no_grad():
            result = fn(inputs)
    if isinstance(result, dict):
        out, indices = result["output"], result.get("indices")
    else:
        out, indices = result, None

    case = {"name": name, "op": op, "params": params,
            "inputs": {k: T(v) for k, v in inputs.items()},
            "output": T(out)}
    if indices is not None:
        case["indices"] = T(indices.to(torch.float32))
    if grad_keys:
        grad_output = torch.randn_like(out)
        out.backward(grad_output)
        case["grad_output"] = T(grad_output)
        case["grads"] = {k: T(inputs[k].grad) for k in grad_keys}
    return case


def nudge(x, kinks, gap=1e-3, step=1e-2):
    """Move values within `gap` of any kink to kink +/- step (keeping their side)."""
    x = x.clone()
    for k in kinks:
        d = x - k
        near = d.abs() < gap
        side = torch.where(d >= 0, torch.ones_like(d), -torch.ones_like(d))
        x = torch.where(near, k + side * step, x)
    return x


def away_from_zero(x, margin=0.55):
    """Map randn samples to values with |v| >= margin (for divisors)."""
    side = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
    return side * (margin + x.abs())


# ---------------------------------------------------------------- conv

def conv_cases():
    cases = []

    def conv(name, n, c, h, w, o, k, stride=(1, 1), padding=(0, 0, 0, 0),
             dilation=(1, 1), groups=1, bias=True):
        kh, kw = (k, k) if isinstance(k, int) else k
        params = {"stride": list(stride), "padding": list(padding),
                  "dilation": list(dilation), "groups": groups, "bias": bias}
        fan_in = (c // groups) * kh * kw

        def build():
            d = {"x": randn(n, c, h, w),
                 "w": randn(o, c // groups, kh, kw, scale=1.0 / math.sqrt(fan_in))}
            if bias:
                d["b"] = randn(o, scale=0.5)
            return d

        def fn(i):
            top, bottom, left, right = padding
            xp = F.pad(i["x"], (left, right, top, bottom))
            return F.conv2d(xp, i["w"], i.get("b"), tuple(stride), 0, tuple(dilation), groups)

        cases.append(make_case("conv2d/" + name, "conv2d", params, build, fn))

    conv("k3_s1_p1", 1, 3, 8, 8, 4, 3, padding=(1, 1, 1, 1))
    conv("k3_s1_p1_nobias", 1, 3, 8, 8, 4, 3, padding=(1, 1, 1, 1), bias=False)
    conv("k1", 1, 4, 6, 5, 6, 1)
    conv("k1_nobias", 2, 4, 5, 3, 3, 1, bias=False)
    conv("k7_s2_p3_odd", 1, 3, 13, 11, 8, 7, stride=(2, 2), padding=(3, 3, 3, 3))
    conv("k3_s2_p1_odd", 1, 4, 9, 7, 5, 3, stride=(2, 2), padding=(1, 1, 1, 1))
    conv("k3_s2_p1_odd_nobias", 1, 4, 9, 7, 5, 3, stride=(2, 2), padding=(1, 1, 1, 1), bias=False)
    conv("k3_s2_same_asym", 1, 3, 8, 8, 4, 3, stride=(2, 2), padding=(0, 1, 0, 1))
    conv("k4_s1_same_asym", 1, 2, 7, 6, 3, 4, padding=(1, 2, 1, 2))
    conv("k3_s1_d2_p2", 1, 3, 9, 9, 4, 3, padding=(2, 2, 2, 2), dilation=(2, 2))
    conv("k3_s1_d2_p0_nobias", 1, 2, 10, 8, 3, 3, dilation=(2, 2), bias=False)
    conv("k3_g2_p1", 1, 4, 7, 7, 6, 3, padding=(1, 1, 1, 1), groups=2)
    conv("dw_k3_s1_p1", 1, 4, 7, 7, 4, 3, padding=(1, 1, 1, 1), groups=4)
    conv("dw_k3_s2_p1_odd", 1, 6, 9, 9, 6, 3, stride=(2, 2), padding=(1, 1, 1, 1), groups=6)
    conv("dw_k5_s1_p2", 1, 4, 8, 8, 4, 5, padding=(2, 2, 2, 2), groups=4)
    conv("dw_k5_s2_p2_odd_nobias", 1, 4, 11, 9, 4, 5, stride=(2, 2), padding=(2, 2, 2, 2),
         groups=4, bias=False)
    conv("dw_mult2_k3_p1", 1, 3, 6, 6, 6, 3, padding=(1, 1, 1, 1), groups=3)
    conv("batch2_k3_p1", 2, 3, 6, 6, 4, 3, padding=(1, 1, 1, 1))
    conv("k3_s2_p0_uneven", 1, 3, 8, 8, 4, 3, stride=(2, 2))
    conv("k2_s3_uneven_rect", 1, 2, 10, 7, 3, 2, stride=(3, 3))
    conv("k1x3_s1x2_p0011", 1, 3, 5, 9, 4, (1, 3), stride=(1, 2), padding=(0, 0, 1, 1))
    conv("batch2_g2_d2_asym", 2, 4, 8, 7, 4, 3, stride=(2, 1), padding=(1, 2, 2, 1),
         dilation=(2, 2), groups=2)
    return cases


# ---------------------------------------------------------------- norm

def norm_cases():
    cases = []

    def bn(name, n, c, h, w, eps):
        def build():
            return {"x": randn(n, c, h, w, scale=2.0) + 0.5,
                    "weight": randn(c) * 0.5 + 1.0,
                    "bias": randn(c, scale=0.5),
                    "running_mean": randn(c, scale=0.5),
                    "running_var": torch.rand(c) + 0.5}

        def fn(i):
            return F.batch_norm(i["x"], i["running_mean"], i["running_var"], i["weight"], i["bias"],
                                training=False, eps=eps)

        cases.append(make_case("batch_norm/" + name, "batch_norm", {"eps": eps}, build, fn,
                               grads=["x", "weight", "bias"]))

    bn("n2c3_eps1e-5", 2, 3, 4, 5, 1e-5)
    bn("n1c4_eps1e-3", 1, 4, 3, 3, 1e-3)
    bn("n3c2_w1_eps1e-5", 3, 2, 5, 1, 1e-5)
    bn("n1c6_eps1e-3", 1, 6, 5, 4, 1e-3)

    def ln(name, shape, normalized_shape, eps):
        def build():
            return {"x": randn(*shape, scale=1.5) + 0.3,
                    "weight": randn(*normalized_shape) * 0.5 + 1.0,
                    "bias": randn(*normalized_shape, scale=0.5)}

        def fn(i):
            return F.layer_norm(i["x"], normalized_shape, i["weight"], i["bias"], eps)

        cases.append(make_case("layer_norm/" + name, "layer_norm",
                               {"normalized_shape": list(normalized_shape), "eps": eps},
                               build, fn))

    ln("2x5x8_last1_eps1e-5", (2, 5, 8), (8,), 1e-5)
    ln("3x4x6_last2_eps1e-5", (3, 4, 6), (4, 6), 1e-5)
    ln("3x4x6_last1_eps1e-3", (3, 4, 6), (6,), 1e-3)
    ln("2x5x8_last2_eps1e-3", (2, 5, 8), (5, 8), 1e-3)
    return cases


# ---------------------------------------------------------------- activation

def activation_cases():
    cases = []
    shape = (2, 3, 5, 7)

    def act(name, op, fn, params=None, build_x=None, kinks=()):
        def build():
            x = build_x() if build_x else randn(*shape, scale=4.0)
            return {"x": nudge(x, kinks) if kinks else x}

        cases.append(make_case("%s/%s" % (op, name), op, params or {}, build, lambda i: fn(i["x"])))

    act("scale4", "relu", F.relu, kinks=(0.0,))
    act("scale4", "relu6", F.relu6, kinks=(0.0, 6.0))
    act("scale4", "silu", F.silu)
    act("scale4", "sigmoid", torch.sigmoid)
    act("scale4", "tanh", torch.tanh)
    act("scale4_none", "gelu", lambda x: F.gelu(x, approximate="none"), {"approximate": "none"})
    act("scale4_tanh", "gelu", lambda x: F.gelu(x, approximate="tanh"), {"approximate": "tanh"})
    act("scale2", "exp", torch.exp, build_x=lambda: randn(*shape, scale=2.0))
    act("rand_plus_0.1", "log", torch.log, build_x=lambda: torch.rand(*shape) + 0.1)
    act("scale4", "abs", torch.abs, kinks=(0.0,))
    act("rand_plus_0.1", "sqrt", torch.sqrt, build_x=lambda: torch.rand(*shape) + 0.1)
    act("scale4", "square", torch.square)
    return cases


# ---------------------------------------------------------------- pool

def pool_cases():
    cases = []

    def maxpool(name, shape, kernel, stride, padding=(0, 0), dilation=(1, 1), ceil_mode=False):
        params = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding),
                  "dilation": list(dilation), "ceil_mode": ceil_mode}
        cases.append(make_case(
            "max_pool2d/" + name, "max_pool2d", params, lambda: {"x": randn(*shape)},
            lambda i: F.max_pool2d(i["x"], tuple(kernel), tuple(stride), tuple(padding),
                                   tuple(dilation), ceil_mode)))

    maxpool("resnet_k3_s2_p1_odd", (1, 2, 9, 9), (3, 3), (2, 2), (1, 1))
    maxpool("resnet_k3_s2_p1_even", (2, 2, 8, 8), (3, 3), (2, 2), (1, 1))
    maxpool("k2_s2", (1, 3, 8, 6), (2, 2), (2, 2))
    maxpool("k2_s2_floor_odd", (1, 2, 7, 7), (2, 2), (2, 2))
    maxpool("k2_s2_ceil_odd", (1, 2, 7, 7), (2, 2), (2, 2), ceil_mode=True)
    maxpool("k3_s2_p1_ceil_8x8", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1), ceil_mode=True)
    # ceil_mode where the last window would start inside the right/bottom padding:
    # PyTorch drops it (5x5, k2 s2 p1 -> 3x3, not 4x4).
    maxpool("k2_s2_p1_ceil_drop_last", (1, 2, 5, 5), (2, 2), (2, 2), (1, 1), ceil_mode=True)
    maxpool("k3_s1_d2", (1, 2, 9, 8), (3, 3), (1, 1), dilation=(2, 2))
    maxpool("k2x3_s1x2_p1x1_rect", (1, 2, 6, 9), (2, 3), (1, 2), (1, 1))

    def avgpool(name, shape, kernel, stride, padding=(0, 0), ceil_mode=False, count_include_pad=True):
        params = {"kernel": list(kernel), "stride": list(stride), "padding": list(padding),
                  "ceil_mode": ceil_mode, "count_include_pad": count_include_pad}
        cases.append(make_case(
            "avg_pool2d/" + name, "avg_pool2d", params, lambda: {"x": randn(*shape)},
            lambda i: F.avg_pool2d(i["x"], tuple(kernel), tuple(stride), tuple(padding),
                                   ceil_mode, count_include_pad)))

    avgpool("k2_s2", (1, 3, 8, 8), (2, 2), (2, 2))
    avgpool("k3_s2_p1_incl", (1, 2, 9, 9), (3, 3), (2, 2), (1, 1), count_include_pad=True)
    avgpool("k3_s2_p1_excl", (1, 2, 9, 9), (3, 3), (2, 2), (1, 1), count_include_pad=False)
    avgpool("k3_s1_p1_incl", (2, 2, 5, 6), (3, 3), (1, 1), (1, 1), count_include_pad=True)
    avgpool("k3_s1_p1_excl", (2, 2, 5, 6), (3, 3), (1, 1), (1, 1), count_include_pad=False)
    avgpool("k2_s2_ceil_odd", (1, 2, 7, 7), (2, 2), (2, 2), ceil_mode=True)
    # The last ceil-mode window runs past the padded edge; PyTorch's count_include_pad divisor
    # only counts the part that lies inside input + padding.
    avgpool("k3_s2_p1_ceil_incl", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1), ceil_mode=True,
            count_include_pad=True)
    avgpool("k3_s2_p1_ceil_excl", (1, 2, 8, 8), (3, 3), (2, 2), (1, 1), ceil_mode=True,
            count_include_pad=False)
    avgpool("k2_s2_p1_ceil_drop_last_incl", (1, 2, 5, 5), (2, 2), (2, 2), (1, 1), ceil_mode=True,
            count_include_pad=True)
    avgpool("k2x3_s2x1_p1x0_rect", (1, 2, 7, 6), (2, 3), (2, 1), (1, 0))

    def adaptive(name, shape, output_size):
        cases.append(make_case(
            "adaptive_avg_pool2d/" + name, "adaptive_avg_pool2d",
            {"output_size": list(output_size)}, lambda: {"x": randn(*shape)},
            lambda i: F.adaptive_avg_pool2d(i["x"], tuple(output_size))))

    adaptive("7x5_to_3x2", (1, 3, 7, 5), (3, 2))
    adaptive("8x8_to_1x1", (2, 4, 8, 8), (1, 1))
    adaptive("7x7_to_1x1", (1, 5, 7, 7), (1, 1))
    adaptive("6x6_to_3x3", (1, 2, 6, 6), (3, 3))
    adaptive("10x9_to_4x4", (1, 2, 10, 9), (4, 4))
    adaptive("5x7_to_5x7_identity", (1, 2, 5, 7), (5, 7))
    adaptive("3x4_to_5x6_upsample", (1, 2, 3, 4), (5, 6))
    return cases


# ---------------------------------------------------------------- linear / matmul

def linear_cases():
    cases = []

    def linear(name, x_shape, bias):
        def build():
            d = {"x": randn(*x_shape), "w": randn(6, 10, scale=1.0 / math.sqrt(10))}
            if bias:
                d["b"] = randn(6, scale=0.5)
            return d

        cases.append(make_case("linear/" + name, "linear", {"bias": bias}, build,
                               lambda i: F.linear(i["x"], i["w"], i.get("b"))))

    linear("4x10_bias", (4, 10), True)
    linear("4x10_nobias", (4, 10), False)
    linear("2x3x10_bias", (2, 3, 10), True)
    linear("2x3x10_nobias", (2, 3, 10), False)

    def matmul(name, a_shape, b_shape):
        cases.append(make_case("matmul/" + name, "matmul", {},
                               lambda: {"a": randn(*a_shape), "b": randn(*b_shape)},
                               lambda i: torch.matmul(i["a"], i["b"])))

    matmul("5x7_7x3", (5, 7), (7, 3))
    matmul("2x5x7_2x7x3", (2, 5, 7), (2, 7, 3))
    matmul("2x5x7_7x3_broadcast", (2, 5, 7), (7, 3))
    matmul("3x1x4x5_2x5x6_batch_broadcast", (3, 1, 4, 5), (2, 5, 6))
    return cases


# ---------------------------------------------------------------- softmax

def softmax_cases():
    cases = []
    for op, fn in (("softmax", F.softmax), ("log_softmax", F.log_softmax)):
        for name, shape, dim in (("2x3x5_dim-1", (2, 3, 5), -1),
                                 ("2x3x5_dim1", (2, 3, 5), 1),
                                 ("2x3x5_dim0", (2, 3, 5), 0),
                                 ("4x7_dim-1", (4, 7), -1),
                                 ("4x7_dim0", (4, 7), 0),
                                 ("2x3x4x5_dim1", (2, 3, 4, 5), 1)):
            cases.append(make_case(
                "%s/%s" % (op, name), op, {"dim": dim},
                lambda shape=shape: {"x": randn(*shape, scale=3.0)},
                lambda i, fn=fn, dim=dim: fn(i["x"], dim=dim)))
    return cases


# ---------------------------------------------------------------- binary

def binary_cases():
    cases = []
    configs = (("same_2x3x4x5", (2, 3, 4, 5), (2, 3, 4, 5)),
               ("nchw_b_1c11", (2, 3, 4, 5), (1, 3, 1, 1)),
               ("a_c11_nchw", (3, 1, 1), (2, 3, 4, 5)),
               ("both_3x1x5_1x4x1", (3, 1, 5), (1, 4, 1)),
               ("b_scalar", (2, 3, 4), ()))
    ops = (("add", torch.add), ("sub", torch.sub), ("mul", torch.mul), ("div", torch.div))
    for op, fn in ops:
        for name, a_shape, b_shape in configs:
            def build(a_shape=a_shape, b_shape=b_shape, op=op):
                a = randn(*a_shape)
                b = randn(*b_shape)
                if op == "div":
                    b = away_from_zero(b)
                return {"a": a, "b": b}

            cases.append(make_case("%s/%s" % (op, name), op, {}, build,
                                   lambda i, fn=fn: fn(i["a"], i["b"])))
    return cases


# ---------------------------------------------------------------- reduce

def reduce_cases():
    cases = []
    shape = (2, 3, 4, 5)
    for op, fn in (("sum", torch.sum), ("mean", torch.mean)):
        for name, dims, keepdim in (("dim1", [1], False),
                                    ("dim1_keep", [1], True),
                                    ("hw_keep", [2, 3], True),
                                    ("dims0_2", [0, 2], False),
                                    ("dim-1", [-1], False),
                                    ("dims-2_-1_keep", [-2, -1], True),
                                    ("all", [0, 1, 2, 3], False),
                                    ("all_keep", [0, 1, 2, 3], True)):
            cases.append(make_case(
                "%s/%s" % (op, name), op, {"dims": dims, "keepdim": keepdim},
                lambda: {"x": randn(*shape)},
                lambda i, fn=fn, dims=dims, keepdim=keepdim: fn(i["x"], dim=dims, keepdim=keepdim)))

    def max_fn(dim, keepdim):
        def fn(i):
            values, indices = torch.max(i["x"], dim=dim, keepdim=keepdim)
            return {"output": values, "indices": indices}
        return fn

    for name, dim, keepdim in (("dim1", 1, False), ("dim1_keep", 1, True),
                               ("dim-1", -1, False), ("dim0_keep", 0, True)):
        cases.append(make_case("max/" + name, "max", {"dim": dim, "keepdim": keepdim},
                               lambda: {"x": randn(*shape)}, max_fn(dim, keepdim)))

    def topk_fn(k, dim):
        def fn(i):
            values, indices = torch.topk(i["x"], k, dim=dim, largest=True, sorted=True)
            return {"output": values, "indices": indices}
        return fn

    for name, x_shape, k, dim in (("k3_dim-1", (2, 3, 7), 3, -1),
                                  ("k2_dim1", (2, 5, 4), 2, 1),
                                  ("k1_dim0", (6, 4), 1, 0),
                                  ("k5_dim-1_1d", (10,), 5, -1),
                                  ("k4_dim-1_logits", (3, 20), 4, -1)):
        cases.append(make_case("topk/" + name, "topk", {"k": k, "dim": dim, "largest": True},
                               lambda x_shape=x_shape: {"x": randn(*x_shape)}, topk_fn(k, dim),
                               grads=False))

    for name, x_shape, dim in (("dim1", (2, 5, 4), 1), ("dim-1", (3, 10), -1), ("dim0", (6, 4), 0)):
        cases.append(make_case("argmax/" + name, "argmax", {"dim": dim},
                               lambda x_shape=x_shape: {"x": randn(*x_shape)},
                               lambda i, dim=dim: torch.argmax(i["x"], dim=dim).to(torch.float32),
                               grads=False))
    return cases


# ---------------------------------------------------------------- shape

def shape_cases():
    cases = []

    def one(op, name, params, shape, fn):
        cases.append(make_case("%s/%s" % (op, name), op, params,
                               lambda: {"x": randn(*shape)}, fn))

    for name, shape, dims in (("nchw_to_nhwc", (2, 3, 4, 5), [0, 2, 3, 1]),
                              ("nhwc_to_nchw", (2, 4, 5, 3), [0, 3, 1, 2]),
                              ("3d_201", (3, 4, 5), [2, 0, 1]),
                              ("2d_10", (4, 6), [1, 0])):
        one("permute", name, {"dims": dims}, shape, lambda i, dims=dims: i["x"].permute(*dims))

    for name, shape, d0, d1 in (("2d_0_1", (4, 6), 0, 1),
                                ("3d_1_2", (2, 3, 5), 1, 2),
                                ("4d_-1_-2", (2, 3, 4, 5), -1, -2),
                                ("4d_0_3", (2, 3, 4, 5), 0, 3)):
        one("transpose", name, {"dim0": d0, "dim1": d1}, shape,
            lambda i, d0=d0, d1=d1: i["x"].transpose(d0, d1))

    for name, shape, new in (("4d_to_2d", (2, 3, 4, 5), [6, 20]),
                             ("2d_to_4d", (6, 20), [2, 3, 4, 5]),
                             ("infer_-1", (2, 3, 4, 5), [2, -1]),
                             ("to_1d", (3, 4, 5), [60])):
        one("reshape", name, {"shape": new}, shape, lambda i, new=new: i["x"].reshape(*new))

    for name, shape, dim, start, end in (("dim1_1_3", (2, 5, 4), 1, 1, 3),
                                         ("dim-1_0_2", (3, 4, 6), -1, 0, 2),
                                         ("dim0_1_2", (3, 4), 0, 1, 2),
                                         ("dim2_2_5_4d", (2, 3, 6, 4), 2, 2, 5),
                                         ("full", (3, 4), 1, 0, 4)):
        one("slice", name, {"dim": dim, "start": start, "end": end}, shape,
            lambda i, dim=dim, start=start, end=end: i["x"].narrow(dim, start, end - start))

    for name, shapes, dim in (("dim0", [(2, 3, 4), (3, 3, 4)], 0),
                              ("dim1_nchw", [(2, 3, 4, 4), (2, 5, 4, 4)], 1),
                              ("dim-1", [(3, 4, 2), (3, 4, 5)], -1),
                              ("three_dim1", [(2, 2, 3), (2, 4, 3), (2, 1, 3)], 1)):
        keys = ["a", "b", "c"][:len(shapes)]

        def build(shapes=shapes, keys=keys):
            return {k: randn(*s) for k, s in zip(keys, shapes)}

        cases.append(make_case("cat/" + name, "cat", {"dim": dim}, build,
                               lambda i, keys=keys, dim=dim: torch.cat([i[k] for k in keys], dim=dim)))

    for name, shape, s, e in (("1_-1", (2, 3, 4, 5), 1, -1),
                              ("0_-1", (2, 3, 4), 0, -1),
                              ("1_2", (2, 3, 4, 5), 1, 2),
                              ("2_3", (2, 3, 4, 5), 2, 3)):
        one("flatten", name, {"start_dim": s, "end_dim": e}, shape,
            lambda i, s=s, e=e: torch.flatten(i["x"], s, e))
    return cases


# ---------------------------------------------------------------- main

FAMILIES = (("conv", conv_cases), ("norm", norm_cases), ("activation", activation_cases),
            ("pool", pool_cases), ("linear", linear_cases), ("softmax", softmax_cases),
            ("binary", binary_cases), ("reduce", reduce_cases), ("shape", shape_cases))


def write_family(name, cases):
    names = [c["name"] for c in cases]
    if len(names) != len(set(names)):
        raise ValueError("duplicate case names in %s" % name)
    header = json.dumps({"generator": GENERATOR, "torch": str(torch.__version__)})[:-1]
    lines = [header + ', "cases": [']
    body = [json.dumps(c, separators=(",", ":"), allow_nan=False) for c in cases]
    lines.append(",\n".join(body))
    lines.append("]}")
    path = os.path.join(OUT_DIR, name + ".json")
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return path


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    total_cases, total_bytes = 0, 0
    for name, builder in FAMILIES:
        cases = builder()
        path = write_family(name, cases)
        size = os.path.getsize(path)
        total_cases += len(cases)
        total_bytes += size
        print("%-16s %3d cases  %8d bytes" % (name + ".json", len(cases), size))
    print("%-16s %3d cases  %8d bytes" % ("total", total_cases, total_bytes))


if __name__ == "__main__":
    main()
