# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-outliers (SpQR) end to end on a small MLP (MatMul [K, N] weight, ReLU,
Gemm with a transB [N, K] weight and bias) whose weights carry planted
outliers (1% of the elements, 12x larger), on correlated activations:

* round trip: the compiled model equals onnxruntime running the dense model
  rebuilt from the stored approximation (qslc --dump-weights), relative max
  error <= 1e-5;
* the outlier count of every weight is at most floor(max-fraction * size);
* the calibrated output error ||(W - Ŵ)X|| / ||WX|| of the report is below
  plain GPTQ at the same bits and group, and below GPTQ with the same
  fraction of largest-magnitude outliers (qsl-quantize outliers=f) in the
  same (natural) column order;
* qslc --emit=onnx of the SpQR model matches the dumped weights (1e-5);
* quantized statistics (stat-bits=3 stat-group=16): the compiled model (the
  scales decoded in the lowered IR) matches the dumped weights (decoded in
  C++), fewer bits per parameter than f16 scales, an output error still
  below plain GPTQ, and the ONNX export matches too.
"""
import json
import os
import re
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

def planted(shape):
    w = rng.normal(size=shape).astype(np.float32) * 0.1
    flat = w.reshape(-1)
    idx = rng.choice(flat.size, size=flat.size // 100, replace=False)
    flat[idx] *= 12.0
    return w

w1 = planted((K, H))   # MatMul [K, N]
w2 = planted((N, H))   # Gemm transB [N, K]
b2 = rng.normal(size=(N,)).astype(np.float32)

def make_model(path, w1v, w2v):
    return save_mlp(path, w1v, w2v, b2, T)

dense = make_model(os.path.join(out, "mlp.onnx"), w1, w2)
calib = []
for i in range(4):
    p = os.path.join(out, f"calib{i}.npz")
    np.savez(p, x=activations(T))
    calib.append(p)
x = {"x": activations(T)}

c = Checker()

def compress(tag, pipeline):
    _, _, report = compress_and_run(dense, x, out, tag, pipeline, calib, lambda path, w: make_model(path, w["w1"], w["w2"]), c)
    return {w["name"]: w for w in report["weights"]}

f = 0.02
spqr = compress("spqr", f"qsl-outliers{{bits=3 group=16 max-fraction={f}}}")
gptq = compress("gptq", "qsl-quantize{bits=3 group=16 method=gptq}")
gptq_plain = compress("gptq-natural", "qsl-quantize{bits=3 group=16 method=gptq act-order=false}")
# The same column order as qsl-outliers (natural; it has no act-order).
magnitude = compress("magnitude", f"qsl-quantize{{bits=3 group=16 method=gptq act-order=false outliers={f}}}")

for name, size in (("w1", w1.size), ("w2", w2.size)):
    enc = spqr[name]["encoding"]
    m = re.search(r"outliers = <count = (\d+)", enc)
    count = int(m.group(1)) if m else 0
    c.check(0 < count <= int(np.floor(f * size)),
            f"{name}: {count} outliers <= floor({f} x {size}) = {int(np.floor(f * size))}")
    s, g, gn, mg = (r[name]["output_error"] for r in (spqr, gptq, gptq_plain, magnitude))
    c.check(s < g and s < gn, f"{name}: SpQR output error {s:.4f} < GPTQ {g:.4f} (act-order), {gn:.4f} (natural order)")
    c.check(s < mg, f"{name}: SpQR output error {s:.4f} < GPTQ + {f:.0%} magnitude outliers {mg:.4f}")

# The ONNX export (DequantizeLinear + ScatterND of the outliers) computes the
# same model as the dumped dense weights.
import subprocess
exported = os.path.join(out, "spqr-export.onnx")
subprocess.run(["qslc", dense, "--calibrate=" + ",".join(calib), "--emit=onnx", "-o", exported,
                f"--pipeline=qsl-outliers{{bits=3 group=16 max-fraction={f}}}"], check=True)
err = max_relative_error(reference(exported, x)[0], reference(os.path.join(out, "spqr.onnx"), x)[0])
c.check(err <= 1e-5, f"spqr: --emit=onnx vs dumped weights in onnxruntime, rel. max error {err:.2e}")

# Quantized statistics: 3-bit scale codes per group, a second level per 16
# output channels.
st = "qsl-outliers{bits=3 group=16 max-fraction=%g stat-bits=3 stat-group=16}" % f
stats = compress("spqr-stats", st)
for name in ("w1", "w2"):
    enc = stats[name]["encoding"]
    c.check("stat_bits = 3, stat_group = 16" in enc, f"{name}: {enc}")
    b0, b1 = spqr[name]["bits_per_parameter"], stats[name]["bits_per_parameter"]
    # An f16 scale per 16 weights is 1 bit/param; 3-bit codes are 3/16, and
    # the second level 2 f16 per 16 groups of 16 weights 32/256: 0.6875 less.
    c.check(abs((b0 - b1) - 0.6875) < 1e-3,
            f"{name}: {b1:.4f} bits/param with 3-bit statistics = {b0:.4f} with f16 scales - 0.6875")
    s1, gn = stats[name]["output_error"], gptq_plain[name]["output_error"]
    c.check(s1 < gn, f"{name}: SpQR with 3-bit statistics output error {s1:.4f} < plain GPTQ {gn:.4f}")
exported = os.path.join(out, "spqr-stats-export.onnx")
subprocess.run(["qslc", dense, "--calibrate=" + ",".join(calib), "--emit=onnx", "-o", exported,
                f"--pipeline={st}"], check=True)
err = max_relative_error(reference(exported, x)[0], reference(os.path.join(out, "spqr-stats.onnx"), x)[0])
c.check(err <= 1e-5, f"spqr-stats: --emit=onnx vs dumped weights in onnxruntime, rel. max error {err:.2e}")

sys.exit(c.finish("qsl-outliers numerics"))
