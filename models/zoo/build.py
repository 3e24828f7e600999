#!/usr/bin/env python3
"""Randomly initialised ONNX models shaped like what torch.onnx.export (the
TorchScript exporter, opset 17, eval mode) writes for five model families:

    gpt2         transformers GPT2LMHeadModel (GPT-2 small, 124M parameters)
    llama        transformers LlamaForCausalLM (4.40-style eager attention,
                 grouped-query attention, KV cache in and out; 2 small layers)
    vit_tiny     timm vit_tiny_patch16_224 (non-fused attention, as exported)
    resnet18     torchvision resnet18 (BatchNormalization kept, as with
                 do_constant_folding=False)
    mobilenetv2  torchvision mobilenet_v2 (width 1.0)

PyTorch is not used (its wheels pull gigabytes of CUDA packages); each graph
is written with onnx.helper node by node, following the exporter's symbolic
functions: shapes of dynamic dimensions are computed with Shape/Gather/
Unsqueeze/Concat chains, static ones are constants (the exporter's shape
inference folds them), `Tensor.expand` with -1 goes through the
Where(Equal(shape, -1), 1, shape) guard, Linear on 3-D inputs is MatMul with
the transposed weight then Add of the bias, Linear on 2-D inputs is
Gemm(transB=1), Conv1D (GPT-2) is addmm, i.e. Reshape/Gemm/Reshape, GELU is
written with Erf or Tanh ops, small constants are Constant nodes and
parameters are initializers. Weights are random (numpy default_rng, fixed
seeds) with the libraries' own init scales, so activations stay finite; norm
and BatchNorm parameters and statistics are perturbed around their init
values to look like trained ones.

    python models/zoo/build.py OUT_DIR [--only NAME] [--gpt2-layers N]

writes OUT_DIR/NAME.onnx for each model (gpt2 with its ~500 MB of weights in
OUT_DIR/gpt2.onnx.data).
"""
import argparse
import contextlib
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8  # what torch.onnx.export writes for opset 17
F32, I64, BOOL = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL
FLOAT_MIN = float(np.finfo(np.float32).min)


class Graph:
    """Collects nodes and initializers with exporter-style names
    (`/scope/Op_1`, outputs `/scope/Op_1_output_0`)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []
        self.names = {}
        self.prefix = ""
        self.params = 0

    @contextlib.contextmanager
    def scope(self, name):
        saved = self.prefix
        self.prefix = f"{saved}/{name}"
        try:
            yield
        finally:
            self.prefix = saved

    def op(self, op_type, inputs, outputs=1, out=None, **attrs):
        """Adds a node with `outputs` outputs (`out` names a single one, for
        graph outputs); returns its output name, or the list of them."""
        base = f"{self.prefix}/{op_type}"
        n = self.names.get(base, 0)
        self.names[base] = n + 1
        node_name = base if n == 0 else f"{base}_{n}"
        outs = [out] if out is not None else [f"{node_name}_output_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), outs, name=node_name, **attrs))
        return outs[0] if len(outs) == 1 else outs

    # Constants and parameters.
    def const(self, value, dtype=np.int64):
        """A Constant node (the exporter writes small constants this way)."""
        t = numpy_helper.from_array(np.array(value, dtype=dtype))
        return self.op("Constant", [], value=t)

    def i64(self, *values):
        return self.const(list(values))

    def f32(self, value):
        return self.const(value, np.float32)

    def param(self, name, array, count=True):
        array = np.ascontiguousarray(array)
        self.inits.append(numpy_helper.from_array(array, name))
        if count:
            self.params += array.size
        return name

    def normal(self, name, shape, std, count=True):
        a = self.rng.standard_normal(shape, dtype=np.float32)
        a *= np.float32(std)
        return self.param(name, a, count)

    def uniform(self, name, shape, bound, count=True):
        return self.param(name, self.rng.uniform(-bound, bound, shape).astype(np.float32), count)

    def around(self, name, shape, center, spread, count=True):
        """A norm parameter near its init value, as after training."""
        return self.param(name, (center + spread * self.rng.standard_normal(shape)).astype(np.float32),
                          count)

    # Exporter idioms.
    def dim(self, x, i):
        """`x.size(i)` of a dynamic dimension: Shape, Gather(i) -> int64 scalar."""
        return self.op("Gather", [self.op("Shape", [x]), self.const(i)], axis=0)

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.i64(*axes)])

    def shape_of(self, *parts):
        """A shape tuple mixing traced scalars (str) and static ints, as
        the exporter writes it: Unsqueeze each scalar, Concat."""
        return self.op("Concat", [self.unsqueeze(p, [0]) if isinstance(p, str) else self.i64(p)
                                  for p in parts], axis=0)

    def reshape(self, x, *parts):
        return self.op("Reshape", [x, self.shape_of(*parts)])

    def expand(self, x, *parts):
        """`x.expand(*parts)`: sizes of -1 are replaced with 1 through
        Where(Equal(size, -1), ones, size), as symbolic_opset9.expand does."""
        size = self.shape_of(*parts)
        ones = self.op("ConstantOfShape", [self.op("Shape", [size])],
                       value=numpy_helper.from_array(np.array([1], np.int64)))
        neg = self.op("Mul", [ones, self.const(-1)])
        size = self.op("Where", [self.op("Equal", [size, neg]), ones, size])
        return self.op("Expand", [x, size])

    def linear(self, x, name, d_in, d_out, std=0.02, bias=True, bias_std=0.02):
        """nn.Linear on a >2-D input: MatMul with the (constant-folded)
        transposed weight, then Add of the bias."""
        with self.scope(name.split(".")[-1]):
            w = self.normal(f"{name}.weight_t", (d_in, d_out), std)
            y = self.op("MatMul", [x, w])
            if bias:
                y = self.op("Add", [self.normal(f"{name}.bias", (d_out,), bias_std), y])
        return y

    def gemm_linear(self, x, name, d_in, d_out, init="normal", std=0.01, out=None):
        """nn.Linear on a 2-D input: Gemm(transB=1) with the weight as is."""
        with self.scope(name.split(".")[-1]):
            if init == "normal":
                w = self.normal(f"{name}.weight", (d_out, d_in), std)
                b = self.normal(f"{name}.bias", (d_out,), std)
            else:  # torch's default Linear init
                bound = 1 / math.sqrt(d_in)
                w = self.uniform(f"{name}.weight", (d_out, d_in), bound)
                b = self.uniform(f"{name}.bias", (d_out,), bound)
            return self.op("Gemm", [x, w, b], alpha=1.0, beta=1.0, transB=1, out=out)

    def layernorm(self, x, name, d, eps):
        with self.scope(name.split(".")[-1]):
            return self.op("LayerNormalization",
                           [x, self.around(f"{name}.weight", (d,), 1.0, 0.05),
                            self.around(f"{name}.bias", (d,), 0.0, 0.02)],
                           axis=-1, epsilon=eps)

    def model(self, name, inputs, outputs, doc=""):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="qsl models/zoo/build.py", doc_string=doc)
        m.ir_version = IR_VERSION
        helper.set_model_props(m, {"parameters": str(self.params)})
        return m


def tensor(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def param_count(model):
    """Parameters as the source model counts them (tied weights once, no
    buffers such as BatchNorm statistics or masks)."""
    props = {p.key: p.value for p in model.metadata_props}
    return int(props["parameters"]) if "parameters" in props else None


# --------------------------------------------------------------------------
# GPT-2 (transformers GPT2LMHeadModel, eager attention)
# --------------------------------------------------------------------------

def gpt2(layers=12, vocab=50257, n_positions=1024, d=768, heads=12, seed=0):
    g = Graph(seed)
    dh = d // heads
    eps = 1e-5
    nproj_std = 0.02 / math.sqrt(2 * layers)  # GPT-2's scaled init of c_proj
    with g.scope("transformer"):
        seq = g.dim("input_ids", 1)
        ids = g.reshape("input_ids", -1, seq)  # input_ids.view(-1, input_shape[-1])
        # position_ids = torch.arange(past_length, input_shape[-1] + past_length).unsqueeze(0)
        pos = g.op("Range", [g.const(0), g.op("Add", [seq, g.const(0)]), g.const(1)])
        pos = g.unsqueeze(pos, [0])
        wte = g.normal("transformer.wte.weight", (vocab, d), 0.02)
        with g.scope("wte"):
            tok = g.op("Gather", [wte, ids])
        with g.scope("wpe"):
            pe = g.op("Gather", [g.normal("transformer.wpe.weight", (n_positions, d), 0.01), pos])
        h = g.op("Add", [tok, pe])
        # The causal-mask buffer: tril(ones(1024, 1024)).view(1, 1, 1024, 1024), bool.
        bias = g.param("transformer.h.attn.bias",
                       np.tril(np.ones((n_positions, n_positions), bool))[None, None], count=False)

        def conv1d(x, name, nx, nf, std):
            """transformers' Conv1D: addmm(bias, x.view(-1, nx), weight).view(size_out)."""
            with g.scope(name.split(".")[-1]):
                b, s = g.dim(x, 0), g.dim(x, 1)
                x2 = g.reshape(x, -1, nx)
                y = g.op("Gemm", [x2, g.normal(f"{name}.weight", (nx, nf), std),
                                  g.normal(f"{name}.bias", (nf,), 0.02)], alpha=1.0, beta=1.0)
                return g.reshape(y, b, s, nf)

        for i in range(layers):
            p = f"transformer.h.{i}"
            with g.scope(f"h.{i}"):
                x = g.layernorm(h, f"{p}.ln_1", d, eps)
                with g.scope("attn"):
                    qkv = conv1d(x, f"{p}.attn.c_attn", d, 3 * d, 0.02)
                    q, k, v = g.op("Split", [qkv, g.i64(d, d, d)], outputs=3, axis=2)

                    def split_heads(t):
                        t = g.reshape(t, g.dim(t, 0), g.dim(t, 1), heads, dh)
                        return g.op("Transpose", [t], perm=[0, 2, 1, 3])

                    q, k, v = split_heads(q), split_heads(k), split_heads(v)
                    kt = g.op("Transpose", [k], perm=[0, 1, 3, 2])
                    w = g.op("MatMul", [q, kt])
                    w = g.op("Div", [w, g.f32(math.sqrt(dh))])
                    # causal_mask = self.bias[:, :, key_length - query_length : key_length, :key_length]
                    ql, kl = g.dim(q, 2), g.dim(k, 2)
                    start = g.op("Sub", [kl, ql])
                    m = g.op("Slice", [bias, g.unsqueeze(start, [0]), g.unsqueeze(kl, [0]),
                                       g.i64(2), g.i64(1)])
                    m = g.op("Slice", [m, g.i64(0), g.unsqueeze(kl, [0]), g.i64(3), g.i64(1)])
                    w = g.op("Where", [m, w, g.f32(FLOAT_MIN)])
                    w = g.op("Softmax", [w], axis=-1)
                    a = g.op("MatMul", [w, v])
                    # _merge_heads
                    a = g.op("Transpose", [a], perm=[0, 2, 1, 3])
                    a = g.reshape(a, g.dim(a, 0), g.dim(a, 1), d)
                    a = conv1d(a, f"{p}.attn.c_proj", d, d, nproj_std)
                h = g.op("Add", [a, h])
                x = g.layernorm(h, f"{p}.ln_2", d, eps)
                with g.scope("mlp"):
                    f = conv1d(x, f"{p}.mlp.c_fc", d, 4 * d, 0.02)
                    with g.scope("act"):  # NewGELUActivation (tanh form)
                        half = g.op("Mul", [f, g.f32(0.5)])
                        cube = g.op("Pow", [f, g.f32(3.0)])
                        inner = g.op("Add", [f, g.op("Mul", [cube, g.f32(0.044715)])])
                        t = g.op("Tanh", [g.op("Mul", [inner, g.f32(math.sqrt(2.0 / math.pi))])])
                        f = g.op("Mul", [half, g.op("Add", [t, g.f32(1.0)])])
                    f = conv1d(f, f"{p}.mlp.c_proj", 4 * d, d, nproj_std)
                h = g.op("Add", [h, f])
        h = g.layernorm(h, "transformer.ln_f", d, eps)
        h = g.reshape(h, -1, seq, d)  # hidden_states.view(output_shape)
    with g.scope("lm_head"):  # tied to wte: lm_head.weight is wte.weight
        g.op("MatMul", [h, g.op("Transpose", [wte], perm=[1, 0])], out="logits")
    return g.model(f"gpt2-{layers}l", [tensor("input_ids", I64, ["batch", "sequence"])],
                   [tensor("logits", F32, ["batch", "sequence", vocab])],
                   doc="GPT-2 small as transformers' GPT2LMHeadModel exports (random weights)")


# --------------------------------------------------------------------------
# Llama (transformers 4.40 LlamaForCausalLM, eager attention, DynamicCache)
# --------------------------------------------------------------------------

def llama(layers=2, vocab=1000, d=256, heads=4, kv_heads=2, intermediate=688,
          rope_theta=10000.0, eps=1e-6, seed=1):
    g = Graph(seed)
    dh = d // heads
    n_rep = heads // kv_heads
    std = 0.02  # initializer_range

    def rmsnorm(x, name):
        with g.scope(name.split(".")[-1]):
            v = g.op("ReduceMean", [g.op("Pow", [x, g.f32(2.0)])], axes=[-1], keepdims=1)
            r = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [v, g.f32(eps)])])])  # rsqrt
            y = g.op("Mul", [x, r])
            return g.op("Mul", [g.around(f"{name}.weight", (d,), 1.0, 0.05), y])

    inv_freq = 1.0 / (rope_theta ** (np.arange(0, dh, 2, dtype=np.float32) / dh))
    g.param("model.rotary_emb.inv_freq_expanded", inv_freq[None, :, None].astype(np.float32),
            count=False)

    def rotate_half(x):
        x1 = g.op("Slice", [x, g.i64(0), g.i64(dh // 2), g.i64(3), g.i64(1)])
        x2 = g.op("Slice", [x, g.i64(dh // 2), g.i64(2**63 - 1), g.i64(3), g.i64(1)])
        return g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)

    with g.scope("model"):
        with g.scope("embed_tokens"):
            h = g.op("Gather", [g.normal("model.embed_tokens.weight", (vocab, d), std), "input_ids"])
        # _update_causal_mask (no attention_mask given, dynamic cache).
        past = g.dim("past_key_0", 2)  # past_key_values.get_seq_length()
        seq = g.dim(h, 1)
        cache_position = g.op("Range", [past, g.op("Add", [past, seq]), g.const(1)])
        target = g.op("Add", [g.op("Add", [past, seq]), g.const(1)])
        mask = g.op("ConstantOfShape", [g.shape_of(seq, target)],
                    value=numpy_helper.from_array(np.array([FLOAT_MIN], np.float32)))
        mask = g.op("Trilu", [mask, g.const(1)], upper=1)
        later = g.op("Greater", [g.op("Range", [g.const(0), target, g.const(1)]),
                                 g.reshape(cache_position, -1, 1)])
        mask = g.op("Mul", [mask, g.op("Cast", [later], to=F32)])
        mask = g.unsqueeze(g.unsqueeze(mask, [0]), [1])
        mask = g.expand(mask, g.dim(h, 0), 1, -1, -1)

        for i in range(layers):
            p = f"model.layers.{i}"
            with g.scope(f"layers.{i}"):
                x = rmsnorm(h, f"{p}.input_layernorm")
                with g.scope("self_attn"):
                    bsz, qlen = g.dim(x, 0), g.dim(x, 1)
                    q = g.linear(x, f"{p}.self_attn.q_proj", d, heads * dh, std, bias=False)
                    k = g.linear(x, f"{p}.self_attn.k_proj", d, kv_heads * dh, std, bias=False)
                    v = g.linear(x, f"{p}.self_attn.v_proj", d, kv_heads * dh, std, bias=False)
                    q = g.op("Transpose", [g.reshape(q, bsz, qlen, heads, dh)], perm=[0, 2, 1, 3])
                    k = g.op("Transpose", [g.reshape(k, bsz, qlen, kv_heads, dh)], perm=[0, 2, 1, 3])
                    v = g.op("Transpose", [g.reshape(v, bsz, qlen, kv_heads, dh)], perm=[0, 2, 1, 3])
                    with g.scope("rotary_emb"):
                        f = g.expand("model.rotary_emb.inv_freq_expanded",
                                     g.dim("position_ids", 0), -1, 1)
                        pos = g.op("Cast", [g.unsqueeze("position_ids", [1])], to=F32)
                        freqs = g.op("Transpose", [g.op("MatMul", [f, pos])], perm=[0, 2, 1])
                        emb = g.op("Concat", [freqs, freqs], axis=-1)
                        cos, sin = g.op("Cos", [emb]), g.op("Sin", [emb])
                    cos, sin = g.unsqueeze(cos, [1]), g.unsqueeze(sin, [1])
                    q = g.op("Add", [g.op("Mul", [q, cos]), g.op("Mul", [rotate_half(q), sin])])
                    k = g.op("Add", [g.op("Mul", [k, cos]), g.op("Mul", [rotate_half(k), sin])])
                    # DynamicCache.update: cat([past, new], dim=-2)
                    k = g.op("Concat", [f"past_key_{i}", k], axis=-2, out=f"present_key_{i}")
                    v = g.op("Concat", [f"past_value_{i}", v], axis=-2, out=f"present_value_{i}")

                    def repeat_kv(t):
                        b, s = g.dim(t, 0), g.dim(t, 2)
                        t = g.expand(g.unsqueeze(t, [2]), b, kv_heads, n_rep, s, dh)
                        return g.reshape(t, b, kv_heads * n_rep, s, dh)

                    k, v = repeat_kv(k), repeat_kv(v)
                    w = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
                    w = g.op("Div", [w, g.f32(math.sqrt(dh))])
                    # causal_mask = attention_mask[:, :, :, : key_states.shape[-2]]
                    m = g.op("Slice", [mask, g.i64(0), g.unsqueeze(g.dim(k, 2), [0]),
                                       g.i64(3), g.i64(1)])
                    w = g.op("Add", [w, m])
                    w = g.op("Softmax", [g.op("Cast", [w], to=F32)], axis=-1)
                    a = g.op("MatMul", [w, v])
                    a = g.op("Transpose", [a], perm=[0, 2, 1, 3])
                    a = g.reshape(a, bsz, qlen, d)
                    a = g.linear(a, f"{p}.self_attn.o_proj", d, d, std, bias=False)
                h = g.op("Add", [h, a])
                x = rmsnorm(h, f"{p}.post_attention_layernorm")
                with g.scope("mlp"):
                    gate = g.linear(x, f"{p}.mlp.gate_proj", d, intermediate, std, bias=False)
                    with g.scope("act_fn"):  # SiLU
                        gate = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
                    up = g.linear(x, f"{p}.mlp.up_proj", d, intermediate, std, bias=False)
                    f = g.linear(g.op("Mul", [gate, up]), f"{p}.mlp.down_proj", intermediate, d,
                                 std, bias=False)
                h = g.op("Add", [h, f])
        h = rmsnorm(h, "model.norm")
    with g.scope("lm_head"):
        g.op("MatMul", [h, g.normal("lm_head.weight_t", (d, vocab), std)], out="logits")

    kv = lambda name, s: tensor(name, F32, ["batch", kv_heads, s, dh])
    inputs = [tensor("input_ids", I64, ["batch", "sequence"]),
              tensor("position_ids", I64, ["batch", "sequence"])]
    outputs = [tensor("logits", F32, ["batch", "sequence", vocab])]
    for i in range(layers):
        inputs += [kv(f"past_key_{i}", "past_sequence"), kv(f"past_value_{i}", "past_sequence")]
        outputs += [kv(f"present_key_{i}", "total_sequence"), kv(f"present_value_{i}", "total_sequence")]
    return g.model("llama-gqa", inputs, outputs,
                   doc="Llama decoder (GQA, RoPE, KV cache) as transformers 4.40 exports it")


# --------------------------------------------------------------------------
# ViT-Tiny/16 (timm vit_tiny_patch16_224)
# --------------------------------------------------------------------------

def vit_tiny(layers=12, d=192, heads=3, mlp=768, patch=16, image=224, classes=1000, seed=2):
    g = Graph(seed)
    dh = d // heads
    n = (image // patch) ** 2 + 1
    eps = 1e-6
    x = "pixel_values"
    with g.scope("patch_embed"):
        with g.scope("proj"):
            fan_in = 3 * patch * patch
            x = g.op("Conv", [x, g.uniform("patch_embed.proj.weight", (d, 3, patch, patch),
                                           1 / math.sqrt(fan_in)),
                              g.uniform("patch_embed.proj.bias", (d,), 1 / math.sqrt(fan_in))],
                     dilations=[1, 1], group=1, kernel_shape=[patch, patch], pads=[0, 0, 0, 0],
                     strides=[patch, patch])
        # x.flatten(2): symbolic_helper._flatten_helper
        shape = g.op("Slice", [g.op("Shape", [x]), g.i64(0), g.i64(2), g.i64(0)])
        x = g.op("Reshape", [x, g.op("Concat", [shape, g.i64(-1)], axis=0)])
        x = g.op("Transpose", [x], perm=[0, 2, 1])
    cls = g.expand(g.normal("cls_token", (1, 1, d), 1e-6), g.dim(x, 0), -1, -1)
    x = g.op("Concat", [cls, x], axis=1)
    x = g.op("Add", [x, g.normal("pos_embed", (1, n, d), 0.02)])
    for i in range(layers):
        p = f"blocks.{i}"
        with g.scope(f"blocks/blocks.{i}"):
            y = g.layernorm(x, f"{p}.norm1", d, eps)
            with g.scope("attn"):
                b = g.dim(y, 0)
                qkv = g.linear(y, f"{p}.attn.qkv", d, 3 * d, 0.02)
                qkv = g.reshape(qkv, b, n, 3, heads, dh)
                qkv = g.op("Transpose", [qkv], perm=[2, 0, 3, 1, 4])
                q, k, v = [g.op("Squeeze", [t, g.i64(0)])
                           for t in g.op("Split", [qkv, g.i64(1, 1, 1)], outputs=3, axis=0)]
                q = g.op("Mul", [q, g.f32(dh ** -0.5)])
                w = g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 1, 3, 2])])
                w = g.op("Softmax", [w], axis=-1)
                a = g.op("MatMul", [w, v])
                a = g.op("Transpose", [a], perm=[0, 2, 1, 3])
                a = g.reshape(a, b, n, d)
                a = g.linear(a, f"{p}.attn.proj", d, d, 0.02)
            x = g.op("Add", [x, a])
            y = g.layernorm(x, f"{p}.norm2", d, eps)
            with g.scope("mlp"):
                y = g.linear(y, f"{p}.mlp.fc1", d, mlp, 0.02)
                with g.scope("act"):  # nn.GELU(), exact
                    e = g.op("Erf", [g.op("Div", [y, g.f32(math.sqrt(2.0))])])
                    y = g.op("Mul", [g.op("Mul", [y, g.op("Add", [e, g.f32(1.0)])]), g.f32(0.5)])
                y = g.linear(y, f"{p}.mlp.fc2", mlp, d, 0.02)
            x = g.op("Add", [x, y])
    x = g.layernorm(x, "norm", d, eps)
    x = g.op("Gather", [x, g.const(0)], axis=1)  # x[:, 0] (global_pool='token')
    with g.scope("head"):
        w = g.normal("head.weight", (classes, d), 0.02)
        b = g.normal("head.bias", (classes,), 0.02)
        g.op("Gemm", [x, w, b], alpha=1.0, beta=1.0, transB=1, out="logits")
    return g.model("vit_tiny_patch16_224",
                   [tensor("pixel_values", F32, ["batch", 3, image, image])],
                   [tensor("logits", F32, ["batch", classes])],
                   doc="timm vit_tiny_patch16_224 as torch.onnx.export writes it (random weights)")


# --------------------------------------------------------------------------
# torchvision CNNs (eval mode, BatchNormalization kept)
# --------------------------------------------------------------------------

def _conv_bn(g, x, name, bn_name, c_in, c_out, k, stride, pad, groups=1):
    """Conv (bias=False, kaiming_normal fan_out) + BatchNormalization in eval
    mode (epsilon 1e-5, momentum 0.9 = 1 - torch's 0.1)."""
    fan_out = c_out * k * k // groups
    with g.scope(name.split(".")[-1]):
        y = g.op("Conv", [x, g.normal(f"{name}.weight", (c_out, c_in // groups, k, k),
                                      math.sqrt(2.0 / fan_out))],
                 dilations=[1, 1], group=groups, kernel_shape=[k, k], pads=[pad] * 4,
                 strides=[stride, stride])
    with g.scope(bn_name.split(".")[-1]):
        r = g.rng
        scale = g.param(f"{bn_name}.weight", (1.0 + 0.1 * r.standard_normal(c_out)).astype(np.float32))
        bias = g.param(f"{bn_name}.bias", (0.1 * r.standard_normal(c_out)).astype(np.float32))
        mean = g.param(f"{bn_name}.running_mean", (0.1 * r.standard_normal(c_out)).astype(np.float32),
                       count=False)
        var = g.param(f"{bn_name}.running_var", r.uniform(0.5, 2.0, c_out).astype(np.float32),
                      count=False)
        return g.op("BatchNormalization", [y, scale, bias, mean, var], epsilon=1e-5, momentum=0.9)


def resnet18(classes=1000, seed=3):
    g = Graph(seed)
    x = _conv_bn(g, "input", "conv1", "bn1", 3, 64, 7, 2, 3)
    with g.scope("relu"):
        x = g.op("Relu", [x])
    with g.scope("maxpool"):
        x = g.op("MaxPool", [x], ceil_mode=0, kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    c_in = 64
    for stage, c in enumerate([64, 128, 256, 512], start=1):
        for blk in range(2):
            stride = 2 if stage > 1 and blk == 0 else 1
            p = f"layer{stage}.{blk}"
            with g.scope(f"layer{stage}/layer{stage}.{blk}"):
                y = _conv_bn(g, x, f"{p}.conv1", f"{p}.bn1", c_in, c, 3, stride, 1)
                with g.scope("relu"):
                    y = g.op("Relu", [y])
                y = _conv_bn(g, y, f"{p}.conv2", f"{p}.bn2", c, c, 3, 1, 1)
                if stride != 1 or c_in != c:
                    with g.scope("downsample"):
                        x = _conv_bn(g, x, f"{p}.downsample.0", f"{p}.downsample.1", c_in, c, 1,
                                     stride, 0)
                y = g.op("Add", [y, x])
                with g.scope("relu"):
                    x = g.op("Relu", [y])
            c_in = c
    with g.scope("avgpool"):
        x = g.op("GlobalAveragePool", [x])
    x = g.op("Flatten", [x], axis=1)
    g.gemm_linear(x, "fc", 512, classes, init="default", out="output")
    return g.model("resnet18", [tensor("input", F32, ["batch", 3, 224, 224])],
                   [tensor("output", F32, ["batch", classes])],
                   doc="torchvision resnet18, eval, do_constant_folding=False (random weights)")


def mobilenetv2(classes=1000, seed=4):
    g = Graph(seed)
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def relu6(x):
        return g.op("Clip", [x, g.f32(0.0), g.f32(6.0)])

    def conv_bn_act(x, name, c_in, c_out, k, stride, groups=1, act=True):
        with g.scope(name.split(".")[-1] if "." in name else name):
            y = _conv_bn(g, x, f"{name}.0", f"{name}.1", c_in, c_out, k, stride, (k - 1) // 2, groups)
            if act:
                with g.scope("2"):
                    y = relu6(y)
            return y

    with g.scope("features"):
        x = conv_bn_act("input", "features.0", 3, 32, 3, 2)
        c_in, idx = 32, 1
        for t, c, n, s in settings:
            for j in range(n):
                stride = s if j == 0 else 1
                hidden = int(round(c_in * t))
                p = f"features.{idx}.conv"
                with g.scope(f"features.{idx}/conv"):
                    y, li = x, 0
                    if t != 1:
                        y = conv_bn_act(y, f"{p}.{li}", c_in, hidden, 1, 1)
                        li += 1
                    y = conv_bn_act(y, f"{p}.{li}", hidden, hidden, 3, stride, groups=hidden)
                    li += 1
                    y = _conv_bn(g, y, f"{p}.{li}", f"{p}.{li + 1}", hidden, c, 1, 1, 0)
                if stride == 1 and c_in == c:
                    with g.scope(f"features.{idx}"):
                        y = g.op("Add", [x, y])
                x, c_in, idx = y, c, idx + 1
        x = conv_bn_act(x, f"features.{idx}", c_in, 1280, 1, 1)
    x = g.op("GlobalAveragePool", [x])  # adaptive_avg_pool2d(x, (1, 1))
    x = g.op("Flatten", [x], axis=1)
    with g.scope("classifier"):  # classifier.0 is Dropout: gone in eval
        g.gemm_linear(x, "classifier.1", 1280, classes, init="normal", std=0.01, out="output")
    return g.model("mobilenet_v2", [tensor("input", F32, ["batch", 3, 224, 224])],
                   [tensor("output", F32, ["batch", classes])],
                   doc="torchvision mobilenet_v2, eval, do_constant_folding=False (random weights)")


MODELS = {"gpt2": gpt2, "llama": llama, "vit_tiny": vit_tiny, "resnet18": resnet18,
          "mobilenetv2": mobilenetv2}


def save(model, path, external_data=False):
    """Writes `model` to `path`; with external_data, every initializer over
    1 KiB goes to one file next to it, `<basename>.data` (this converts
    `model` in place)."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    if external_data:
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        onnx.save_model(model, path)
    return path


def build(name, out_dir, **kwargs):
    """Builds model `name` into OUT_DIR/name.onnx (gpt2 with external data)
    and returns the path."""
    model = MODELS[name](**kwargs)
    return save(model, os.path.join(out_dir, f"{name}.onnx"), external_data=(name == "gpt2"))


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Writes OUT_DIR/NAME.onnx for each model (gpt2 with external data).")
    ap.add_argument("out_dir")
    ap.add_argument("--only", choices=sorted(MODELS), action="append",
                    help="build only this model (may be repeated)")
    ap.add_argument("--gpt2-layers", type=int, default=12, help="GPT-2 blocks (default 12)")
    args = ap.parse_args(argv)
    for name in args.only or MODELS:
        kwargs = {"layers": args.gpt2_layers} if name == "gpt2" else {}
        model = MODELS[name](**kwargs)
        params = param_count(model)
        path = save(model, os.path.join(args.out_dir, f"{name}.onnx"), external_data=(name == "gpt2"))
        print(f"{name}: {params:,} parameters -> {path}")


if __name__ == "__main__":
    sys.exit(main())
