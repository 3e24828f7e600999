# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-quantize and qsl-prune end to end on a small MLP (MatMul [K, N]
weight, ReLU, Gemm with a transB [N, K] weight and bias):

* round trip: for every setting, the compiled compressed model (CPU
  pipeline, qsl-lower-to-linalg inside) equals onnxruntime running the
  dense model rebuilt from the stored approximation (qslc --dump-weights),
  relative max error <= 1e-5;
* the stored approximations agree with independent numpy implementations
  (RTN scales and codes, magnitude masks) and satisfy their patterns;
* data-aware methods beat data-free ones on the calibrated output error
  ||(W - Ŵ)X|| / ||WX|| of the report (GPTQ < RTN, SparseGPT and Wanda <
  magnitude), and report fields are consistent (bits per parameter).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations, max_relative_error, reference, run_model, save_mlp, compress_and_run

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
K, H, N, T = 64, 128, 48, 32

# Correlated features with a few strong channels, as in real activations.
activations = correlated_activations(rng, K)

w1 = rng.normal(size=(K, H)).astype(np.float32) * 0.1      # MatMul [K, N]
w2 = rng.normal(size=(N, H)).astype(np.float32) * 0.1      # Gemm transB [N, K]
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

def compress(tag, pipeline, calibrate=True):
    # Round trip: the dense model rebuilt from the stored approximation.
    _, weights, report = compress_and_run(dense, x, out, tag, pipeline, calib if calibrate else (),
                                          lambda path, w: make_model(path, w["w1"], w["w2"]), c)
    return weights, {w["name"]: w for w in report["weights"]}, report

def rtn_numpy(w, bits, group, symmetric):
    """Independent RTN on a canonical [out, in] matrix; returns Ŵ with f16 scales."""
    o, i = w.shape
    g = group or i
    wg = w.reshape(o, i // g, g).astype(np.float64)
    if symmetric:
        s = np.abs(wg).max(-1, keepdims=True) / (2 ** (bits - 1) - 1)
        s[s == 0] = 1
        q = np.clip(np.round(wg / s), -2 ** (bits - 1), 2 ** (bits - 1) - 1)
        z = 0
    else:
        lo = np.minimum(wg.min(-1, keepdims=True), 0)
        hi = np.maximum(wg.max(-1, keepdims=True), 0)
        s = (hi - lo) / (2 ** bits - 1)
        s[s == 0] = 1
        z = np.clip(np.round(-lo / s), 0, 2 ** bits - 1)
        q = np.clip(np.round(wg / s + z), 0, 2 ** bits - 1)
    s16 = s.astype(np.float16).astype(np.float64)
    return ((q - z) * s16).reshape(o, i), s16.max()

# --- quantization ---------------------------------------------------------
for tag, pipe, bits, group, sym in [
        ("rtn4g32", "qsl-quantize{bits=4 group=32 method=rtn}", 4, 32, False),
        ("rtn8pc", "qsl-quantize{bits=8 group=0 symmetric=true method=rtn}", 8, 0, True),
        ("rtn3g16s", "qsl-quantize{bits=3 group=16 symmetric=true method=rtn}", 3, 16, True)]:
    weights, rep, _ = compress(tag, pipe, calibrate=False)
    for name, w, canon in [("w1", w1, w1.T), ("w2", w2, w2)]:
        want, smax = rtn_numpy(canon, bits, group, sym)
        got = weights[name].T if name == "w1" else weights[name]
        diff = np.abs(got - want)
        # Codes may differ only where w/s sits on a rounding boundary.
        bad = np.mean(diff > 1e-3 * smax)
        c.check(bad <= 0.002, f"{tag} {name}: matches numpy RTN ({bad:.2%} positions differ)")
        bpp = bits + 16 / (group or canon.shape[1]) + (0 if sym else bits / (group or canon.shape[1]))
        c.check(abs(rep[name]["bits_per_parameter"] - bpp) < 1e-9,
                f"{tag} {name}: {rep[name]['bits_per_parameter']} bits/parameter, expected {bpp}")

# Data-free outliers: heavy-tailed weights (a few large entries) lose less
# with 2% of them kept in f16.
_, r3, _ = compress("rtn3", "qsl-quantize{bits=3 group=32 method=rtn}", calibrate=False)
_, r3o, _ = compress("rtn3o", "qsl-quantize{bits=3 group=32 method=rtn outliers=0.02}", calibrate=False)
for name in ["w1", "w2"]:
    a, b = r3o[name]["rel_frobenius_error"], r3[name]["rel_frobenius_error"]
    c.check(a < b, f"{name}: 3-bit RTN with 2% f16 outliers {a:.4f} < without {b:.4f}")
    c.check("outliers = <count = " in r3o[name]["encoding"], f"{name}: outlier facet in {r3o[name]['encoding']}")
_, rtn, _ = compress("rtn4g32c", "qsl-quantize{bits=4 group=32 method=rtn}")
_, mse, _ = compress("mse4g32", "qsl-quantize{bits=4 group=32 method=mse}")
_, gptq, _ = compress("gptq4g32", "qsl-quantize{bits=4 group=32 method=gptq}")
_, gptqa, _ = compress("gptq4g32a", "qsl-quantize{bits=4 group=32 method=gptq act-order=true}")
for name in ["w1", "w2"]:
    r, m, g, ga = (d[name]["output_error"] for d in (rtn, mse, gptq, gptqa))
    c.check(m <= r * 1.02, f"{name}: MSE range search output error {m:.4f} vs RTN {r:.4f}")
    c.check(g < 0.9 * r, f"{name}: GPTQ output error {g:.4f} < 0.9 x RTN {r:.4f}")
    c.check(ga < 0.9 * r, f"{name}: GPTQ act-order output error {ga:.4f} < 0.9 x RTN {r:.4f}")

# AWQ: the input of w1 has a few 6x channels; scaling them before RTN
# lowers the calibrated output error, and the search never does worse than
# RTN (alpha = 0 is RTN). The round trip (in compress) covers the smooth
# facet's multipliers, which --dump-weights folds into the dense weight.
_, awq, _ = compress("awq4g32", "qsl-quantize{bits=4 group=32 method=awq}")
_, awq3, _ = compress("awq3g32", "qsl-quantize{bits=3 group=32 method=awq range=mse}")
_, rtn3c, _ = compress("rtn3g32m", "qsl-quantize{bits=3 group=32 method=rtn range=mse}")
_, awq24, _ = compress("awq24", "qsl-prune{pattern=2:4 method=wanda},qsl-quantize{bits=4 group=32 method=awq}")
for name in ["w1", "w2"]:
    a, r = awq[name]["output_error"], rtn[name]["output_error"]
    c.check(a <= r * 1.0001, f"{name}: AWQ output error {a:.4f} <= RTN {r:.4f}")
    a3, r3m = awq3[name]["output_error"], rtn3c[name]["output_error"]
    c.check(a3 <= r3m * 1.02, f"{name}: 3-bit AWQ (mse range) {a3:.4f} <= RTN (mse range) {r3m:.4f}")
    enc = awq24[name]["encoding"]
    c.check("sparse = <2:4" in enc and "smooth = <" in enc,
            f"awq24 {name}: one encoding with sparse, quant and smooth facets: {enc}")
c.check(awq["w1"]["output_error"] < 0.95 * rtn["w1"]["output_error"],
        f"w1: AWQ output error {awq['w1']['output_error']:.4f} < 0.95 x RTN {rtn['w1']['output_error']:.4f}")

# --- pruning --------------------------------------------------------------
def runs_ok(w_canon, n, m):
    nz = (w_canon.reshape(w_canon.shape[0], -1, m) != 0).sum(-1)
    return bool((nz <= n).all())

weights, mag, _ = compress("mag24", "qsl-prune{pattern=2:4 method=magnitude}")
for name, w, canon in [("w1", w1, weights["w1"].T), ("w2", w2, weights["w2"])]:
    orig = w.T if name == "w1" else w
    runs = np.abs(orig).reshape(orig.shape[0], -1, 4)
    keep = np.zeros_like(runs, dtype=bool)
    top = np.argsort(-runs, axis=-1, kind="stable")[..., :2]
    np.put_along_axis(keep, top, True, axis=-1)
    want = np.where(keep.reshape(orig.shape), orig, 0)
    c.check(np.array_equal(canon, want), f"mag24 {name}: equals numpy 2:4 magnitude pruning")
_, wanda, _ = compress("wanda24", "qsl-prune{pattern=2:4 method=wanda}")
w_sgpt, sgpt, _ = compress("sgpt24", "qsl-prune{pattern=2:4 method=sparsegpt}")
_, dsnot, _ = compress("wanda24d", "qsl-prune{pattern=2:4 method=wanda refine=dsnot}")
w_u, sgptu, _ = compress("sgpt50", "qsl-prune{pattern=unstructured sparsity=0.5 method=sparsegpt}")
w_48q, sq, _ = compress("sgpt48q", "qsl-prune{pattern=4:8 method=sparsegpt},qsl-quantize{bits=4 group=32 method=rtn}")
_, sq_rtn, _ = compress("sgpt24q", "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=32 method=rtn}")
_, sq_gptq, _ = compress("sgpt24g", "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=32 method=gptq}")
w_blk, blk, _ = compress("blk", "qsl-prune{pattern=block:4x4 sparsity=0.5 method=magnitude}")
for name in ["w1", "w2"]:
    canon = lambda d: d[name].T if name == "w1" else d[name]
    c.check(runs_ok(canon(w_sgpt), 2, 4), f"sgpt24 {name}: every run of 4 keeps at most 2")
    c.check(runs_ok(canon(w_48q), 4, 8), f"sgpt48q {name}: every run of 8 keeps at most 4")
    density = np.mean(canon(w_u) != 0)
    c.check(abs(density - 0.5) < 0.01, f"sgpt50 {name}: density {density:.3f}")
    blocks = (w_blk[name].reshape(w_blk[name].shape[0] // 4, 4, -1, 4) != 0).any(axis=(1, 3))
    c.check(abs(blocks.mean() - 0.5) < 0.05, f"blk {name}: {blocks.mean():.2f} of 4x4 blocks kept")
    m, wd, s, d = (r[name]["output_error"] for r in (mag, wanda, sgpt, dsnot))
    c.check(s < m and s < wd, f"{name}: 2:4 output error SparseGPT {s:.4f} < Wanda {wd:.4f}, magnitude {m:.4f}")
    if name == "w1":
        # Wanda only helps where input norms differ: w1 sees the scaled
        # channels, w2 the near-uniform ReLU features.
        c.check(wd < m, f"{name}: 2:4 output error Wanda {wd:.4f} < magnitude {m:.4f}")
    c.check(d <= wd, f"{name}: DSnoT refinement {d:.4f} does not worsen Wanda {wd:.4f}")
    a, b = sq_gptq[name]["output_error"], sq_rtn[name]["output_error"]
    c.check(a < b, f"{name}: 2:4 + int4: GPTQ on the kept weights {a:.4f} < RTN {b:.4f}")
    enc = sq[name]["encoding"]
    c.check("quant" in enc and "sparse = <4:8" in enc, f"sgpt48q {name}: one encoding with both facets: {enc}")
    c.check("sparsegpt 4:8 + rtn" in sq[name]["method"], f"sgpt48q {name}: method {sq[name]['method']}")

sys.exit(c.finish("compression numerics"))
