"""Inputs and onnxruntime references for the C API test (capi-test.c).

Writes to DIR: model.onnx (x[batch,16] -> MatMul -> Add -> Relu -> MatMul ->
y[batch,4]), x.bin (float32 3x16), y_ref.bin (onnxruntime's y for x),
garbage.onnx, and two calibration sets: x2.bin (float32 3x16) and calib/
holding calib0.npz (x) and calib1.npz (x2). Weights are exact int8 codes times power-of-two per-column
scales whose largest code is 127, so int8 per-channel quantization (the w8
preset) represents them exactly: the compressed model must match onnxruntime
as closely as the uncompressed one.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def int8_exact(rng, k, n):
    codes = rng.integers(-127, 128, size=(k, n))
    codes[rng.integers(0, k, size=n), np.arange(n)] = 127  # max |code| = 127
    scales = 2.0 ** rng.integers(-7, -3, size=n)
    return (codes * scales).astype(np.float32)


out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
w1 = int8_exact(rng, 16, 8)
w2 = int8_exact(rng, 8, 4)
b1 = rng.standard_normal(8).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("MatMul", ["x", "w1"], ["h"]),
     helper.make_node("Add", ["h", "b1"], ["hb"]),
     helper.make_node("Relu", ["hb"], ["r"]),
     helper.make_node("MatMul", ["r", "w2"], ["y"])],
    "capi", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])],
    initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
                 numpy_helper.from_array(w2, "w2")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
onnx.checker.check_model(model)
path = os.path.join(out, "model.onnx")
onnx.save(model, path)

x = rng.standard_normal((3, 16)).astype(np.float32)
(y,) = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(None, {"x": x})
x.tofile(os.path.join(out, "x.bin"))
np.asarray(y, dtype=np.float32).tofile(os.path.join(out, "y_ref.bin"))
x2 = rng.standard_normal((3, 16)).astype(np.float32)
x2.tofile(os.path.join(out, "x2.bin"))
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
np.savez(os.path.join(out, "calib", "calib0.npz"), x=x)
np.savez(os.path.join(out, "calib", "calib1.npz"), x=x2)
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\x08\x07\x12\xff\xff\xff\xff not a model")
