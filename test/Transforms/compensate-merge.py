# RUN: %python %s %t
"""qsl-compensate on a weight that already has a lowrank facet merges the new
components into it. Checked against numpy on the dumped dense weights:

  * method=svd twice with rank r is the same weight as once with rank 2r:
    the residual's leading singular vectors are the next ones of the error
    (Eckart-Young), so both equal Ŵ + the rank-2r truncated SVD of W - Ŵ,
    recomputed here from the original weight and the quantized one;
  * qsl-factorize (a truncated SVD) followed by qsl-compensate{method=svd}
    is the rank-(r1 + r2) truncated SVD of W;
  * an EoRA step on top of a factorized weight lowers the calibrated output
    error the report gives.
Factors are f32 so that rounding does not blur the comparisons."""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
K, N, T = 64, 48, 256
w = (rng.normal(size=(K, N)) * 0.1).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w"], ["y"], name="fc")], "fc",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
    initializer=[numpy_helper.from_array(w, "w")])
model = os.path.join(out, "fc.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
calib = os.path.join(out, "calib.npz")
np.savez(calib, x=correlated_activations(rng, K)(T))
c = Checker()


def compile_(pipeline, tag):
    dump = os.path.join(out, f"{tag}.npz")
    report = os.path.join(out, f"{tag}.json")
    p = subprocess.run(["qslc", model, "--emit=mlir", "-o", os.path.join(out, f"{tag}.mlir"),
                        f"--calibrate={calib}", f"--pipeline={pipeline}",
                        f"--dump-weights={dump}", f"--report={report}"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{tag}: qslc failed: {p.stderr}")
    return np.load(dump)["w"].astype(np.float64), json.load(open(report))["weights"][0]


def truncated(e, r):
    u, s, vt = np.linalg.svd(e, full_matrices=False)
    return (u[:, :r] * s[:r]) @ vt[:r]


quant = "qsl-quantize{bits=3 group=0 method=rtn}"
base, _ = compile_(quant, "base")
twice, rep2 = compile_(f"{quant},qsl-compensate{{rank=4 method=svd type=f32}},"
                       f"qsl-compensate{{rank=4 method=svd type=f32}}", "twice")
once, _ = compile_(f"{quant},qsl-compensate{{rank=8 method=svd type=f32}}", "once")
want = base + truncated(w - base, 8)
scale = np.abs(want).max()
c.check("rank = 8" in rep2["encoding"], f"two rank-4 steps make one rank-8 facet: {rep2['encoding']}")
c.check(np.abs(twice - want).max() <= 1e-5 * scale,
        f"svd r4 + r4 = numpy rank-8 SVD correction: max diff {np.abs(twice - want).max():.2e}")
c.check(np.abs(once - want).max() <= 1e-5 * scale,
        f"svd r8 = numpy rank-8 SVD correction: max diff {np.abs(once - want).max():.2e}")

fact, _ = compile_("qsl-factorize{rank=6 method=svd type=f32},qsl-compensate{rank=4 method=svd type=f32}", "fact")
want = truncated(w.astype(np.float64), 10)
c.check(np.abs(fact - want).max() <= 1e-5 * np.abs(want).max(),
        f"factorize r6 + compensate r4 = rank-10 SVD of W: max diff {np.abs(fact - want).max():.2e}")

_, rep_f = compile_("qsl-factorize{rank=6 method=svd type=f32}", "fact-only")
_, rep_e = compile_("qsl-factorize{rank=6 method=svd type=f32},qsl-compensate{rank=4 method=eora type=f32}", "fact-eora")
c.check(rep_e["output_error"] < rep_f["output_error"],
        f"EoRA r4 on a rank-6 factorization: output error {rep_f['output_error']:.4f} -> {rep_e['output_error']:.4f}")
sys.exit(c.finish("compensate-merge"))
