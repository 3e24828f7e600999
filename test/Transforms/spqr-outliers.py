# RUN: %python %s %t
"""SpQR-style outliers chosen before quantizing (qsl-quantize with
outlier-select=sensitivity) on an MLP whose inputs have a few strong
channels, as real activations do, against the same budget of outliers
chosen by magnitude and against none:

  * the calibrated output error qslc --report gives is lowest with the
    SpQR choice, for GPTQ and for round-to-nearest;
  * no weight keeps more than max-fraction of its elements as outliers, and
    the outliers facet is exact: the dumped weight equals the original
    there (to f16);
  * the compiled model matches onnxruntime run on the dumped weights."""
import json
import os
import re
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(21)
K, H, N, T = 128, 96, 64, 512
w1 = rng.standard_t(3, size=(K, H)).astype(np.float32) * 0.05
w2 = rng.standard_t(3, size=(H, N)).astype(np.float32) * 0.05
nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Tanh", ["h"], ["a"], name="act"),
         helper.make_node("MatMul", ["a", "w2"], ["y"], name="fc2")]
graph = helper.make_graph(
    nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
    initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
model = os.path.join(out, "mlp.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
x = correlated_activations(rng, K, strong=8.0)(T)
calib = os.path.join(out, "calib.npz")
np.savez(calib, x=x)
original = {"w1": w1, "w2": w2}
c = Checker()


def compile_(pipeline, tag):
    report = os.path.join(out, f"{tag}.json")
    dump = os.path.join(out, f"{tag}.npz")
    module = os.path.join(out, f"{tag}.mlirbc")
    p = subprocess.run(["qslc", model, "-o", module, f"--calibrate={calib}", f"--pipeline={pipeline}",
                        f"--report={report}", f"--dump-weights={dump}"], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"{tag}: qslc failed: {p.stderr}")
    return {w["name"]: w for w in json.load(open(report))["weights"]}, np.load(dump), module


for method in ("gptq", "rtn"):
    q = f"bits=3 group=16 method={method}"
    spqr, dump, module = compile_(f"qsl-quantize{{{q} outliers=0.01 outlier-select=sensitivity}}", f"spqr-{method}")
    mag, _, _ = compile_(f"qsl-quantize{{{q} outliers=0.01}}", f"mag-{method}")
    none, _, _ = compile_(f"qsl-quantize{{{q}}}", f"none-{method}")
    for name in ("w1", "w2"):
        a, b, n = (r[name]["output_error"] for r in (spqr, mag, none))
        c.check(a < b < n, f"{method} {name}: output error SpQR {a:.5f} < magnitude {b:.5f} < none {n:.5f}")
        count = int(re.search(r"outliers = <count = (\d+)", spqr[name]["encoding"]).group(1))
        size = original[name].size
        c.check(0 < count <= round(0.01 * size), f"{method} {name}: {count} outliers of {size} (<= 1%)")
        c.check("(spqr)" in spqr[name]["method"], f"{method} {name}: method '{spqr[name]['method']}'")
        # Where the original differs most from the rest of its group the
        # stored weight is exact: compare on the elements the dumped weight
        # reproduces to f16 precision.
        got, want = dump[name], original[name]
        exact = np.abs(got - want) <= np.abs(want) * 2.0 ** -10 + 1e-7
        c.check(exact.sum() >= count, f"{method} {name}: at least the {count} outlier positions are exact "
                                      f"({exact.sum()} are)")
    # The compiled model against onnxruntime on the dumped weights.
    ref_graph = helper.make_graph(nodes, "mlp", graph.input, graph.output,
                                  initializer=[numpy_helper.from_array(dump["w1"], "w1"),
                                               numpy_helper.from_array(dump["w2"], "w2")])
    ref_path = os.path.join(out, f"ref-{method}.onnx")
    onnx.save(helper.make_model(ref_graph, opset_imports=[helper.make_opsetid("", 17)]), ref_path)
    want = ort.InferenceSession(ref_path, providers=["CPUExecutionProvider"]).run(None, {"x": x})[0]
    got_path = os.path.join(out, f"got-{method}.npz")
    p = subprocess.run(["qsl-run", module, "--input", calib, "--output", got_path], capture_output=True, text=True)
    got = np.load(got_path)["y"] if p.returncode == 0 else None
    diff = np.abs(got - want).max() / np.abs(want).max() if got is not None else np.inf
    c.check(diff <= 1e-5, f"{method}: compiled model vs onnxruntime on the dumped weights: {diff:.1e}"
            + ("" if got is not None else p.stderr[-300:]))
sys.exit(c.finish("spqr-outliers"))
