# RUN: %python %s
# REQUIRES: onnxruntime
"""Single-node ONNX models of the elementwise operators, imported by qslc,
run on the CPU and compared with onnxruntime (relative max error 1e-4)."""
import sys

import numpy as np
from onnx import TensorProto, helper

from qsl_testing import Checker, single_node_model

rng = np.random.default_rng(0)
F = TensorProto.FLOAT


model = single_node_model


c = Checker()
x = rng.standard_normal((2, 3, 4)).astype(np.float32)
y = rng.standard_normal((3, 1)).astype(np.float32)
pos = (np.abs(x) + 0.1).astype(np.float32)

for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"]:
    c.check_model(op, model(op, [("x", F, [2, 3, 4]), ("y", F, [3, 1])],
                            [("z", F, None)]), {"x": x, "y": y})
c.check_model("Pow", model("Pow", [("x", F, [2, 3, 4]), ("y", F, [3, 1])], [("z", F, None)]),
              {"x": pos, "y": y})
for op in ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]:
    c.check_model(op, model(op, [("x", F, [2, 3, 4]), ("y", F, [3, 1])],
                            [("z", TensorProto.BOOL, None)]), {"x": x, "y": y})
for op in ["Neg", "Abs", "Exp", "Tanh", "Erf", "Sigmoid", "Relu", "Floor", "Ceil",
           "Sin", "Cos", "Reciprocal"]:
    c.check_model(op, model(op, [("x", F, [2, 3, 4])], [("z", F, None)]), {"x": x})
for op in ["Log", "Sqrt"]:
    c.check_model(op, model(op, [("x", F, [2, 3, 4])], [("z", F, None)]), {"x": pos})
c.check_model("LeakyRelu", model("LeakyRelu", [("x", F, [2, 3, 4])], [("z", F, None)],
                                 {"alpha": 0.3}), {"x": x})
c.check_model("HardSigmoid", model("HardSigmoid", [("x", F, [2, 3, 4])], [("z", F, None)],
                                   {"alpha": 0.3, "beta": 0.4}), {"x": 3 * x})
c.check_model("HardSwish", model("HardSwish", [("x", F, [2, 3, 4])], [("z", F, None)]),
              {"x": 4 * x})
for approx in ["none", "tanh"]:
    c.check_model(f"Gelu-{approx}", model("Gelu", [("x", F, [2, 3, 4])], [("z", F, None)],
                                          {"approximate": approx}, opset=20), {"x": x})
c.check_model("Clip", model("Clip", [("x", F, [2, 3, 4]), ("lo", F, []), ("hi", F, [])],
                            [("z", F, None)]),
              {"x": x, "lo": np.array(-0.5, np.float32), "hi": np.array(0.7, np.float32)})
cond = rng.random((3, 4)) > 0.5
c.check_model("Where", model("Where", [("c", TensorProto.BOOL, [3, 4]), ("x", F, [2, 3, 4]),
                                       ("y", F, [3, 1])], [("z", F, None)]),
              {"c": cond, "x": x, "y": y})
b1, b2 = rng.random((2, 3)) > 0.5, rng.random((2, 3)) > 0.5
for op in ["And", "Or", "Xor"]:
    c.check_model(op, model(op, [("a", TensorProto.BOOL, [2, 3]), ("b", TensorProto.BOOL, [2, 3])],
                            [("z", TensorProto.BOOL, None)]), {"a": b1, "b": b2})
c.check_model("Not", model("Not", [("a", TensorProto.BOOL, [2, 3])],
                           [("z", TensorProto.BOOL, None)]), {"a": b1})
for to, name in [(TensorProto.INT64, "int64"), (TensorProto.DOUBLE, "double"),
                 (TensorProto.FLOAT16, "half"), (TensorProto.BOOL, "bool")]:
    c.check_model(f"Cast-{name}", model("Cast", [("x", F, [2, 3, 4])], [("z", to, None)],
                                        {"to": to}), {"x": 3 * x}, tolerance=1e-3)
ints = rng.integers(-5, 5, (2, 3)).astype(np.int64)
c.check_model("Add-int64", model("Add", [("a", TensorProto.INT64, [2, 3]),
                                         ("b", TensorProto.INT64, [2, 3])],
                                 [("z", TensorProto.INT64, None)]), {"a": ints, "b": ints})
c.check_model("Identity", model("Identity", [("x", F, [2, 3, 4])], [("z", F, None)]), {"x": x})
sys.exit(c.finish("elementwise ops vs onnxruntime"))
