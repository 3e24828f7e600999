# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-quantize method=squeezellm / kmeans (codebook quantization) end to
end on a small MLP (MatMul [K, N] weight, ReLU, Gemm transB [N, K]):

* round trip: the compiled model equals onnxruntime running the dense model
  rebuilt from the stored approximation (qslc --dump-weights), relative max
  error <= 1e-5, also with f16 outliers and with an EoRA low-rank term on
  top (qsl-compensate reads the codebook encoding);
* every output channel takes at most 2^bits distinct f16 values, each
  element is mapped to its nearest table entry, and (checked in numpy from
  the calibration inputs) every entry of w1's tables is the diag(XᵀX)-
  weighted mean of the original elements mapped to it (Lloyd's fixed
  point of SqueezeLLM's weighted k-means);
* the report counts the tables: bits + 2^bits * 16 / K bits per parameter;
* on correlated activations with strong channels, 3-bit SqueezeLLM has a
  lower calibrated output error than 3-bit RTN (per channel and g32) and
  than data-free k-means;
* qslc --emit=onnx writes codebook weights as a Gather from the flat
  table that onnxruntime runs to 1e-5 of the compiled model (pruned
  codebook weights are refused with a clear error).
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations, max_relative_error, reference, run_model, save_mlp, compress_and_run

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
K, H, N, T = 64, 128, 48, 32
activations = correlated_activations(rng, K)
w1 = rng.standard_t(4, size=(K, H)).astype(np.float32) * 0.1   # MatMul [K, N]
w2 = rng.normal(size=(N, H)).astype(np.float32) * 0.1          # Gemm transB [N, K]
b2 = rng.normal(size=(N,)).astype(np.float32)


def make_model(path, w1v, w2v):
    return save_mlp(path, w1v, w2v, b2, T)


dense = make_model(os.path.join(out, "mlp.onnx"), w1, w2)
calib, xs = [], []
for i in range(4):
    p = os.path.join(out, f"calib{i}.npz")
    xs.append(activations(T))
    np.savez(p, x=xs[-1])
    calib.append(p)
x = {"x": activations(T)}
c = Checker()


def compress(tag, pipeline, calibrate=True):
    _, weights, report = compress_and_run(dense, x, out, tag, pipeline, calib if calibrate else (),
                                          lambda path, w: make_model(path, w["w1"], w["w2"]), c)
    return weights, {w["name"]: w for w in report["weights"]}


def canon(name, w):
    return w.T if name == "w1" else w   # [out, in]


bits = 3
wq, sq = compress("sq3", f"qsl-quantize{{bits={bits} method=squeezellm}}")
_, km = compress("km3", f"qsl-quantize{{bits={bits} method=kmeans}}")
_, rtn = compress("rtn3", f"qsl-quantize{{bits={bits} group=0 method=rtn}}")
_, rtn32 = compress("rtn3g32", f"qsl-quantize{{bits={bits} group=32 method=rtn}}")
_, sqo = compress("sq3o", f"qsl-quantize{{bits={bits} method=squeezellm outliers=0.01}}")
_, sqe = compress("sq3eora", f"qsl-quantize{{bits={bits} method=squeezellm}},"
                  "qsl-compensate{rank=8 method=eora}")
gram = sum(a.astype(np.float64).T @ a.astype(np.float64) for a in xs)
for name, orig in [("w1", w1), ("w2", w2)]:
    o = canon(name, orig).astype(np.float64)
    q = canon(name, wq[name]).astype(np.float64)
    kk = o.shape[1]
    counts = [len(np.unique(r)) for r in q]
    c.check(max(counts) <= 2 ** bits, f"sq3 {name}: at most {2 ** bits} distinct values per channel (max {max(counts)})")
    c.check(np.array_equal(q.astype(np.float16).astype(np.float64), q), f"sq3 {name}: table entries are f16 values")
    # Nearest-entry assignment (up to the f16 rounding of the entries).
    worst = 0.0
    for r in range(o.shape[0]):
        table = np.unique(q[r])
        best = np.abs(o[r][:, None] - table[None, :]).min(1)
        worst = max(worst, float((np.abs(o[r] - q[r]) - best).max() / (np.abs(table).max() + 1e-30)))
    c.check(worst <= 1e-3, f"sq3 {name}: every element maps to its nearest table entry (slack {worst:.1e})")
    bpp = bits + 2 ** bits * 16 / kk
    got = sq[name]["bits_per_parameter"]
    c.check(abs(got - bpp) < 1e-9, f"sq3 {name}: {got} bits/parameter (tables counted), expected {bpp}")
    c.check("codebook = 8" in sq[name]["encoding"], f"sq3 {name}: encoding {sq[name]['encoding']}")
    s, k_, r1, r32 = (d[name]["output_error"] for d in (sq, km, rtn, rtn32))
    c.check(s < r1, f"{name}: 3-bit SqueezeLLM output error {s:.4f} < RTN per channel {r1:.4f}")
    c.check(s < r32, f"{name}: 3-bit SqueezeLLM output error {s:.4f} < RTN g32 {r32:.4f}")
    if name == "w1":
        c.check(s < k_, f"{name}: SqueezeLLM (diag(XᵀX)-weighted) {s:.4f} < data-free k-means {k_:.4f}")
    so, se = sqo[name]["output_error"], sqe[name]["output_error"]
    c.check("outliers = <count = " in sqo[name]["encoding"], f"sq3o {name}: {sqo[name]['encoding']}")
    c.check(sqo[name]["rel_frobenius_error"] < sq[name]["rel_frobenius_error"],
            f"{name}: dense-and-sparse (1% f16 outliers) rel. error {sqo[name]['rel_frobenius_error']:.4f} "
            f"< dense only {sq[name]['rel_frobenius_error']:.4f}")
    c.check(se < s, f"{name}: SqueezeLLM + EoRA rank 8 output error {se:.4f} < SqueezeLLM alone {s:.4f}")
    c.check("lowrank = <rank = 8" in sqe[name]["encoding"], f"sq3eora {name}: {sqe[name]['encoding']}")

# w1's tables are Lloyd fixed points of the diag(XᵀX)-weighted k-means.
o, q = w1.T.astype(np.float64), wq["w1"].T.astype(np.float64)
sens = np.diag(gram)
worst = 0.0
for r in range(o.shape[0]):
    for v in np.unique(q[r]):
        sel = q[r] == v
        mean = (sens[sel] * o[r][sel]).sum() / sens[sel].sum()
        worst = max(worst, abs(mean - v) / max(abs(v), 1e-3))
c.check(worst <= 2e-3, f"sq3 w1: table entries are the weighted means of their elements (rel. {worst:.1e})")

# ONNX export: codes (uint8) + per-table offsets -> Gather from the flat
# table; onnxruntime on the exported model matches the compiled model.
for tag, pipe in [("sq3", f"qsl-quantize{{bits={bits} method=squeezellm}}"),
                  ("sq3o", f"qsl-quantize{{bits={bits} method=squeezellm outliers=0.01}}"),
                  ("km4g32", "qsl-quantize{bits=4 group=32 method=kmeans}"),
                  # pruned + codebook: the gathered table values pass a bool
                  # keep mask (Where), so pruned positions are exactly 0
                  ("sp2km", "qsl-prune{pattern=2:4},qsl-quantize{bits=2 method=kmeans}")]:
    args = ["--calibrate=" + ",".join(calib), f"--pipeline={pipe}"]
    path = f"{out}/{tag}-export.onnx"
    subprocess.run(["qslc", dense, "--input-shape=x=%dx%d" % (T, K), "--emit=onnx", "-o", path, *args],
                   check=True, capture_output=True, text=True)
    ops = {n.op_type for n in onnx.load(path, load_external_data=False).graph.node}
    c.check("Gather" in ops, f"{tag}: exported with Gather ({sorted(ops)})")
    if tag == "sp2km":
        c.check("Where" in ops, f"{tag}: pruned positions masked with Where ({sorted(ops)})")
    got = run_model(dense, x, args)[0]
    err = max_relative_error(reference(path, x)[0], got)
    c.check(err <= 1e-5, f"{tag}: exported ONNX in onnxruntime vs compiled model, rel. max error {err:.2e}")
sys.exit(c.finish("codebook numerics"))
