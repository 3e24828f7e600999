#!/usr/bin/env python3
"""Builds the ONNX graph of the trained GPT (out/gpt.npz, out/gpt.json) with
onnx.helper and checks it in onnxruntime against the JAX forward pass.

    python3 benchmarks/causal_lm/export_onnx.py [--weights out/gpt] [-o out/gpt.onnx]

Input `input_ids` int64 [batch, ctx] (ctx fixed: the learned positions and
the causal mask are [ctx, ...] constants); output `logits` f32 [batch, ctx,
vocab]. Opset 20: LayerNormalization (17) and Gelu (20) as single nodes.
Every linear layer is a MatMul on a 2-D [in, out] initializer named like
the weight (`h0.attn.qkv.weight`, ..., `lm_head.weight`) followed by an Add
of its bias; the MatMul nodes are named like the layer (`h0.attn.qkv`).
"""
import argparse
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import data

OPSET = 20


def build(params, cfg):
    d, heads, layers, ctx = cfg["d_model"], cfg["heads"], cfg["layers"], cfg["ctx"]
    vocab, dh = len(cfg["vocab"]), cfg["d_model"] // cfg["heads"]
    nodes, inits = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, name, **attrs):
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    for k, v in params.items():
        const(k, v.astype(np.float32))
    const("attn.scale", np.array(1.0 / math.sqrt(dh), np.float32))
    const("attn.causal_mask", np.where(np.tril(np.ones((ctx, ctx), bool)), 0.0, -1e9).astype(np.float32))
    const("shape.heads", np.array([-1, ctx, heads, dh], np.int64))
    const("shape.model", np.array([-1, ctx, d], np.int64))
    const("split.qkv", np.array([d, d, d], np.int64))

    def linear(x, prefix):
        y = node("MatMul", [x, prefix + ".weight"], prefix)
        return node("Add", [y, prefix + ".bias"], prefix + ".add_bias")

    def layer_norm(x, prefix):
        return node("LayerNormalization", [x, prefix + ".scale", prefix + ".bias"], prefix,
                    axis=-1, epsilon=1e-5)

    x = node("Gather", ["tok_emb", "input_ids"], "tok_emb.gather", axis=0)
    x = node("Add", [x, "pos_emb"], "embed")
    for i in range(layers):
        p = f"h{i}."
        h = layer_norm(x, p + "ln1")
        qkv = linear(h, p + "attn.qkv")
        nodes.append(helper.make_node("Split", [qkv, "split.qkv"], [p + "q", p + "k", p + "v"],
                                      name=p + "split", axis=2))
        q, k, v = (node("Reshape", [p + n, "shape.heads"], p + n + ".heads") for n in "qkv")
        q = node("Transpose", [q], p + "q.t", perm=[0, 2, 1, 3])        # [B, H, T, dh]
        k = node("Transpose", [k], p + "k.t", perm=[0, 2, 3, 1])        # [B, H, dh, T]
        v = node("Transpose", [v], p + "v.t", perm=[0, 2, 1, 3])
        q = node("Mul", [q, "attn.scale"], p + "q.scaled")
        att = node("MatMul", [q, k], p + "attn.scores")
        att = node("Add", [att, "attn.causal_mask"], p + "attn.masked")
        att = node("Softmax", [att], p + "attn.probs", axis=-1)
        y = node("MatMul", [att, v], p + "attn.context")
        y = node("Transpose", [y], p + "attn.context.t", perm=[0, 2, 1, 3])
        y = node("Reshape", [y, "shape.model"], p + "attn.merge")
        x = node("Add", [x, linear(y, p + "attn.proj")], p + "residual1")
        h = layer_norm(x, p + "ln2")
        h = node("Gelu", [linear(h, p + "mlp.fc")], p + "mlp.gelu", approximate="none")
        x = node("Add", [x, linear(h, p + "mlp.proj")], p + "residual2")
    x = layer_norm(x, "ln_f")
    nodes.append(helper.make_node("MatMul", [x, "lm_head.weight"], ["logits"], name="lm_head"))
    graph = helper.make_graph(
        nodes, "austen_char_gpt",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", ctx])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", ctx, vocab])],
        initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="qsl benchmarks/causal_lm/export_onnx.py")
    m.ir_version = 10
    onnx.checker.check_model(m, full_check=True)
    return m


def load(weights):
    with open(weights + ".json") as f:
        cfg = json.load(f)
    with np.load(weights + ".npz") as z:
        params = {k: z[k] for k in z.files}
    return params, cfg


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--weights", default=os.path.join(data.OUT, "gpt"), help="prefix of .npz/.json")
    parser.add_argument("-o", "--output", default=None, help="default: WEIGHTS.onnx")
    parser.add_argument("--check-windows", type=int, default=8)
    args = parser.parse_args()
    params, cfg = load(args.weights)
    out = args.output or args.weights + ".onnx"
    onnx.save(build(params, cfg), out)
    print(f"wrote {out} ({os.path.getsize(out) / 1e6:.1f} MB)")

    # onnxruntime against the JAX forward on held-out windows.
    import jax
    import jax.numpy as jnp
    import onnxruntime as ort
    import model
    books = data.load_books()
    ids = data.heldout_windows(books, data.tokenizer(books, len(cfg["vocab"])), args.check_windows, cfg["ctx"])
    want = np.asarray(jax.jit(lambda p, x: model.forward(p, x, cfg["layers"], cfg["heads"]))(
        {k: jnp.asarray(v) for k, v in params.items()}, jnp.asarray(ids.astype(np.int32))))
    sess = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    got = sess.run(["logits"], {"input_ids": ids})[0]
    err = np.abs(got - want).max()
    print(f"onnxruntime vs JAX on {ids.shape[0]}x{ids.shape[1]} held-out tokens: max |diff| "
          f"{err:.2e} (logits up to {np.abs(want).max():.1f}); nll {model.numpy_nll(got, ids)[0] / ((ids.shape[1] - 1) * ids.shape[0]):.5f} "
          f"vs {model.numpy_nll(want, ids)[0] / ((ids.shape[1] - 1) * ids.shape[0]):.5f}")
    assert err <= 1e-3 * max(1.0, np.abs(want).max()), "onnxruntime disagrees with JAX"


if __name__ == "__main__":
    main()
