# RUN: %python %s %t
"""qsl-compress-pipeline's -lr32 presets expand to the passes they name
(the IR is identical to running them by hand), data-free and data-aware, on
an MLP whose weights are large enough for a rank-32 correction; and the
correction lowers the calibrated output error the report gives."""
import json
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
K, H, N, T = 128, 256, 64, 32
nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Relu", ["h"], ["r"], name="relu"),
         helper.make_node("MatMul", ["r", "w2"], ["y"], name="fc2")]
graph = helper.make_graph(
    nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
    initializer=[numpy_helper.from_array((rng.normal(size=(K, H)) * 0.1).astype(np.float32), "w1"),
                 numpy_helper.from_array((rng.normal(size=(H, N)) * 0.1).astype(np.float32), "w2")])
model = os.path.join(out, "mlp.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)
calib = os.path.join(out, "calib.npz")
np.savez(calib, x=rng.normal(size=(T, K)).astype(np.float32))
c = Checker()


def compile_(pipeline, tag):
    report = os.path.join(out, f"{tag}.json")
    p = subprocess.run(["qslc", model, "--emit=mlir", "-o", "-", f"--calibrate={calib}",
                        f"--pipeline={pipeline}", f"--report={report}"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr
    return p.stdout, {w["name"]: w for w in json.load(open(report))["weights"]}


for preset, data_aware, by_hand in [
        ("w4g128-lr32", False, "qsl-quantize{bits=4 group=128 method=mse},qsl-compensate{rank=32 method=svd}"),
        ("w4g128-lr32", True, "qsl-quantize{bits=4 group=128 method=gptq},qsl-compensate{rank=32 method=eora}"),
        ("2:4-w4g128-lr32", True, "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=128 "
                                  "method=gptq},qsl-compensate{rank=32 method=eora}")]:
    tag = f"{preset}-{data_aware}"
    got, rep = compile_(f"qsl-compress-pipeline{{preset={preset} data-aware={str(data_aware).lower()}}}", tag)
    want, _ = compile_(by_hand, tag + "-ref")
    c.check(got is not None and got == want and "lowrank = <rank = 32, type = f16>" in got,
            f"{preset} data-aware={data_aware} is {by_hand}" + ("" if got else f": {rep[-300:]}"))
    if data_aware and got is not None:
        _, base_rep = compile_(by_hand.rsplit(",", 1)[0], tag + "-base")
        for name in ("w1", "w2"):
            a, b = base_rep[name]["output_error"], rep[name]["output_error"]
            c.check(b < a, f"{preset} {name}: calibrated output error {a:.4f} -> {b:.4f} with the correction")
sys.exit(c.finish("compress-pipeline-lowrank"))
