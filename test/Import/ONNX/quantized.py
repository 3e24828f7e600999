# RUN: %python %s
# REQUIRES: onnxruntime
"""Low-bit ONNX weights import as qsl encodings (not dense float) and run
like onnxruntime: opset-21 block-wise DequantizeLinear (int4/uint4/int8),
QDQ per-channel int8, per-tensor uint8, com.microsoft MatMulNBits, and
run-time QuantizeLinear/DequantizeLinear of activations."""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper

from qsl_testing import Checker

rng = np.random.default_rng(5)
N_, vi = helper.make_node, helper.make_tensor_value_info
c = Checker(tolerance=2e-4)
encoded = []


def mk(nodes, inputs, outputs, inits, opset=21, ms=False):
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid("com.microsoft", 1)] if ms else [])
    return helper.make_model(helper.make_graph(nodes, "q", inputs, outputs, initializer=inits),
                             opset_imports=opsets)


def check_encoded(name, model, shapes, expect):
    """The imported IR keeps the weight encoded and multiplies with qsl.matmul."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        cmd = ["qslc", path, "--emit=mlir"] + [f"--input-shape={k}={v}" for k, v in shapes.items()]
        ir = subprocess.run(cmd, capture_output=True, text=True).stdout
    ok = "qsl.matmul" in ir and re.search(expect, ir) is not None
    encoded.append((name, ok))


def int4_tensor(name, values, signed):
    return helper.make_tensor(name, T.INT4 if signed else T.UINT4, values.shape,
                              values.flatten().tolist())


K, Nn = 64, 24
x = rng.standard_normal((3, K)).astype(np.float32)

# Block-wise int4 along K (axis 0), symmetric.
q = rng.integers(-8, 8, (K, Nn))
s = (rng.random((K // 16, Nn)) * 0.1 + 0.01).astype(np.float32)
m = mk([N_("DequantizeLinear", ["wq", "ws"], ["w"], axis=0, block_size=16),
        N_("MatMul", ["x", "w"], ["y"])],
       [vi("x", T.FLOAT, [3, K])], [vi("y", T.FLOAT, None)],
       [int4_tensor("wq", q, True), numpy_helper.from_array(s, "ws")])
c.check_model("dq-int4-blocked", m, {"x": x})
check_encoded("dq-int4-blocked", m, {"x": "3x64"}, r"quant = <bits = 4, group = 16, scale = f32>")

# Block-wise uint4 with zero points, blocks along N of a transposed Gemm B.
qu = rng.integers(0, 16, (Nn, K))
zu = rng.integers(0, 16, (Nn, K // 32))
su = (rng.random((Nn, K // 32)) * 0.1 + 0.01).astype(np.float32)
m = mk([N_("DequantizeLinear", ["wq", "ws", "wz"], ["w"], axis=1, block_size=32),
        N_("Gemm", ["x", "w", "bias"], ["y"], transB=1)],
       [vi("x", T.FLOAT, [3, K])], [vi("y", T.FLOAT, None)],
       [int4_tensor("wq", qu, False), numpy_helper.from_array(su, "ws"), int4_tensor("wz", zu, False),
        numpy_helper.from_array(rng.standard_normal(Nn).astype(np.float32), "bias")])
c.check_model("dq-uint4-blocked-gemm", m, {"x": x})
check_encoded("dq-uint4-blocked-gemm", m, {"x": "3x64"},
              r"quant = <bits = 4, axis = 1, group = 32, scale = f32, zero = i4>.*transpose_w|transpose_w")

# int8 per output channel (axis 1), symmetric, opset 13 QDQ weights.
q8 = rng.integers(-128, 128, (K, Nn)).astype(np.int8)
s8 = (rng.random(Nn) * 0.02 + 0.001).astype(np.float32)
m = mk([N_("DequantizeLinear", ["wq", "ws"], ["w"], axis=1), N_("MatMul", ["x", "w"], ["y"])],
       [vi("x", T.FLOAT, [2, 3, K])], [vi("y", T.FLOAT, None)],
       [numpy_helper.from_array(q8, "wq"), numpy_helper.from_array(s8, "ws")], opset=13)
c.check_model("dq-int8-per-channel", m, {"x": rng.standard_normal((2, 3, K)).astype(np.float32)})
check_encoded("dq-int8-per-channel", m, {"x": "2x3x64"}, r"quant = <bits = 8, scale = f32>")

# int8 with non-zero zero points per row (axis 0) of a transposed Gemm weight.
zp8 = rng.integers(-20, 20, Nn).astype(np.int8)
q8t = rng.integers(-128, 128, (Nn, K)).astype(np.int8)
m = mk([N_("DequantizeLinear", ["wq", "ws", "wz"], ["w"], axis=0), N_("Gemm", ["x", "w"], ["y"], transB=1)],
       [vi("x", T.FLOAT, [3, K])], [vi("y", T.FLOAT, None)],
       [numpy_helper.from_array(q8t, "wq"), numpy_helper.from_array(s8, "ws"),
        numpy_helper.from_array(zp8, "wz")], opset=13)
c.check_model("dq-int8-asym-rows", m, {"x": x})
check_encoded("dq-int8-asym-rows", m, {"x": "3x64"}, r"quant = <bits = 8, axis = 1, scale = f32, zero = i8>")

# uint8 per tensor with a zero point.
m = mk([N_("DequantizeLinear", ["wq", "ws", "wz"], ["w"]), N_("MatMul", ["x", "w"], ["y"])],
       [vi("x", T.FLOAT, [3, K])], [vi("y", T.FLOAT, None)],
       [numpy_helper.from_array(rng.integers(0, 256, (K, Nn)).astype(np.uint8), "wq"),
        numpy_helper.from_array(np.array(0.01, np.float32), "ws"),
        numpy_helper.from_array(np.array(128, np.uint8), "wz")], opset=13)
c.check_model("dq-uint8-per-tensor", m, {"x": x})

# Activations quantized and dequantized at run time (QDQ), uint8.
m = mk([N_("QuantizeLinear", ["x", "s", "z"], ["xq"]), N_("DequantizeLinear", ["xq", "s", "z"], ["y"])],
       [vi("x", T.FLOAT, [3, K])], [vi("y", T.FLOAT, None)],
       [numpy_helper.from_array(np.array(0.02, np.float32), "s"),
        numpy_helper.from_array(np.array(120, np.uint8), "z")], opset=13)
c.check_model("qdq-activations", m, {"x": x})

# com.microsoft MatMulNBits, 4 bits, block 32, with and without zero points.
for with_zp in (False, True):
    blocks = K // 32
    codes = rng.integers(0, 16, (Nn, K))
    packed = (codes[:, 0::2] | (codes[:, 1::2] << 4)).astype(np.uint8).reshape(Nn, blocks, 16)
    scales = (rng.random(Nn * blocks) * 0.1 + 0.01).astype(np.float32)
    inits = [numpy_helper.from_array(packed, "B"), numpy_helper.from_array(scales, "S")]
    ins = ["A", "B", "S"]
    if with_zp:
        zps = rng.integers(0, 16, (Nn, blocks))
        zpack = (zps[:, 0::2] | (zps[:, 1::2] << 4)).astype(np.uint8).reshape(-1)
        inits.append(numpy_helper.from_array(zpack, "Z"))
        ins.append("Z")
    node = N_("MatMulNBits", ins, ["Y"], domain="com.microsoft", K=K, N=Nn, bits=4, block_size=32)
    m = mk([node], [vi("A", T.FLOAT, [2, 3, K])], [vi("Y", T.FLOAT, None)], inits, opset=17, ms=True)
    name = "matmulnbits" + ("-zp" if with_zp else "")
    c.check_model(name, m, {"A": rng.standard_normal((2, 3, K)).astype(np.float32)})
    check_encoded(name, m, {"A": "2x3x64"},
                  r"quant = <bits = 4, axis = 1, group = 32, scale = f32, zero = i4>")

for name, ok in encoded:
    if not ok:
        c.failed.append((name + "-encoded", "the weight was not kept as a qsl encoding under qsl.matmul"))
    else:
        c.passed += 1
sys.exit(c.finish("low-bit imports vs onnxruntime"))
