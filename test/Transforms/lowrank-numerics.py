# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-factorize and qsl-compensate end to end on a small MLP (MatMul [K, N]
weight, ReLU, Gemm with a transB [N, K] weight), against numpy:

* round trip: the compiled model equals onnxruntime running the dense model
  rebuilt from the stored approximation (qslc --dump-weights), rel. 1e-5;
* optimality, with f32 factors, against numpy's own decompositions:
  - factorize svd at rank r reaches ||W - Ŵ||_F^2 = sum_{i>r} sigma_i(W)^2;
  - factorize whitened reaches the least calibrated output error
    tr(E H E^T) over rank-r factors (H = X^T X + damp, numpy's Cholesky
    whitening), below plain SVD's;
  - compensate eora on an int3 RTN weight reaches the least tr(E_r H E_r^T)
    for a rank-r correction of E = W - Ŵ_int3; svd the least ||E_r||_F;
    lqer lies in between on the output error and beats no correction;
* energy selects the smallest rank numpy finds; f16 factors stay within
  1% of the f32 optimum; corrections compose with 2:4 + int4 and with AWQ's
  smooth facet (round trip, and the error drops).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations, max_relative_error, reference, run_model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(13)
K, H, N, T = 64, 96, 48, 64

# Correlated activations with a few strong channels; weights with a
# decaying spectrum, like trained ones.
activations = correlated_activations(rng, K, strong=5.0)

def decaying(rows, cols):
    u, _ = np.linalg.qr(rng.normal(size=(rows, rows)))
    v, _ = np.linalg.qr(rng.normal(size=(cols, cols)))
    s = 1.0 / (1.0 + np.arange(min(rows, cols))) ** 0.8
    return (u[:, :len(s)] * s) @ v[:, :len(s)].T

w1 = decaying(K, H).astype(np.float32)          # MatMul [K, H]: canonical w1.T
w2 = (decaying(N, H) * 0.5).astype(np.float32)  # Gemm transB [N, H]: canonical w2

def make_model(path, a, b):
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "w2"], ["y"], name="fc2", transB=1)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
        initializer=[numpy_helper.from_array(a, "w1"), numpy_helper.from_array(b, "w2")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path

dense = make_model(os.path.join(out, "mlp.onnx"), w1, w2)
calib_x = [activations(T) for _ in range(4)]
calib = []
for i, xc in enumerate(calib_x):
    calib.append(os.path.join(out, f"calib{i}.npz"))
    np.savez(calib[-1], x=xc)
x = {"x": activations(T)}
c = Checker()

# fc1's input statistics, from the calibration inputs directly.
X = np.concatenate(calib_x).astype(np.float64)
H1 = X.T @ X
W1 = w1.T.astype(np.float64)      # canonical [H, K]


def compress(tag, pipeline):
    args = [f"--pipeline={pipeline}", f"--report={out}/{tag}.json", f"--dump-weights={out}/{tag}.npz",
            "--calibrate=" + ",".join(calib)]
    got = run_model(dense, x, args)[0]
    with np.load(f"{out}/{tag}.npz") as d:
        weights = {k: d[k] for k in d.files}
    report = json.load(open(f"{out}/{tag}.json"))
    rebuilt = make_model(os.path.join(out, f"{tag}.onnx"), weights.get("w1", w1), weights.get("w2", w2))
    err = max_relative_error(got, reference(rebuilt, x)[0])
    c.check(err <= 1e-5, f"{tag}: round trip vs onnxruntime, rel. max error {err:.2e}")
    return weights, {w["name"]: w for w in report["weights"]}


def damped(h, damp=0.01):
    return h + damp * np.mean(np.diag(h)) * np.eye(len(h))


def out_err(e, h):
    return float(np.trace(e @ h @ e.T))


def whitened_optimum(e, h, r):
    """min over rank-r D of tr((E - D) H (E - D)^T): the tail of the
    singular values of E S, S S^T = H."""
    s = np.linalg.svd(e @ np.linalg.cholesky(h), compute_uv=False)
    return float(np.sum(s[r:] ** 2))


r = 8
# Plain SVD: Eckart-Young.
wts, rep = compress("svd", f"qsl-factorize{{rank={r} type=f32}}")
for name, wc in (("w1", W1), ("w2", w2.astype(np.float64))):
    got_w = wts[name].T if name == "w1" else wts[name]
    sv = np.linalg.svd(wc, compute_uv=False)
    opt = float(np.sum(sv[r:] ** 2))
    err = float(np.sum((wc - got_w) ** 2))
    c.check(abs(err - opt) <= 1e-4 * opt, f"svd r{r} {name}: ||W - Ŵ||² {err:.6f}, numpy optimum {opt:.6f}")
c.check(rep["w1"].get("method") == f"svd r{r}", f"report method {rep['w1'].get('method')}")

# Whitened SVD: optimal output error for the damped H, below plain SVD's.
wts_w, _ = compress("whitened", f"qsl-factorize{{rank={r} method=whitened type=f32}}")
Hd = damped(H1)
e_white = out_err(W1 - wts_w["w1"].T, Hd)
e_plain = out_err(W1 - wts["w1"].T, Hd)
opt = whitened_optimum(W1, Hd, r)
c.check(abs(e_white - opt) <= 1e-3 * opt and e_white < 0.9 * e_plain,
        f"whitened r{r}: tr(E H E^T) {e_white:.4f}, numpy optimum {opt:.4f}, plain SVD {e_plain:.4f}")

# Energy: the smallest rank keeping 90% of sum sigma^2.
sv = np.linalg.svd(W1, compute_uv=False)
want_r = int(np.searchsorted(np.cumsum(sv ** 2) / np.sum(sv ** 2), 0.9 - 1e-12) + 1)
_, rep_e = compress("energy", "qsl-factorize{energy=0.9 type=f32}")
c.check(rep_e["w1"].get("method") == f"svd r{want_r}", f"energy 0.9: {rep_e['w1'].get('method')}, numpy rank {want_r}")

# f16 factors: within 1% of the f32 optimum.
wts16, _ = compress("svd16", f"qsl-factorize{{rank={r}}}")
e16 = float(np.sum((W1 - wts16["w1"].T) ** 2))
opt = float(np.sum(sv[r:] ** 2))
c.check(e16 <= 1.01 * opt, f"svd r{r} f16 factors: {e16:.6f} vs f32 optimum {opt:.6f}")

# Compensation of int3 RTN.
q = "qsl-quantize{bits=3 group=32 method=rtn}"
wq, _ = compress("int3", q)
E = W1 - wq["w1"].T
base = out_err(E, Hd)
errs = {}
for m in ("svd", "lqer", "eora"):
    wm, repm = compress(f"int3-{m}", f"{q},qsl-compensate{{rank={r} method={m} type=f32}}")
    Er = W1 - wm["w1"].T
    errs[m] = (out_err(Er, Hd), float(np.sum(Er ** 2)))
    c.check(repm["w1"].get("method", "").endswith(f"+ {m} r{r}"), f"{m}: report method {repm['w1'].get('method')}")
opt_out = whitened_optimum(E, Hd, r)
opt_fro = float(np.sum(np.linalg.svd(E, compute_uv=False)[r:] ** 2))
c.check(abs(errs["eora"][0] - opt_out) <= 1e-3 * opt_out,
        f"eora r{r}: tr(E_r H E_r^T) {errs['eora'][0]:.4f}, numpy optimum {opt_out:.4f} (uncorrected {base:.4f})")
c.check(abs(errs["svd"][1] - opt_fro) <= 1e-3 * opt_fro,
        f"svd r{r} correction: ||E_r||² {errs['svd'][1]:.5f}, numpy optimum {opt_fro:.5f}")
c.check(errs["eora"][0] <= errs["lqer"][0] < base,
        f"output error: eora {errs['eora'][0]:.4f} <= lqer {errs['lqer'][0]:.4f} < int3 alone {base:.4f}")

# Composition: 2:4 + int4 + eora, and AWQ (smooth facet) + eora.
for tag, first in (("24-int4", "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=32 method=gptq}"),
                   ("awq3", "qsl-quantize{bits=3 group=32 method=awq}")):
    wb, _ = compress(tag, first)
    wc_, repc = compress(f"{tag}-eora", f"{first},qsl-compensate{{rank={r} method=eora}}")
    before, after = out_err(W1 - wb["w1"].T, Hd), out_err(W1 - wc_["w1"].T, Hd)
    c.check(after < 0.9 * before, f"{tag} + eora r{r}: output error {before:.4f} -> {after:.4f} "
            f"({repc['w1'].get('method')})")
sys.exit(c.finish("lowrank-numerics"))
