# RUN: %python %s
# REQUIRES: onnxruntime
"""Small multi-node models in the shapes exporters produce, one with its
weights in an external data file, against onnxruntime (rel. max err 1e-4)."""
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data

from qsl_testing import Checker, max_relative_error, reference, run_model

rng = np.random.default_rng(2)
F, I64 = TensorProto.FLOAT, TensorProto.INT64
vi = helper.make_tensor_value_info


def w(name, *shape, scale=0.2):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


def i64(name, values):
    return numpy_helper.from_array(np.array(values, np.int64), name)


def mk(nodes, inputs, outputs, inits, opset=17):
    return helper.make_model(helper.make_graph(nodes, "m", inputs, outputs, initializer=inits),
                             opset_imports=[helper.make_opsetid("", opset)])


N = helper.make_node
c = Checker()

# MLP: Gemm(transB) + Relu + Gemm + Softmax.
mlp = mk([N("Gemm", ["x", "w1", "b1"], ["h"], transB=1), N("Relu", ["h"], ["r"]),
          N("Gemm", ["r", "w2", "b2"], ["z"], transB=1), N("Softmax", ["z"], ["y"], axis=-1)],
         [vi("x", F, [4, 16])], [vi("y", F, [4, 10])],
         [w("w1", 32, 16), w("b1", 32), w("w2", 10, 32), w("b2", 10)])
c.check_model("mlp", mlp, {"x": rng.standard_normal((4, 16)).astype(np.float32)})

# CNN: Conv-BN-Relu-MaxPool, depthwise Conv, GlobalAveragePool, Flatten, Gemm.
cnn = mk([N("Conv", ["x", "c1w", "c1b"], ["c1"], pads=[1, 1, 1, 1], strides=[2, 2]),
          N("BatchNormalization", ["c1", "bns", "bnb", "bnm", "bnv"], ["bn"]),
          N("Relu", ["bn"], ["r1"]),
          N("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
          N("Conv", ["p1", "dww"], ["dw"], group=8, pads=[1, 1, 1, 1]),
          N("Clip", ["dw", "lo", "hi"], ["r6"]),
          N("GlobalAveragePool", ["r6"], ["g"]),
          N("Flatten", ["g"], ["f"]),
          N("Gemm", ["f", "fcw", "fcb"], ["y"], transB=1)],
         [vi("x", F, [2, 3, 16, 16])], [vi("y", F, [2, 5])],
         [w("c1w", 8, 3, 3, 3), w("c1b", 8), w("bns", 8), w("bnb", 8), w("bnm", 8),
          numpy_helper.from_array((np.abs(rng.standard_normal(8)) + 0.5).astype(np.float32), "bnv"),
          w("dww", 8, 1, 3, 3), numpy_helper.from_array(np.array(0, np.float32), "lo"),
          numpy_helper.from_array(np.array(6, np.float32), "hi"), w("fcw", 5, 8), w("fcb", 5)])
c.check_model("cnn", cnn, {"x": rng.standard_normal((2, 3, 16, 16)).astype(np.float32)})

# Transformer encoder block as exporters write it: LayerNorm, Q/K/V MatMul,
# heads split through Shape/Gather/Concat/Reshape, Transpose, scaled
# Softmax(QK^T + mask), GELU (Erf) MLP, residuals.
B, S, D, H = 2, 8, 16, 4
nodes = [
    N("LayerNormalization", ["x", "ln_g", "ln_b"], ["ln"], axis=-1, epsilon=1e-5),
    N("Shape", ["x"], ["xs"]),
    N("Gather", ["xs", "zero"], ["bsz"], axis=0),
    N("Gather", ["xs", "one"], ["seq"], axis=0),
    N("Unsqueeze", ["bsz", "axis0"], ["bsz1"]),
    N("Unsqueeze", ["seq", "axis0"], ["seq1"]),
    N("Concat", ["bsz1", "seq1", "heads", "hdim"], ["split_shape"], axis=0),
]
for p in "qkv":
    nodes += [N("MatMul", ["ln", f"w{p}"], [f"{p}0"]), N("Add", [f"{p}0", f"b{p}"], [f"{p}1"]),
              N("Reshape", [f"{p}1", "split_shape"], [f"{p}2"]),
              N("Transpose", [f"{p}2"], [f"{p}h"], perm=[0, 2, 3, 1] if p == "k" else [0, 2, 1, 3])]
nodes += [
    N("MatMul", ["qh", "kh"], ["scores0"]),
    N("Div", ["scores0", "scale"], ["scores1"]),
    N("Add", ["scores1", "mask"], ["scores"]),
    N("Softmax", ["scores"], ["probs"], axis=-1),
    N("MatMul", ["probs", "vh"], ["ctx0"]),
    N("Transpose", ["ctx0"], ["ctx1"], perm=[0, 2, 1, 3]),
    N("Concat", ["bsz1", "seq1", "dmodel"], ["merge_shape"], axis=0),
    N("Reshape", ["ctx1", "merge_shape"], ["ctx"]),
    N("MatMul", ["ctx", "wo"], ["att0"]),
    N("Add", ["att0", "x"], ["res1"]),
    N("LayerNormalization", ["res1", "ln2_g", "ln2_b"], ["ln2"], axis=-1),
    N("MatMul", ["ln2", "w_up"], ["up"]),
    N("Div", ["up", "sqrt2"], ["upd"]), N("Erf", ["upd"], ["erf"]),
    N("Add", ["erf", "onef"], ["erf1"]), N("Mul", ["up", "erf1"], ["g0"]),
    N("Mul", ["g0", "half"], ["gelu"]),
    N("MatMul", ["gelu", "w_down"], ["down"]),
    N("Add", ["down", "res1"], ["y"]),
]
mask = np.triu(np.full((S, S), -1e4, np.float32), 1)
f32 = lambda n, v: numpy_helper.from_array(np.array(v, np.float32), n)
inits = [w("ln_g", D), w("ln_b", D), w("ln2_g", D), w("ln2_b", D), i64("zero", 0), i64("one", 1),
         i64("axis0", [0]), i64("heads", [H]), i64("hdim", [D // H]), i64("dmodel", [D]),
         f32("scale", np.sqrt(D // H)), numpy_helper.from_array(mask, "mask"),
         w("wo", D, D), w("w_up", D, 4 * D), w("w_down", 4 * D, D),
         f32("sqrt2", np.sqrt(2.0)), f32("onef", 1.0), f32("half", 0.5)]
for p in "qkv":
    inits += [w(f"w{p}", D, D), w(f"b{p}", D)]
block = mk(nodes, [vi("x", F, ["batch", "seq"] + [D])], [vi("y", F, None)], inits)
x = rng.standard_normal((B, S, D)).astype(np.float32)
c.check_model("transformer-block", block, {"x": x})

# The same block with every weight in an external data file.
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "block.onnx")
    convert_model_to_external_data(block, location="block.weights", size_threshold=64)
    onnx.save(block, path)
    try:
        err = max_relative_error(run_model(path, {"x": x})[0], reference(path, {"x": x})[0])
        if err <= 1e-4:
            c.passed += 1
        else:
            c.failed.append(("transformer-block-external-data", f"relative max error {err:.3g}"))
    except Exception as e:
        c.failed.append(("transformer-block-external-data", str(e).splitlines()[-1]))
# torch's `t.expand(n, -1, d)`: the target shape goes through
# Where(Equal(size, -1), 1, size) (and masks through Cast(Equal(...))), all
# of which must fold at compile time for Expand to get a static shape.
guard = mk([N("Shape", ["x"], ["xs"]),
            N("Concat", ["two", "xs_tail"], ["want"], axis=0),
            N("Equal", ["want", "minus1"], ["is_neg"]),
            N("Where", ["is_neg", "ones", "want"], ["size"]),
            N("Expand", ["x", "size"], ["ex"]),
            N("Equal", ["xs", "xs"], ["same"]),
            N("Not", ["same"], ["differ"]),
            N("Cast", ["differ"], ["zeros"], to=I64),
            N("Add", ["zeros", "xs"], ["xs2"]),
            N("Identity", ["ex"], ["r"]),
            N("Expand", ["r", "xs2"], ["y"])],
           [vi("x", F, [1, 3, 4])], [vi("y", F, [2, 3, 4])],
           [i64("two", [2]), i64("xs_tail", [-1, -1]), i64("minus1", [-1, -1, -1]),
            i64("ones", [1, 1, 1])])
c.check_model("expand-guard", guard, {"x": rng.standard_normal((1, 3, 4)).astype(np.float32)})
sys.exit(c.finish("models vs onnxruntime"))
