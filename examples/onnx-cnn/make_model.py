#!/usr/bin/env python3
"""Writes the bundled ONNX example: a small image classifier (Conv/BN/ReLU,
depthwise Conv, MaxPool, GlobalAveragePool, Gemm, Softmax) with random
weights, its weights in an external data file, and one input batch.
Deterministic; rerun to regenerate cnn.onnx, cnn.weights and input.npz."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.external_data_helper import convert_model_to_external_data

here = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(11)


def w(name, *shape, scale=0.3):
    return numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name)


N = helper.make_node
nodes = [
    N("Conv", ["image", "c1.w", "c1.b"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
    N("BatchNormalization", ["c1", "bn.s", "bn.b", "bn.m", "bn.v"], ["bn"], name="bn1"),
    N("Relu", ["bn"], ["r1"], name="relu1"),
    N("MaxPool", ["r1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2], name="pool1"),
    N("Conv", ["p1", "dw.w"], ["dw"], group=16, pads=[1, 1, 1, 1], name="depthwise"),
    N("Conv", ["dw", "pw.w", "pw.b"], ["pw"], name="pointwise"),
    N("Relu", ["pw"], ["r2"], name="relu2"),
    N("GlobalAveragePool", ["r2"], ["g"], name="gap"),
    N("Flatten", ["g"], ["f"], name="flatten"),
    N("Gemm", ["f", "fc.w", "fc.b"], ["logits"], transB=1, name="fc"),
    N("Softmax", ["logits"], ["probs"], axis=-1, name="softmax"),
]
inits = [w("c1.w", 16, 3, 3, 3), w("c1.b", 16), w("bn.s", 16), w("bn.b", 16), w("bn.m", 16),
         numpy_helper.from_array((np.abs(rng.standard_normal(16)) + 0.5).astype(np.float32), "bn.v"),
         w("dw.w", 16, 1, 3, 3), w("pw.w", 32, 16, 1, 1), w("pw.b", 32), w("fc.w", 10, 32), w("fc.b", 10)]
graph = helper.make_graph(
    nodes, "tiny_cnn",
    [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, 32, 32])],
    [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", 10])],
    initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                          producer_name="qsl examples/onnx-cnn/make_model.py")
convert_model_to_external_data(model, location="cnn.weights", size_threshold=0)
onnx.save(model, os.path.join(here, "cnn.onnx"))
np.savez(os.path.join(here, "input.npz"),
         image=rng.standard_normal((2, 3, 32, 32)).astype(np.float32))
print("wrote cnn.onnx, cnn.weights, input.npz")
