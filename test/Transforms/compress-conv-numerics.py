# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-quantize and qsl-prune on convolution weights, end to end on a small
CNN (padded 3x3 Conv + bias, ReLU, a strided and dilated Conv with
asymmetric pads, a grouped Conv, a 1x1 Conv):

* round trip: the compiled compressed model equals onnxruntime running the
  dense model rebuilt from the stored approximation (qslc --dump-weights,
  OIHW), relative max error <= 1e-5;
* the canonical orientation: RTN groups and N:M runs follow the filter
  reshaped to [O, C/groups*kh*kw] (independent numpy RTN and magnitude 2:4);
* the report's calibrated output error of every Conv weight equals
  ||(W - Ŵ)Xᵀ|| / ||WXᵀ|| with X the im2col patches computed here in numpy
  from onnxruntime's activations (the im2col itself is checked against
  onnxruntime's convolution first), and its token count;
* GPTQ's calibrated output error is below RTN's, AWQ's no worse, SparseGPT's
  2:4 below magnitude's, and every 2:4 mask keeps exactly 2 in every run of 4;
* data-aware methods leave the grouped convolution dense, data-free ones
  compress it.
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, max_relative_error, reference, run_model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
B, C, HW = 2, 16, 12

# name -> (weight shape OIHW, attributes, input, output)
convs = {
    "w1": dict(shape=(32, 16, 3, 3), attrs=dict(pads=[1, 1, 1, 1]), x="x", y="h1"),
    "w2": dict(shape=(32, 32, 3, 3), attrs=dict(strides=[2, 1], dilations=[1, 2], pads=[1, 0, 2, 1]),
               x="r1", y="h2"),
    "w3": dict(shape=(32, 8, 3, 3), attrs=dict(group=4, pads=[1, 1, 1, 1]), x="h2", y="h3"),
    "w4": dict(shape=(16, 32, 1, 1), attrs=dict(), x="r3", y="y"),
}
orig = {n: (rng.normal(size=c["shape"]) * 0.2).astype(np.float32) for n, c in convs.items()}
b1 = rng.normal(size=(32,)).astype(np.float32)
mix = rng.normal(size=(C, C)) / np.sqrt(C) + np.eye(C)
chan = np.where(rng.random(C) < 0.2, 5.0, 1.0)

def image():
    x = rng.normal(size=(B, HW, HW, C)) @ mix * chan
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)).astype(np.float32)

def make_model(path, weights, extra_outputs=()):
    nodes = []
    for n, c in convs.items():
        ins = [c["x"], n] + (["b1"] if n == "w1" else [])
        nodes.append(helper.make_node("Conv", ins, [c["y"]], name="conv_" + n, **c["attrs"]))
        if n in ("w1", "w3"):
            nodes.append(helper.make_node("Relu", [c["y"]], ["r" + c["y"][1]], name="relu_" + n))
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    outs += [helper.make_tensor_value_info(e, TensorProto.FLOAT, None) for e in extra_outputs]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [B, C, HW, HW])], outs,
        initializer=[numpy_helper.from_array(weights[n], n) for n in convs] +
                    [numpy_helper.from_array(b1, "b1")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path

dense = make_model(os.path.join(out, "cnn.onnx"), orig)
calib_inputs = [image() for _ in range(4)]
calib = []
for i, xi in enumerate(calib_inputs):
    p = os.path.join(out, f"calib{i}.npz")
    np.savez(p, x=xi)
    calib.append(p)
x = {"x": image()}
c = Checker()

# --- independent im2col and statistics -------------------------------------
def im2col(a, shape, attrs):
    """Patches [tokens, C/g*kh*kw] of one group-less conv input (numpy)."""
    o, cg, kh, kw = shape
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    t, l, b, r = attrs.get("pads", [0, 0, 0, 0])
    a = np.pad(a.astype(np.float64), ((0, 0), (0, 0), (t, b), (l, r)))
    n, ch, hp, wp = a.shape
    oh = (hp - (dh * (kh - 1) + 1)) // sh + 1
    ow = (wp - (dw * (kw - 1) + 1)) // sw + 1
    cols = np.empty((n, oh, ow, ch, kh, kw))
    for i in range(kh):
        for j in range(kw):
            cols[:, :, :, :, i, j] = a[:, :, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                                       j * dw: j * dw + sw * (ow - 1) + 1: sw].transpose(0, 2, 3, 1)
    return cols.reshape(n * oh * ow, ch * kh * kw), (n, oh, ow)

# Activations of the dense model for the calibration inputs, by onnxruntime.
probe = make_model(os.path.join(out, "probe.onnx"), orig, ["r1", "h2", "r3"])
acts = {"x": [], "r1": [], "h2": [], "r3": []}
for xi in calib_inputs:
    y, r1, h2, r3 = reference(probe, {"x": xi})
    for k, v in zip(["x", "r1", "h2", "r3"], [xi, r1, h2, r3]):
        acts[k].append(v)
gram, tokens = {}, {}
for n, cv in convs.items():
    if cv["attrs"].get("group", 1) != 1:
        continue
    g, t = 0, 0
    for a in acts[cv["x"]]:
        X, (bn, oh, ow) = im2col(a, cv["shape"], cv["attrs"])
        g = g + X.T @ X
        t += X.shape[0]
    gram[n], tokens[n] = g, t
# The numpy im2col is the convolution: patches times filter rows.
X, (bn, oh, ow) = im2col(acts["r1"][0], convs["w2"]["shape"], convs["w2"]["attrs"])
want = (X @ orig["w2"].reshape(32, -1).T).reshape(bn, oh, ow, 32).transpose(0, 3, 1, 2)
got_h2 = acts["h2"][0]
c.check(want.shape == got_h2.shape and max_relative_error(want, got_h2) < 1e-5,
        "numpy im2col of the strided, dilated, padded conv equals onnxruntime's Conv")

def output_error(n, approx):
    e = (orig[n] - approx).reshape(orig[n].shape[0], -1).astype(np.float64)
    w = orig[n].reshape(orig[n].shape[0], -1).astype(np.float64)
    return np.sqrt(np.trace(e @ gram[n] @ e.T) / np.trace(w @ gram[n] @ w.T))

def compress(tag, pipeline, calibrate=True):
    args = [f"--pipeline={pipeline}", f"--report={out}/{tag}.json",
            f"--dump-weights={out}/{tag}.npz"]
    if calibrate:
        args.append("--calibrate=" + ",".join(calib))
    got = run_model(dense, x, args)[0]
    with np.load(f"{out}/{tag}.npz") as d:
        weights = {k: d[k] for k in d.files}
    report = {w["name"]: w for w in json.load(open(f"{out}/{tag}.json"))["weights"]}
    full = {n: weights.get(n, orig[n]) for n in convs}
    for n in weights:
        c.check(weights[n].shape == orig[n].shape, f"{tag} {n}: dumped weight is OIHW {weights[n].shape}")
    err = max_relative_error(got, reference(make_model(os.path.join(out, f"{tag}.onnx"), full), x)[0])
    c.check(err <= 1e-5, f"{tag}: round trip vs onnxruntime, rel. max error {err:.2e}")
    for n in convs:
        c.check(report[n]["op_type"] == "Conv" and report[n]["shape"] == list(orig[n].shape),
                f"{tag} {n}: reported as Conv {report[n]['shape']}")
    if calibrate:
        for n in gram:
            if n in weights:
                want = output_error(n, weights[n])
                got_e = report[n]["output_error"]
                c.check(abs(got_e - want) <= 2e-3 * want + 1e-7,
                        f"{tag} {n}: report output error {got_e:.5f} = numpy im2col {want:.5f}")
                c.check(report[n]["calibration_tokens"] == tokens[n],
                        f"{tag} {n}: {report[n]['calibration_tokens']} calibration tokens = {tokens[n]}")
    return weights, report

def rtn_numpy(w, bits, group):
    """Asymmetric RTN with f16 scales on the canonical [out, in] matrix."""
    o, i = w.shape
    g = group or i
    wg = w.reshape(o, i // g, g).astype(np.float64)
    lo = np.minimum(wg.min(-1, keepdims=True), 0)
    hi = np.maximum(wg.max(-1, keepdims=True), 0)
    s = (hi - lo) / (2 ** bits - 1)
    s[s == 0] = 1
    z = np.clip(np.round(-lo / s), 0, 2 ** bits - 1)
    q = np.clip(np.round(wg / s + z), 0, 2 ** bits - 1)
    s16 = s.astype(np.float16).astype(np.float64)
    return ((q - z) * s16).reshape(o, i), s16.max()

# --- quantization ------------------------------------------------------------
# group=8 divides every K (144, 288, 72, 32): groups run along (c, kh, kw).
rtn_w, rtn = compress("rtn4g8", "qsl-quantize{bits=4 group=8 method=rtn}")
for n in convs:
    canon = orig[n].reshape(orig[n].shape[0], -1)
    want, smax = rtn_numpy(canon, 4, 8)
    bad = np.mean(np.abs(rtn_w[n].reshape(canon.shape) - want) > 1e-3 * smax)
    c.check(bad <= 0.002, f"rtn4g8 {n}: matches numpy RTN along (c, kh, kw) ({bad:.2%} differ)")
    bpp = 4 + 16 / 8 + 4 / 8
    c.check(abs(rtn[n]["bits_per_parameter"] - bpp) < 1e-9,
            f"rtn4g8 {n}: {rtn[n]['bits_per_parameter']} bits/parameter, expected {bpp}")
gptq_w, gptq = compress("gptq4g8", "qsl-quantize{bits=4 group=8 method=gptq}")
awq_w, awq = compress("awq4g8", "qsl-quantize{bits=4 group=8 method=awq}")
for n in gram:
    g, r, a = gptq[n]["output_error"], rtn[n]["output_error"], awq[n]["output_error"]
    c.check(g < 0.9 * r, f"{n}: GPTQ output error {g:.4f} < 0.9 x RTN {r:.4f}")
    c.check(a <= r * 1.0001, f"{n}: AWQ output error {a:.4f} <= RTN {r:.4f}")
    c.check("smooth = <" in awq[n]["encoding"], f"awq {n}: smooth facet in {awq[n]['encoding']}")
c.check(gptq["w3"]["encoding"] == "dense" and "w3" not in gptq_w,
        "gptq: the grouped conv w3 is left dense (no per-group statistics)")
c.check("quant = <bits = 4, axis = 1, group = 8," in rtn["w3"]["encoding"] and "w3" in rtn_w,
        f"rtn: the grouped conv w3 is quantized: {rtn['w3']['encoding']}")
# A group that does not divide K (144 for w1) leaves the weight dense.
g48_w, g48 = compress("rtn4g48", "qsl-quantize{bits=4 group=48 method=rtn}", calibrate=False)
c.check("w1" in g48_w and "w4" not in g48_w and g48["w4"]["encoding"] == "dense",
        "group=48: w1 (K=144) quantized, w4 (K=32) left dense")

# --- pruning -------------------------------------------------------------------
mag_w, mag = compress("mag24", "qsl-prune{pattern=2:4 method=magnitude}")
sgpt_w, sgpt = compress("sgpt24", "qsl-prune{pattern=2:4 method=sparsegpt}")
wanda_w, wanda = compress("wanda24", "qsl-prune{pattern=2:4 method=wanda}")
sq_w, sq = compress("sgpt24g", "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=8 method=gptq}")
for n in convs:
    canon = orig[n].reshape(orig[n].shape[0], -1)
    runs = np.abs(canon).reshape(canon.shape[0], -1, 4)
    keep = np.zeros_like(runs, dtype=bool)
    np.put_along_axis(keep, np.argsort(-runs, axis=-1, kind="stable")[..., :2], True, axis=-1)
    c.check(np.array_equal(mag_w[n].reshape(canon.shape), np.where(keep.reshape(canon.shape), canon, 0)),
            f"mag24 {n}: equals numpy 2:4 magnitude pruning along (c, kh, kw)")
for n in gram:
    for tag, wts in [("sgpt24", sgpt_w), ("wanda24", wanda_w)]:
        nz = (wts[n].reshape(wts[n].shape[0], -1, 4) != 0).sum(-1)
        c.check(bool((nz == 2).all()), f"{tag} {n}: every run of 4 keeps exactly 2")
    # Quantization may round a kept weight to 0, never keep a third one.
    nz = (sq_w[n].reshape(sq_w[n].shape[0], -1, 4) != 0).sum(-1)
    c.check(bool((nz <= 2).all()), f"sgpt24g {n}: every run of 4 keeps at most 2")
    s, m = sgpt[n]["output_error"], mag[n]["output_error"]
    c.check(s < m, f"{n}: 2:4 output error SparseGPT {s:.4f} < magnitude {m:.4f}")
    c.check("sparse = <2:4, axis = 1>" in sq[n]["encoding"] and "quant" in sq[n]["encoding"],
            f"sgpt24g {n}: one encoding with both facets: {sq[n]['encoding']}")
c.check(sgpt["w3"]["encoding"] == "dense", "sparsegpt: the grouped conv w3 is left dense")

sys.exit(c.finish("conv compression numerics"))
