# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-prune-structured{target=heads} end to end, against an independent
numpy/onnxruntime implementation:

* models: two stacked BERT-style attention blocks (separate Q, K, V
  MatMuls with biases, Reshape to heads, Transpose, Q·Kᵀ, scale, a padding
  mask shared by all heads, Softmax, P·V, Transpose, Reshape, output
  projection, residual), and a GPT-style block with one fused QKV
  projection split in three and a causal mask;
* reference: onnxruntime computes the output projection's input on the
  calibration data; numpy scores each head (FLAP: the sum over its D
  channels of Var(x_j)·||W_O[:, j]||², or the data-free magnitude
  ||W_O[:, head]||·||W_QKV[head rows]||), keeps the top heads, slices every
  weight, bias and reshape, and adds the compensation bias; onnxruntime runs
  the smaller model. QSL's output must match it (rel. max error 1e-4);
* FLAP's global structure across the two blocks, and compensation helping;
* the pruned IR has no full-width attention tensor left.
"""
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
rng = np.random.default_rng(5)
B, S, E, H = 2, 8, 48, 6
D = E // H

def f32(*shape, s=0.3):
    return (rng.normal(size=shape) * s).astype(np.float32)

# Padding mask: the last two positions of the second sequence are masked.
pad = np.zeros((B, 1, 1, S), np.float32)
pad[1, :, :, -2:] = -1e4
causal = np.triu(np.full((S, S), -1e4, np.float32), 1)[None, None]


def layer_params(scale_heads):
    # Heads differ in size so that the scores are well separated; V's bias
    # is far from 0 so that compensation matters.
    p = {n: f32(E, E) for n in ("wq", "wk", "wv", "wo")}
    p["wv"] *= np.repeat(scale_heads, D)[None, :].astype(np.float32)
    p.update(bq=f32(E), bk=f32(E), bv=(f32(E, s=1.0) + 0.5).astype(np.float32), bo=f32(E))
    return p


# Block 0 has two strong heads, block 1 one outlier among five similar
# ones: the global ranking keeps 2 heads of block 0 and 4 of block 1.
P = [layer_params(np.array([2.0, 0.05, 1.5, 0.1, 0.05, 0.1])),
     layer_params(np.array([0.5, 0.6, 0.55, 6.0, 0.5, 0.6]))]


def attention(nodes, inits, p, x, pre, heads, comp=None, mask="pad"):
    """Appends one block reading `x`; returns its output name and the name of
    the output projection's input."""
    e = heads * D
    def init(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), pre + name))
        return pre + name
    def node(op, ins, name, **kw):
        nodes.append(helper.make_node(op, ins, [pre + name], name=pre + name, **kw))
        return pre + name
    split = init("split_shape", np.array([B, S, heads, D], np.int64))
    merge = init("merge_shape", np.array([B, S, e], np.int64))
    hs = {}
    for n in "qkv":
        mm = node("MatMul", [x, init("w" + n, p["w" + n])], n + "_mm")
        hs[n] = node("Reshape", [node("Add", [mm, init("b" + n, p["b" + n])], n), split], n + "_h")
    qt = node("Transpose", [hs["q"]], "qt", perm=[0, 2, 1, 3])
    kt = node("Transpose", [hs["k"]], "kt", perm=[0, 2, 3, 1])
    vt = node("Transpose", [hs["v"]], "vt", perm=[0, 2, 1, 3])
    s0 = node("MatMul", [qt, kt], "s0")
    s1 = node("Div", [s0, init("scale", np.array(np.sqrt(D), np.float32))], "s1")
    s2 = node("Add", [s1, init("mask", pad if mask == "pad" else causal)], "s2")
    pr = node("Softmax", [s2], "probs", axis=-1)
    c0 = node("MatMul", [pr, vt], "c0")
    ctx = node("Reshape", [node("Transpose", [c0], "c1", perm=[0, 2, 1, 3]), merge], "ctx")
    y = node("Add", [node("MatMul", [ctx, init("wo", p["wo"])], "o_mm"), init("bo", p["bo"])], "o")
    if comp is not None:
        y = node("Add", [y, init("comp", comp.astype(np.float32))], "o_comp")
    return node("Add", [y, x], "res"), ctx


def save(nodes, inits, outs, path, name):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [B, S, E])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs],
                          initializer=inits)
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def bert(params, heads, path, comps=(None, None), probe=False):
    nodes, inits, ctxs, x = [], [], [], "x"
    for i, (p, h, comp) in enumerate(zip(params, heads, comps)):
        x, ctx = attention(nodes, inits, p, x, f"l{i}_", h, comp)
        ctxs.append(ctx)
    nodes.append(helper.make_node("Identity", [x], ["y"], name="out"))
    return save(nodes, inits, ["y"] + (ctxs if probe else []), path, "bert")


def gpt(p, heads, path, comp=None, probe=False):
    """One block with a fused QKV projection: Wqkv = [Wq | Wk | Wv]."""
    e = heads * D
    nodes, inits = [], []
    def init(name, a):
        inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name
    nodes.append(helper.make_node("MatMul", ["x", init("wqkv", np.concatenate([p["wq"], p["wk"], p["wv"]], 1))],
                                  ["qkv_mm"], name="qkv"))
    nodes.append(helper.make_node("Add", ["qkv_mm", init("bqkv", np.concatenate([p["bq"], p["bk"], p["bv"]]))],
                                  ["qkv_b"], name="qkv_bias"))
    nodes.append(helper.make_node("Split", ["qkv_b", init("sizes", np.array([e, e, e], np.int64))],
                                  ["q", "k", "v"], name="split", axis=2))
    split = init("split_shape", np.array([B, S, heads, D], np.int64))
    merge = init("merge_shape", np.array([B, S, e], np.int64))
    hs = {n: n + "_h" for n in "qkv"}
    for n in "qkv":
        nodes.append(helper.make_node("Reshape", [n, split], [n + "_h"], name=n + "_heads"))
    nodes += [helper.make_node("Transpose", ["q_h"], ["qt"], perm=[0, 2, 1, 3]),
              helper.make_node("Transpose", ["k_h"], ["kt"], perm=[0, 2, 3, 1]),
              helper.make_node("Transpose", ["v_h"], ["vt"], perm=[0, 2, 1, 3]),
              helper.make_node("MatMul", ["qt", "kt"], ["s0"]),
              helper.make_node("Div", ["s0", init("scale", np.array(np.sqrt(D), np.float32))], ["s1"]),
              helper.make_node("Add", ["s1", init("mask", causal)], ["s2"]),
              helper.make_node("Softmax", ["s2"], ["probs"], axis=-1),
              helper.make_node("MatMul", ["probs", "vt"], ["c0"]),
              helper.make_node("Transpose", ["c0"], ["c1"], perm=[0, 2, 1, 3]),
              helper.make_node("Reshape", ["c1", merge], ["ctx"]),
              helper.make_node("MatMul", ["ctx", init("wo", p["wo"])], ["o_mm"], name="out_proj"),
              helper.make_node("Add", ["o_mm", init("bo", p["bo"])], ["y" if comp is None else "y0"])]
    if comp is not None:
        nodes.append(helper.make_node("Add", ["y0", init("comp", comp.astype(np.float32))], ["y"]))
    return save(nodes, inits, ["y"] + (["ctx"] if probe else []), path, "gpt")


calib_x = [f32(B, S, E, s=1.0) for _ in range(4)]
calib = []
for i, xc in enumerate(calib_x):
    calib.append(os.path.join(out, f"calib{i}.npz"))
    np.savez(calib[-1], x=xc)
calib_flag = "--calibrate=" + ",".join(calib)
x = {"x": f32(B, S, E, s=1.0)}
c = Checker()


def contexts(probe_path, count):
    sess = ort.InferenceSession(probe_path, providers=["CPUExecutionProvider"])
    runs = [sess.run(None, {"x": xc})[1:1 + count] for xc in calib_x]
    return [np.concatenate([r[i].reshape(-1, E) for r in runs]).astype(np.float64) for i in range(count)]


def head_scores(p, ctx, method):
    wo = p["wo"].T.astype(np.float64)                     # [N, E]: column j = input channel j
    if method == "flap":
        ch = ctx.var(axis=0) * (wo ** 2).sum(axis=0)
        return ch.reshape(H, D).sum(axis=1)
    out_n = np.array([(wo[:, h * D:(h + 1) * D] ** 2).sum() for h in range(H)])
    in_n = np.array([sum((p[w][:, h * D:(h + 1) * D].astype(np.float64) ** 2).sum() for w in ("wq", "wk", "wv"))
                     for h in range(H)])
    return np.sqrt(out_n) * np.sqrt(in_n)


def prune_params(p, ctx, kept, compensate):
    cols = np.concatenate([np.arange(h * D, (h + 1) * D) for h in kept])
    removed = np.setdiff1d(np.arange(E), cols)
    q = dict(p)
    for n in "qkv":
        q["w" + n], q["b" + n] = p["w" + n][:, cols], p["b" + n][cols]
    q["wo"] = p["wo"][cols, :]
    comp = p["wo"].T.astype(np.float64)[:, removed] @ ctx.mean(axis=0)[removed] if compensate else None
    return q, comp


def top(scores, keep):
    return np.sort(np.argsort(-scores, kind="stable")[:keep])


# Two BERT blocks, uniform: every block keeps ceil(6 * (1 - ratio)) heads.
dense = bert(P, (H, H), os.path.join(out, "bert.onnx"))
ctxs = contexts(bert(P, (H, H), os.path.join(out, "bert-probe.onnx"), probe=True), 2)
for method, ratio, compensate in [("flap", 0.5, True), ("flap", 0.5, False), ("flap", 0.34, True),
                                  ("magnitude", 0.5, True)]:
    keep = int(np.ceil(H * (1 - ratio) - 1e-9))
    pruned = [prune_params(p, ctx, top(head_scores(p, ctx, method), keep), compensate) for p, ctx in zip(P, ctxs)]
    want = reference(bert([q for q, _ in pruned], (keep, keep), os.path.join(out, f"bert-{method}-{ratio}.onnx"),
                          comps=[cp for _, cp in pruned]), x)[0]
    got = run_model(dense, x, [calib_flag, "--pipeline=qsl-prune-structured{target=heads "
                               f"ratio={ratio} method={method} compensate={str(compensate).lower()}}}"])[0]
    err = max_relative_error(got, want)
    c.check(err <= 1e-4, f"BERT x2 {method} ratio {ratio} compensate {compensate}: {keep} of {H} heads kept, "
            f"QSL vs numpy/onnxruntime pruned model, rel. max error {err:.2e}")

# Global structure: scores standardized per block, the lowest 50% of all
# twelve heads go.
scores = [head_scores(p, ctx, "flap") for p, ctx in zip(P, ctxs)]
z = np.concatenate([(s - s.mean()) / s.std() for s in scores])
owner = np.repeat([0, 1], H)
chosen = owner[np.argsort(-z, kind="stable")[:int(np.ceil(2 * H * 0.5))]]
keeps = [max(1, int(np.sum(chosen == i))) for i in range(2)]
pruned = [prune_params(p, ctx, top(s, k), True) for p, ctx, s, k in zip(P, ctxs, scores, keeps)]
want = reference(bert([q for q, _ in pruned], keeps, os.path.join(out, "bert-global.onnx"),
                      comps=[cp for _, cp in pruned]), x)[0]
got = run_model(dense, x, [calib_flag, "--pipeline=qsl-prune-structured{target=heads ratio=0.5 structure=global}"])[0]
err = max_relative_error(got, want)
c.check(keeps != [3, 3] and err <= 1e-4, f"BERT x2 global structure: blocks keep {keeps} heads (uniform: 3, 3); "
        f"QSL vs numpy/onnxruntime, "
        f"rel. max error {err:.2e}")

# GPT block with a fused QKV projection and a causal mask.
dense = gpt(P[0], H, os.path.join(out, "gpt.onnx"))
[ctx] = contexts(gpt(P[0], H, os.path.join(out, "gpt-probe.onnx"), probe=True), 1)
for method in ("flap", "magnitude"):
    q, comp = prune_params(P[0], ctx, top(head_scores(P[0], ctx, method), 3), True)
    want = reference(gpt(q, 3, os.path.join(out, f"gpt-{method}.onnx"), comp=comp), x)[0]
    got = run_model(dense, x, [calib_flag, f"--pipeline=qsl-prune-structured{{target=heads ratio=0.5 method={method}}}"])[0]
    err = max_relative_error(got, want)
    c.check(err <= 1e-4, f"GPT fused QKV {method}: 3 of {H} heads kept, QSL vs numpy/onnxruntime, rel. max error {err:.2e}")

# Compensation: the removed heads (V scaled by 0.05 and 0.1) are nearly
# constant, so replacing them by their means must bring the output closer
# to the dense model's.
dense_y = reference(dense, x)[0]
errs = [max_relative_error(run_model(dense, x, [calib_flag, "--pipeline=qsl-prune-structured{target=heads ratio=0.5 "
                                                f"compensate={flag}}}"])[0], dense_y) for flag in ("true", "false")]
c.check(errs[0] < 0.5 * errs[1], f"GPT FLAP 50% of heads: with compensation {errs[0]:.4f} vs dense, "
        f"without {errs[1]:.4f}")

# The IR: every attention tensor has 3 heads (24 channels), none has 6;
# composed with int4 quantization of the narrower weights.
p = subprocess.run(["qslc", dense, "--emit=mlir", "-o", "-", calib_flag, f"--input-shape=x={B}x{S}x{E}",
                    "--pipeline=qsl-prune-structured{target=heads ratio=0.5},qsl-quantize{bits=4 group=8}"],
                   capture_output=True, text=True)
ir = p.stdout
c.check(p.returncode == 0 and "tensor<48x72xf32, #qsl.encoding<quant" in ir and "tensor<24x48xf32, #qsl.encoding<quant" in ir
        and "<2x3x8x8xf32>" in ir and "x6x" not in ir and "2x8x144xf32" not in ir,
        f"pruned IR: QKV 48x72 and output 24x48 quantized, 3 heads everywhere {p.stderr.strip()[-300:]}")
c.check('qsl.weight = "wqkv"' in ir and 'qsl.weight = "wo"' in ir and 'qsl.weight = "wqkv_' not in ir,
        "the narrowed weights keep their initializer names (for reports and include= regexes)")

# Bad use: channels of an attention output are not a channel group, and
# heads need an attention block.
p = subprocess.run(["qsl-opt", "--qsl-prune-structured=target=heads method=magnitude", "-"],
                   input="""func.func @f(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<1.0> : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}""", capture_output=True, text=True)
c.check(p.returncode == 0 and "found no attention block to prune" in p.stderr,
        f"no attention block: {p.stderr.strip()[:200]}")
sys.exit(c.finish("prune-heads"))
