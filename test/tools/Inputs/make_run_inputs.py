"""A two-output model and .npz inputs for the qsl-run tests."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
graph = helper.make_graph(
    [helper.make_node("Gemm", ["x", "w", "b"], ["h"], transB=1),
     helper.make_node("Relu", ["h"], ["y"]),
     helper.make_node("ArgMax", ["y"], ["k"], axis=1)],
    "run", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None),
     helper.make_tensor_value_info("k", TensorProto.INT64, None)],
    initializer=[numpy_helper.from_array(rng.standard_normal((4, 8)).astype(np.float32), "w"),
                 numpy_helper.from_array(rng.standard_normal(4).astype(np.float32), "b")])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
          os.path.join(out, "model.onnx"))
x = rng.standard_normal((3, 8)).astype(np.float32)
np.savez(os.path.join(out, "good.npz"), x=x)
np.savez_compressed(os.path.join(out, "compressed.npz"), x=x)
np.savez(os.path.join(out, "wrong_shape.npz"), x=x[:2])
np.savez(os.path.join(out, "wrong_dtype.npz"), x=x.astype(np.float64))
np.savez(os.path.join(out, "missing.npz"), z=x)
np.savez(os.path.join(out, "extra.npz"), x=x, z=x)
# The same input as ONNX TensorProto files, named and unnamed.
named = numpy_helper.from_array(x, "x")
with open(os.path.join(out, "input_0.pb"), "wb") as f:
    f.write(named.SerializeToString())
unnamed = numpy_helper.from_array(x)
with open(os.path.join(out, "unnamed.pb"), "wb") as f:
    f.write(unnamed.SerializeToString())
with open(os.path.join(out, "garbage.pb"), "wb") as f:
    f.write(b"\xff\xff\xff not a tensor")
