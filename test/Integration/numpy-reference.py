# RUN: %python %s %mlir_runner_libs
# REQUIRES: numpy
"""Random encoded tensors, matmuls and convolutions checked against numpy.

Every case draws random side tensors, decodes them with an independent numpy
implementation of the #qsl.encoding semantics (docs/Rationale.md), lowers the
same constants through qsl-lower-to-linalg and the CPU reference pipeline,
runs them with mlir-runner and compares. Tolerance: values are printed with 6
significant digits, so rtol = 1e-5 (f32 results) and one f16 ulp for f16.
"""
import re
import subprocess
import sys

import numpy as np

RUNNER_LIBS = sys.argv[1]
rng = np.random.default_rng(20261123)


# ----------------------------------------------------------------------------
# MLIR literals
# ----------------------------------------------------------------------------
def literal(array, elem):
    def fmt(x):
        if elem == "i1":
            return "true" if x else "false"
        if elem.startswith("i"):
            return str(int(x))
        return repr(float(x))

    def rec(a):
        if a.ndim == 0:
            return fmt(a)
        return "[" + ", ".join(rec(s) for s in a) + "]"

    shape = "x".join(str(d) for d in array.shape)
    return f"dense<{rec(np.asarray(array))}> : tensor<{shape}x{elem}>"


def ttype(shape, elem, enc=None):
    s = "x".join(str(d) for d in shape)
    return f"tensor<{s}x{elem}, {enc}>" if enc else f"tensor<{s}x{elem}>"


# ----------------------------------------------------------------------------
# numpy reference decoder (the spec, written independently of the lowering)
# ----------------------------------------------------------------------------
def decode(shape, storage, quant=None, sparse=None, outliers=False, lowrank=False,
           smooth=None):
    rows = shape[0]
    cols = int(np.prod(shape[1:]))
    total = np.zeros((rows, cols), np.float64)
    if quant or sparse:
        values = storage["values"]
        codes = np.zeros((rows, cols), values.dtype)
        keep = np.ones((rows, cols), bool)
        if sparse and sparse["kind"] == "nm":
            n, m, axis = sparse["n"], sparse["m"], sparse["axis"]
            keep[:] = False
            vals = values if axis == 1 else values.T
            meta = storage["meta"] if axis == 1 else storage["meta"].T
            c_out = codes if axis == 1 else codes.T
            k_out = keep if axis == 1 else keep.T
            for r in range(vals.shape[0]):
                for c in range(vals.shape[1]):
                    j = (c // n) * m + int(meta[r, c])
                    c_out[r, j] = vals[r, c]
                    k_out[r, j] = True
        elif sparse and sparse["kind"] == "unstructured":
            keep = storage["mask"].astype(bool)
            codes[keep] = values
        elif sparse and sparse["kind"] == "block":
            br, bc = sparse["block"]
            keep[:] = False
            slot = 0
            for i, j in zip(*np.nonzero(storage["mask"])):
                codes[i * br:(i + 1) * br, j * bc:(j + 1) * bc] = values[slot]
                keep[i * br:(i + 1) * br, j * bc:(j + 1) * bc] = True
                slot += 1
        else:
            codes = values
        if quant:
            axis, group = quant["axis"], quant["group"]
            length = (rows, cols)[axis]
            g = group if group else length

            def expand(t):
                return np.repeat(t, g, axis=axis)

            if quant.get("codebook"):
                cb = storage["codebook"].astype(np.float64)
                gi = np.arange(length) // g
                w = np.zeros((rows, cols))
                for r in range(rows):
                    for c in range(cols):
                        idx = (r, gi[c]) if axis == 1 else (gi[r], c)
                        w[r, c] = cb[idx + (int(codes[r, c]),)]
            else:
                s = expand(storage["scales"].astype(np.float64))
                if "zeros" in storage:
                    w = s * (codes.astype(np.float64) - expand(storage["zeros"].astype(np.float64)))
                else:
                    w = s * codes.astype(np.float64)
            main = np.where(keep, w, 0.0)
        else:
            main = np.where(keep, codes.astype(np.float64), 0.0)
        total += main
    if outliers:
        flat = total.reshape(-1)
        np.add.at(flat, storage["outlier_indices"].astype(np.int64),
                  storage["outlier_values"].astype(np.float64))
    if lowrank:
        total += storage["u"].astype(np.float64) @ storage["v"].astype(np.float64)
    if smooth is not None:  # one multiplier per channel of the axis
        m = storage["smooth"].astype(np.float64)
        total *= m[:, None] if smooth == 0 else m[None, :]
    return total.reshape(shape)


# ----------------------------------------------------------------------------
# Random cases
# ----------------------------------------------------------------------------
ORDER = ["values", "scales", "zeros", "codebook", "mask", "meta",
         "outlier_indices", "outlier_values", "u", "v", "smooth"]


def f16(shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float16)


def make_case(name, shape, elem, quant=None, sparse=None, outliers=0, rank=0,
              smooth=None):
    rows, cols = shape[0], int(np.prod(shape[1:]))
    storage, types, facets = {}, {}, []
    vshape = (rows, cols)
    if sparse:
        if sparse["kind"] == "nm":
            n, m, axis = sparse["n"], sparse["m"], sparse["axis"]
            vshape = (rows, cols // m * n) if axis == 1 else (rows // m * n, cols)
            runs_first = vshape if axis == 1 else vshape[::-1]
            meta = np.zeros(runs_first, np.int64)
            for r in range(runs_first[0]):
                for run in range(runs_first[1] // n):
                    meta[r, run * n:(run + 1) * n] = np.sort(rng.choice(m, n, replace=False))
            storage["meta"] = meta if axis == 1 else meta.T
            types["meta"] = f"i{max(1, int(np.ceil(np.log2(m))))}"
            facets.append(f"sparse = <{n}:{m}, axis = {axis}>")
        elif sparse["kind"] == "unstructured":
            nnz = sparse["nnz"]
            mask = np.zeros(rows * cols, bool)
            mask[rng.choice(rows * cols, nnz, replace=False)] = True
            storage["mask"] = mask.reshape(rows, cols)
            types["mask"] = "i1"
            vshape = (nnz,)
            facets.append(f"sparse = <unstructured, nnz = {nnz}>")
        else:
            br, bc = sparse["block"]
            nb = sparse["nnz"]
            mask = np.zeros((rows // br) * (cols // bc), bool)
            mask[rng.choice(mask.size, nb, replace=False)] = True
            storage["mask"] = mask.reshape(rows // br, cols // bc)
            types["mask"] = "i1"
            vshape = (nb, br, bc)
            facets.append(f"sparse = <block = {br}x{bc}, nnz = {nb}>")
    if quant:
        bits, axis, group = quant["bits"], quant["axis"], quant["group"]
        gshape = [rows, cols]
        gshape[axis] = gshape[axis] // group if group else 1
        spec = f"bits = {bits}, axis = {axis}"
        if group:
            spec += f", group = {group}"
        if quant.get("codebook"):
            k = quant["codebook"]
            storage["values"] = rng.integers(0, k, vshape)
            storage["codebook"] = f16(tuple(gshape) + (k,))
            types["codebook"] = "f16"
            spec += f", scale = f16, codebook = {k}"
        elif quant.get("zero"):
            storage["values"] = rng.integers(0, 2 ** bits, vshape)
            storage["scales"] = np.abs(f16(gshape, 0.1)) + np.float16(0.01)
            storage["zeros"] = rng.integers(0, 2 ** bits, gshape)
            types["scales"], types["zeros"] = "f16", f"i{bits}"
            spec += f", scale = f16, zero = i{bits}"
        else:
            storage["values"] = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), vshape)
            storage["scales"] = (np.abs(rng.standard_normal(gshape)) * 0.1 + 0.01).astype(np.float32)
            types["scales"] = "f32"
            spec += ", scale = f32"
        types["values"] = f"i{bits}"
        facets.insert(0, f"quant = <{spec}>")
    elif sparse:
        storage["values"] = rng.standard_normal(vshape).astype(np.float32)
        types["values"] = elem
    if outliers:
        storage["outlier_indices"] = rng.integers(0, rows * cols, outliers)
        storage["outlier_values"] = f16((outliers,))
        types["outlier_indices"], types["outlier_values"] = "i32", "f16"
        facets.append(f"outliers = <count = {outliers}, type = f16>")
    if rank:
        storage["u"] = f16((rows, rank), 0.5)
        storage["v"] = f16((rank, cols), 0.5)
        types["u"] = types["v"] = "f16"
        facets.append(f"lowrank = <rank = {rank}, type = f16>")
    if smooth is not None:
        storage["smooth"] = np.abs(f16(((rows, cols)[smooth],))) + np.float16(0.25)
        types["smooth"] = "f16"
        facets.append(f"smooth = <axis = {smooth}, type = f16>")
    enc = "#qsl.encoding<" + ", ".join(facets) + ">"
    expected = decode(shape, storage, quant=quant, sparse=sparse,
                      outliers=bool(outliers), lowrank=bool(rank), smooth=smooth)
    attrs = " ".join(f"{role}({literal(storage[role], types[role])})"
                     for role in ORDER if role in storage)
    return dict(name=name, shape=shape, elem=elem, enc=enc, attrs=attrs,
                expected=expected)


cases = [
    make_case("w8_per_channel", (16, 24), "f32", quant=dict(bits=8, axis=0, group=0)),
    make_case("w4_g8_asym", (32, 16), "f32", quant=dict(bits=4, axis=0, group=8, zero=True)),
    make_case("w3_g4_axis1_asym", (8, 32), "f32", quant=dict(bits=3, axis=1, group=4, zero=True)),
    make_case("w2_sym", (8, 8), "f32", quant=dict(bits=2, axis=1, group=0)),
    make_case("codebook3", (12, 16), "f32", quant=dict(bits=3, axis=1, group=8, codebook=8)),
    make_case("nm24_f32", (16, 12), "f32", sparse=dict(kind="nm", n=2, m=4, axis=0)),
    make_case("nm48_w4", (8, 32), "f32", quant=dict(bits=4, axis=1, group=16, zero=True),
              sparse=dict(kind="nm", n=4, m=8, axis=1)),
    make_case("unstructured_w8", (10, 10), "f32", quant=dict(bits=8, axis=0, group=0, zero=True),
              sparse=dict(kind="unstructured", nnz=37)),
    make_case("block_f32", (8, 12), "f32", sparse=dict(kind="block", block=(2, 3), nnz=5)),
    make_case("outliers_lowrank", (12, 20), "f32", outliers=9, rank=3),
    make_case("conv_filter_all", (8, 4, 3, 3), "f32", quant=dict(bits=4, axis=1, group=12, zero=True),
              sparse=dict(kind="nm", n=2, m=4, axis=1), outliers=5, rank=2),
    make_case("f16_all", (16, 16), "f16", quant=dict(bits=4, axis=0, group=8),
              sparse=dict(kind="nm", n=2, m=4, axis=0), outliers=3, rank=2),
    make_case("awq_smooth_axis0", (16, 12), "f32", quant=dict(bits=4, axis=0, group=8, zero=True),
              smooth=0),
    make_case("smooth_all_axis1", (8, 16), "f32", quant=dict(bits=4, axis=1, group=8, zero=True),
              sparse=dict(kind="nm", n=2, m=4, axis=1), outliers=4, rank=2, smooth=1),
]

# Matmul and conv over random encoded weights.
mm = make_case("mm_weight", (16, 8), "f32", quant=dict(bits=4, axis=0, group=4, zero=True), rank=2,
               smooth=0)
mmt = make_case("mmt_weight", (8, 16), "f32", quant=dict(bits=4, axis=1, group=4, zero=True),
                sparse=dict(kind="nm", n=2, m=4, axis=1))
cv = make_case("conv_weight", (6, 2, 3, 3), "f32", quant=dict(bits=8, axis=1, group=0), outliers=4)
x_mm = rng.standard_normal((3, 5, 16)).astype(np.float32)
x_cv = rng.standard_normal((2, 4, 7, 7)).astype(np.float32)


def conv_ref(x, w, stride, pad, groups):
    n, c, h, wd = x.shape
    o, ci, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (wd + 2 * pad - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for g in range(groups):
        for oc in range(g * og, (g + 1) * og):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[:, g * ci:(g + 1) * ci, i * stride:i * stride + kh, j * stride:j * stride + kw]
                    out[:, oc, i, j] = np.tensordot(patch, w[oc], axes=([1, 2, 3], [0, 1, 2]))
    return out


# ----------------------------------------------------------------------------
# Build, run, compare
# ----------------------------------------------------------------------------
lines = ["func.func private @printMemrefF32(tensor<*xf32>)",
         "func.func private @printMemrefF16(tensor<*xf16>) attributes {llvm.emit_c_interface}",
         "func.func @main() {"]
checks = []  # (name, expected, is_f16)


def emit_print(var, shape, elem):
    lines.append(f"  %p_{var} = tensor.cast %{var} : {ttype(shape, elem)} to tensor<*x{elem}>")
    fn = "printMemrefF16" if elem == "f16" else "printMemrefF32"
    lines.append(f"  call @{fn}(%p_{var}) : (tensor<*x{elem}>) -> ()")


def emit_constant(case):
    t = ttype(case["shape"], case["elem"], case["enc"])
    lines.append(f"  %{case['name']} = qsl.constant {case['attrs']} : {t}")
    return t


for case in cases:
    t = emit_constant(case)
    dense = ttype(case["shape"], case["elem"])
    lines.append(f"  %d_{case['name']} = qsl.unpack %{case['name']} : {t} -> {dense}")
    emit_print(f"d_{case['name']}", case["shape"], case["elem"])
    checks.append((case["name"], case["expected"], case["elem"] == "f16"))

t = emit_constant(mm)
lines.append(f"  %x_mm = arith.constant {literal(x_mm, 'f32')}")
lines.append(f"  %y_mm = qsl.matmul %x_mm, %mm_weight : {ttype(x_mm.shape, 'f32')}, {t} -> {ttype((3, 5, 8), 'f32')}")
emit_print("y_mm", (3, 5, 8), "f32")
checks.append(("matmul", x_mm.astype(np.float64) @ mm["expected"], False))

t = emit_constant(mmt)
lines.append(f"  %x_mmt = tensor.collapse_shape %x_mm [[0, 1], [2]] : {ttype(x_mm.shape, 'f32')} into {ttype((15, 16), 'f32')}")
lines.append(f"  %y_mmt = qsl.matmul %x_mmt, %mmt_weight transpose_w : {ttype((15, 16), 'f32')}, {t} -> {ttype((15, 8), 'f32')}")
emit_print("y_mmt", (15, 8), "f32")
checks.append(("matmul_transposed", x_mm.reshape(15, 16).astype(np.float64) @ mmt["expected"].T, False))

t = emit_constant(cv)
lines.append(f"  %x_cv = arith.constant {literal(x_cv, 'f32')}")
lines.append(f"  %y_cv = qsl.conv2d %x_cv, %conv_weight {{strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}} : {ttype(x_cv.shape, 'f32')}, {t} -> {ttype((2, 6, 4, 4), 'f32')}")
emit_print("y_cv", (2, 6, 4, 4), "f32")
checks.append(("conv2d", conv_ref(x_cv, cv["expected"], 2, 1, 2), False))
lines += ["  return", "}"]

program = "\n".join(lines) + "\n"
lowered = subprocess.run(["qsl-opt", "--qsl-cpu-reference-pipeline"], input=program,
                         capture_output=True, text=True)
if lowered.returncode != 0:
    sys.exit("qsl-opt failed:\n" + lowered.stderr)
ran = subprocess.run(["mlir-runner", "-e", "main", "-entry-point-result=void",
                      "-shared-libs=" + RUNNER_LIBS], input=lowered.stdout,
                     capture_output=True, text=True)
if ran.returncode != 0:
    sys.exit("mlir-runner failed:\n" + ran.stderr)

blocks = ran.stdout.split("Unranked Memref")[1:]
assert len(blocks) == len(checks), f"{len(blocks)} printed tensors, {len(checks)} expected"
number = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)")
passed = failed = 0
for block, (name, expected, is_f16) in zip(blocks, checks):
    got = np.array([float(v) for v in number.findall(block.split("data =", 1)[1])])
    want = expected.reshape(-1)
    if is_f16:
        want = want.astype(np.float16).astype(np.float64)
        ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-3, atol=1e-3)
    else:
        ok = got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-5)
    if ok:
        passed += 1
    else:
        failed += 1
        err = np.max(np.abs(got - want)) if got.shape == want.shape else "shape"
        print(f"FAIL {name}: max abs error {err}")
print(f"numpy reference: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
