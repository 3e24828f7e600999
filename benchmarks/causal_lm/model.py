"""The GPT-style decoder of the causal-LM benchmark, as pure JAX functions on a
flat {name: array} parameter dict whose names are the ONNX initializer names
(export_onnx.py builds the same graph from the same dict).

Pre-LayerNorm blocks, learned positions, causal multi-head self-attention with
one fused QKV projection, GELU (exact, erf) MLP of 4x width, final LayerNorm,
untied lm head without bias. Every linear weight is stored [in, out], as an
ONNX MatMul multiplies it.
"""
import math

import jax
import jax.numpy as jnp
import numpy as np

LN_EPS = 1e-5


def param_shapes(vocab, d, layers, ctx):
    shapes = {"tok_emb": (vocab, d), "pos_emb": (ctx, d)}
    for i in range(layers):
        p = f"h{i}."
        shapes.update({
            p + "ln1.scale": (d,), p + "ln1.bias": (d,),
            p + "attn.qkv.weight": (d, 3 * d), p + "attn.qkv.bias": (3 * d,),
            p + "attn.proj.weight": (d, d), p + "attn.proj.bias": (d,),
            p + "ln2.scale": (d,), p + "ln2.bias": (d,),
            p + "mlp.fc.weight": (d, 4 * d), p + "mlp.fc.bias": (4 * d,),
            p + "mlp.proj.weight": (4 * d, d), p + "mlp.proj.bias": (d,),
        })
    shapes.update({"ln_f.scale": (d,), "ln_f.bias": (d,), "lm_head.weight": (d, vocab)})
    return shapes


def init_params(key, vocab, d, layers, ctx):
    """GPT-2's initialization: N(0, 0.02), residual projections scaled by
    1/sqrt(2 * layers), LayerNorm 1/0, biases 0."""
    params = {}
    shapes = param_shapes(vocab, d, layers, ctx)
    keys = jax.random.split(key, len(shapes))
    for k, (name, shape) in zip(keys, sorted(shapes.items())):
        if name.endswith(".scale"):
            params[name] = jnp.ones(shape, jnp.float32)
        elif name.endswith(".bias"):
            params[name] = jnp.zeros(shape, jnp.float32)
        else:
            std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
            params[name] = std * jax.random.normal(k, shape, jnp.float32)
    return params


def layer_norm(x, scale, bias):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + LN_EPS) * scale + bias


def forward(params, ids, layers, heads):
    """ids [B, T] int -> logits [B, T, V] f32."""
    b, t = ids.shape
    d = params["tok_emb"].shape[1]
    dh = d // heads
    x = params["tok_emb"][ids] + params["pos_emb"][:t]
    causal = jnp.tril(jnp.ones((t, t), bool))
    for i in range(layers):
        p = f"h{i}."
        h = layer_norm(x, params[p + "ln1.scale"], params[p + "ln1.bias"])
        qkv = h @ params[p + "attn.qkv.weight"] + params[p + "attn.qkv.bias"]
        qkv = qkv.reshape(b, t, 3, heads, dh).transpose(2, 0, 3, 1, 4)   # [3, B, H, T, dh]
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = (q * (1.0 / math.sqrt(dh))) @ k.transpose(0, 1, 3, 2)       # [B, H, T, T]
        att = jnp.where(causal, att, -1e9)
        att = jax.nn.softmax(att, axis=-1)
        y = (att @ v).transpose(0, 2, 1, 3).reshape(b, t, d)
        x = x + y @ params[p + "attn.proj.weight"] + params[p + "attn.proj.bias"]
        h = layer_norm(x, params[p + "ln2.scale"], params[p + "ln2.bias"])
        h = jax.nn.gelu(h @ params[p + "mlp.fc.weight"] + params[p + "mlp.fc.bias"], approximate=False)
        x = x + h @ params[p + "mlp.proj.weight"] + params[p + "mlp.proj.bias"]
    x = layer_norm(x, params["ln_f.scale"], params["ln_f.bias"])
    return x @ params["lm_head.weight"]


def next_token_nll(logits, ids):
    """Mean cross-entropy (nats) of predicting ids[:, 1:] from logits[:, :-1]."""
    logp = jax.nn.log_softmax(logits[:, :-1], axis=-1)
    return -jnp.take_along_axis(logp, ids[:, 1:, None], axis=-1).mean()


def numpy_nll(logits, ids):
    """The same in float64 numpy, for logits from onnxruntime or qsl-run;
    returns (sum of nats, number of predicted tokens)."""
    z = logits[:, :-1].astype(np.float64)
    z = z - z.max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    nll = -np.take_along_axis(logp, ids[:, 1:, None].astype(np.int64), axis=-1)
    return float(nll.sum()), int(nll.size)
