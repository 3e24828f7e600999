"""Fixtures of the qsl package's pytest suite (run by bindings.test after the
package is built against a freshly installed QSL): a small two-layer model
made here, its calibration sets, and onnxruntime."""
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

TOKENS, K, HIDDEN, N = 32, 256, 128, 64


def make_model(path, weights):
    """x[TOKENS, K] -> MatMul w1 -> Add b1 -> Relu -> MatMul w2 -> y[TOKENS, N],
    with the initializers in `weights` (name -> array)."""
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Add", ["h", "b1"], ["hb"]),
         helper.make_node("Relu", ["hb"], ["r"]),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")],
        "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["tokens", K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["tokens", N])],
        initializer=[numpy_helper.from_array(np.asarray(a, np.float32), name)
                     for name, a in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def run_onnxruntime(path, x):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


class Data:
    """The model, its weights, calibration sets and a held-out input."""

    def __init__(self, root):
        rng = np.random.default_rng(11)
        self.root = root
        self.weights = {
            "w1": rng.standard_normal((K, HIDDEN)) / np.sqrt(K),
            "b1": 0.1 * rng.standard_normal(HIDDEN),
            "w2": rng.standard_normal((HIDDEN, N)) / np.sqrt(HIDDEN),
        }
        self.path = make_model(os.path.join(root, "mlp.onnx"), self.weights)
        # Inputs with correlated features (a random mixing of a few strong
        # directions), as layer inputs are: what GPTQ exploits over RTN.
        mix = rng.standard_normal((16, K)) * 2.0
        def sample():
            z = rng.standard_normal((TOKENS, 16))
            return (z @ mix + 0.2 * rng.standard_normal((TOKENS, K))).astype(np.float32)
        self.calibration = [{"x": sample()} for _ in range(16)]
        self.x = sample()
        self.y_ref = run_onnxruntime(self.path, self.x)
        self.calib_dir = os.path.join(root, "calib")
        os.makedirs(self.calib_dir, exist_ok=True)
        for i, s in enumerate(self.calibration):  # name order = list order
            np.savez(os.path.join(self.calib_dir, f"set{i:02d}.npz"), **s)
        self.garbage = os.path.join(root, "garbage.onnx")
        with open(self.garbage, "wb") as f:
            f.write(b"\x08\x07\x12\xff\xff\xff\xff not a model")


@pytest.fixture(scope="session")
def data(tmp_path_factory):
    return Data(str(tmp_path_factory.mktemp("qsl")))


def relative_error(got, want):
    return float(np.abs(got - want).max() / np.abs(want).max())
