# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-prune-structured end to end, against an independent numpy/onnxruntime
implementation of FLAP:

* models: a BERT-style MLP (MatMul, bias Add, Gelu, MatMul, bias Add) and a
  LLaMA-style SwiGLU MLP (gate and up MatMuls, x*sigmoid(x)*up, Gemm transB
  down projection), hidden size not a multiple of the rounding;
* reference: onnxruntime computes the consumer's input on the calibration
  data; numpy takes FLAP's scores Var(x_j)·||W2[:, j]||^2 (or the data-free
  magnitude score), keeps the top channels, slices the weights and adds the
  compensation bias W2[:, removed]·mean(x_removed); onnxruntime runs the
  smaller model. QSL's compiled output must match it (rel. max error 1e-4);
* compensation helps: FLAP with it is closer to the dense model than
  without it;
* bad options fail with one clear message.
"""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, max_relative_error, reference, run_model

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
T, K, H, N = 32, 48, 100, 40   # H = 100: kept counts round up to multiples of 8

mix = rng.normal(size=(K, K)) / np.sqrt(K) + np.eye(K)
def activations(rows):
    return (rng.normal(size=(rows, K)) @ mix).astype(np.float32)

def f32(*shape, s=0.2):
    return (rng.normal(size=shape) * s).astype(np.float32)

# Channel means far from 0 on some channels, so that compensation matters.
P = dict(w1=f32(K, H), b1=(f32(H, s=1.0) + 0.5).astype(np.float32), w2=f32(H, N),
         b2=f32(N), wg=f32(K, H), wu=f32(K, H), wd=f32(N, H))


def mlp(p, h, path, comp=None, inter_out=False):
    """BERT MLP; with comp, a second bias (the compensation) after fc2."""
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h0"], name="fc1"),
             helper.make_node("Add", ["h0", "b1"], ["h1"], name="bias1"),
             helper.make_node("Gelu", ["h1"], ["a"], name="gelu", domain=""),
             helper.make_node("MatMul", ["a", "w2"], ["y0"], name="fc2"),
             helper.make_node("Add", ["y0", "b2"], ["y"], name="bias2")]
    inits = [numpy_helper.from_array(p[k], k) for k in ("w1", "b1", "w2", "b2")]
    if comp is not None:
        nodes[-1] = helper.make_node("Add", ["y0", "b2"], ["yb"], name="bias2")
        nodes.append(helper.make_node("Add", ["yb", "comp"], ["y"], name="comp"))
        inits.append(numpy_helper.from_array(comp.astype(np.float32), "comp"))
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])]
    if inter_out:
        outs.append(helper.make_tensor_value_info("a", TensorProto.FLOAT, [T, h]))
    g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
                          outs, initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


def swiglu(p, h, path, comp=None, inter_out=False):
    nodes = [helper.make_node("MatMul", ["x", "wg"], ["g"], name="gate"),
             helper.make_node("MatMul", ["x", "wu"], ["u"], name="up"),
             helper.make_node("Sigmoid", ["g"], ["sg"], name="sig"),
             helper.make_node("Mul", ["g", "sg"], ["silu"], name="silu"),
             helper.make_node("Mul", ["silu", "u"], ["a"], name="glu"),
             helper.make_node("Gemm", ["a", "wd"], ["y0"], name="down", transB=1)]
    inits = [numpy_helper.from_array(p[k], k) for k in ("wg", "wu", "wd")]
    if comp is not None:
        nodes.append(helper.make_node("Add", ["y0", "comp"], ["y"], name="comp"))
        inits.append(numpy_helper.from_array(comp.astype(np.float32), "comp"))
    else:
        nodes[-1] = helper.make_node("Gemm", ["a", "wd"], ["y"], name="down", transB=1)
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])]
    if inter_out:
        outs.append(helper.make_tensor_value_info("a", TensorProto.FLOAT, [T, h]))
    g = helper.make_graph(nodes, "swiglu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
                          outs, initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


calib_x = [activations(T) for _ in range(4)]
calib = []
for i, xc in enumerate(calib_x):
    calib.append(os.path.join(out, f"calib{i}.npz"))
    np.savez(calib[-1], x=xc)
x = {"x": activations(T)}
c = Checker()


def reference_pruned(kind, ratio, method, compensate, multiple=8):
    """The pruned model built by numpy from onnxruntime's activations."""
    build = mlp if kind == "mlp" else swiglu
    probe = build(P, H, os.path.join(out, f"{kind}-probe.onnx"), inter_out=True)
    sess = ort.InferenceSession(probe, providers=["CPUExecutionProvider"])
    a = np.concatenate([sess.run(["a"], {"x": xc})[0] for xc in calib_x]).astype(np.float64)
    w2 = (P["w2"].T if kind == "mlp" else P["wd"]).astype(np.float64)     # [N, H]
    if method == "flap":
        score = a.var(axis=0) * (w2 ** 2).sum(axis=0)
    else:
        w1s = [P["w1"]] if kind == "mlp" else [P["wg"], P["wu"]]
        score = np.sqrt((w2 ** 2).sum(axis=0)) * np.sqrt(sum((w.astype(np.float64) ** 2).sum(axis=0) for w in w1s))
    keep = min(H, max(multiple, int(np.ceil(H * (1 - ratio) / multiple)) * multiple))
    kept = np.sort(np.argsort(-score, kind="stable")[:keep])
    removed = np.setdiff1d(np.arange(H), kept)
    comp = w2[:, removed] @ a.mean(axis=0)[removed] if compensate else None
    q = dict(P)
    if kind == "mlp":
        q.update(w1=P["w1"][:, kept], b1=P["b1"][kept], w2=P["w2"][kept, :])
    else:
        q.update(wg=P["wg"][:, kept], wu=P["wu"][:, kept], wd=P["wd"][:, kept])
    path = build(q, keep, os.path.join(out, f"{kind}-{method}-{ratio}-{compensate}.onnx"), comp=comp)
    return reference(path, x)[0], keep


dense_out = {}
for kind in ("mlp", "swiglu"):
    dense = (mlp if kind == "mlp" else swiglu)(P, H, os.path.join(out, f"{kind}.onnx"))
    dense_out[kind] = reference(dense, x)[0]
    errs = {}
    for method, ratio, compensate in [("flap", 0.25, True), ("flap", 0.5, True), ("flap", 0.5, False),
                                      ("magnitude", 0.5, True)]:
        pipeline = (f"qsl-prune-structured{{ratio={ratio} method={method} "
                    f"compensate={'true' if compensate else 'false'}}}")
        got = run_model(dense, x, [f"--pipeline={pipeline}", "--calibrate=" + ",".join(calib)])[0]
        want, keep = reference_pruned(kind, ratio, method, compensate)
        err = max_relative_error(got, want)
        c.check(err <= 1e-4, f"{kind} {method} ratio {ratio} compensate {compensate}: "
                f"QSL vs numpy/onnxruntime pruned model ({keep} of {H} channels), rel. max error {err:.2e}")
        errs[(method, ratio, compensate)] = max_relative_error(got, dense_out[kind])
    a, b = errs[("flap", 0.5, True)], errs[("flap", 0.5, False)]
    c.check(a < b, f"{kind}: FLAP 50% with compensation {a:.4f} closer to dense than without {b:.4f}")

# FLAP's adaptive structure on two parallel MLPs (y = MLP_a(x) + MLP_b(x)):
# scores standardized per group, the lowest 40% of all channels removed.
H2 = 64
# MLP_b's scores are heavy-tailed (8 channels with 10x larger weights), so
# the standardized ranking splits the removals differently from the
# uniform 40% per group (checked below).
Q = dict(fa1=f32(K, H), fa2=f32(H, N), fb1=f32(K, H2),
         fb2=(f32(H2, N) * np.where(np.arange(H2) < 8, 10.0, 1.0)[:, None]).astype(np.float32))


def two_mlps(q, ha, hb, path, comp=None, inter_out=False):
    nodes = [helper.make_node("MatMul", ["x", "fa1"], ["ha"], name="fa1"),
             helper.make_node("Gelu", ["ha"], ["aa"], name="gelu"),
             helper.make_node("MatMul", ["aa", "fa2"], ["ya"], name="fa2"),
             helper.make_node("MatMul", ["x", "fb1"], ["hb"], name="fb1"),
             helper.make_node("Relu", ["hb"], ["ab"], name="relu"),
             helper.make_node("MatMul", ["ab", "fb2"], ["yb"], name="fb2"),
             helper.make_node("Add", ["ya", "yb"], ["y0" if comp is not None else "y"], name="sum")]
    inits = [numpy_helper.from_array(q[k], k) for k in ("fa1", "fa2", "fb1", "fb2")]
    if comp is not None:
        nodes.append(helper.make_node("Add", ["y0", "comp"], ["y"], name="comp"))
        inits.append(numpy_helper.from_array(comp.astype(np.float32), "comp"))
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])]
    if inter_out:
        outs += [helper.make_tensor_value_info("aa", TensorProto.FLOAT, [T, ha]),
                 helper.make_tensor_value_info("ab", TensorProto.FLOAT, [T, hb])]
    g = helper.make_graph(nodes, "two", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
                          outs, initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 20)]), path)
    return path


two = two_mlps(Q, H, H2, os.path.join(out, "two.onnx"))
probe = two_mlps(Q, H, H2, os.path.join(out, "two-probe.onnx"), inter_out=True)
sess = ort.InferenceSession(probe, providers=["CPUExecutionProvider"])
acts = [np.concatenate([sess.run([n], {"x": xc})[0] for xc in calib_x]).astype(np.float64) for n in ("aa", "ab")]
w2s = [Q["fa2"].T.astype(np.float64), Q["fb2"].T.astype(np.float64)]
scores = [a.var(axis=0) * (w ** 2).sum(axis=0) for a, w in zip(acts, w2s)]
z = np.concatenate([(sc - sc.mean()) / sc.std() for sc in scores])
owner = np.concatenate([np.full(len(sc), i) for i, sc in enumerate(scores)])
keep_total = int(np.ceil(len(z) * 0.6))
chosen = owner[np.argsort(-z, kind="stable")[:keep_total]]
keeps = [min(len(sc), max(8, int(np.ceil(np.sum(chosen == i) / 8)) * 8)) for i, sc in enumerate(scores)]
q2, comp = dict(Q), np.zeros(N)
for i, (sc, a, w, k) in enumerate(zip(scores, acts, w2s, keeps)):
    kept = np.sort(np.argsort(-sc, kind="stable")[:k])
    removed = np.setdiff1d(np.arange(len(sc)), kept)
    comp += w[:, removed] @ a.mean(axis=0)[removed]
    p1, p2 = ("fa1", "fa2") if i == 0 else ("fb1", "fb2")
    q2[p1], q2[p2] = Q[p1][:, kept], Q[p2][kept, :]
want = reference(two_mlps(q2, keeps[0], keeps[1], os.path.join(out, "two-global.onnx"), comp=comp), x)[0]
got = run_model(two, x, ["--pipeline=qsl-prune-structured{ratio=0.4 structure=global}",
                         "--calibrate=" + ",".join(calib)])[0]
err = max_relative_error(got, want)
uniform = [min(h, max(8, int(np.ceil(np.ceil(h * 0.6) / 8)) * 8)) for h in (H, H2)]
c.check(keeps != uniform and err <= 1e-4,
        f"global structure: groups keep {keeps[0]} of {H} and {keeps[1]} of {H2} channels "
        f"(uniform: {uniform}); "
        f"QSL vs numpy/onnxruntime, rel. max error {err:.2e}")

# The pruned IR: narrower weights and tensors, composed with quantization.
mlir = subprocess.run(["qslc", os.path.join(out, "mlp.onnx"), "--emit=mlir", "--calibrate=" + ",".join(calib),
                       "--pipeline=qsl-prune-structured{ratio=0.25},qsl-quantize{bits=4 group=8}", "-o", "-"],
                      capture_output=True, text=True)
c.check(mlir.returncode == 0, f"qslc prune-structured + quantize: {mlir.stderr.strip()[-300:]}")
c.check("tensor<48x80xf32, #qsl.encoding<quant" in mlir.stdout and "tensor<80x40xf32, #qsl.encoding<quant" in mlir.stdout
        and "tensor<32x100xf32>" not in mlir.stdout,
        "fc1 is 48x80 and fc2 80x40, both quantized; no 100-wide tensor is left")

# The report's model size: the imported initializers before, the narrower
# ones after (fp32: 4 bytes each; fc1 48x80 + b1 80 + fc2 80x40 + b2 40,
# plus the 40-element compensation bias).
rep_path = os.path.join(out, "report.json")
p = subprocess.run(["qslc", os.path.join(out, "mlp.onnx"), "--emit=mlir", "-o", os.devnull,
                    "--calibrate=" + ",".join(calib), f"--report={rep_path}",
                    "--pipeline=qsl-prune-structured{ratio=0.25}"], capture_output=True, text=True)
totals = json.load(open(rep_path))["totals"] if p.returncode == 0 else {}
want_before = 4 * (K * H + H + H * N + N)
want_after = 4 * (K * 80 + 80 + 80 * N + N + N)
c.check(totals.get("model_bytes_before") == want_before and totals.get("model_bytes_after") == want_after,
        f"report model bytes {totals.get('model_bytes_before')} -> {totals.get('model_bytes_after')}, "
        f"expected {want_before} -> {want_after} {p.stderr.strip()[-200:]}")

# Bad options.
for opts, msg in [("ratio=1.0", "ratio must be in [0, 1), got 1"),
                  ("method=wanda", "unknown method 'wanda' (expected flap or magnitude)"),
                  ("target=layers", "unknown target 'layers' (expected channels or heads)"),
                  ("multiple-of=0", "multiple-of must be >= 1, got 0"),
                  ("structure=layerwise", "unknown structure 'layerwise' (expected uniform or global)")]:
    p = subprocess.run(["qsl-opt", f"--qsl-prune-structured={opts}", "-"], input="module {}",
                       capture_output=True, text=True)
    c.check(p.returncode != 0 and f"qsl-prune-structured: {msg}" in p.stderr,
            f"{opts}: {p.stderr.strip().splitlines()[0] if p.stderr.strip() else 'no error'}")
p = subprocess.run(["qslc", os.path.join(out, "mlp.onnx"), "--emit=mlir", "-o", "-",
                    "--pipeline=qsl-prune-structured{method=flap}"], capture_output=True, text=True)
c.check(p.returncode != 0 and "method=flap needs calibration statistics" in p.stderr,
        f"flap without calibration: {p.stderr.strip()[-200:]}")
sys.exit(c.finish("prune-structured"))
