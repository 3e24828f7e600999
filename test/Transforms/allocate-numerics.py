# RUN: %python %s %t
# REQUIRES: onnxruntime
"""qsl-allocate end to end on a three-layer MLP whose layers differ in
sensitivity (the middle layer's input is 10x larger, so its output error
energy dominates):

* the model compiled with `qsl-allocate{budget-bits=3.5}` (default GPTQ
  candidates, qslc --calibrate) stores at most 3.5 bits per parameter over
  its weights, as `qslc --report` measures the stored encodings;
* its summed calibrated error Σ_w ||X_w (W_w - Ŵ_w)||²_F, recomputed in
  numpy from the dumped weights and the layer inputs of the fp32 model on
  the calibration data, is no larger than that of every uniform candidate
  that fits the same budget (each compiled with qsl-quantize alone), and
  the allocation is not uniform;
* the same holds for the `auto-3bit` preset of qsl-compress-pipeline, for
  its objective (relative error energies times sizes);
* round trip: the compiled allocated model equals onnxruntime on the model
  rebuilt from the dumped weights (relative max error <= 1e-5).
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, correlated_activations, max_relative_error, reference, run_model, compress_and_run

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(11)
K, H, N, T = 128, 256, 64, 64

activations = correlated_activations(rng, K)
w1 = (rng.normal(size=(K, H)) * 0.1).astype(np.float32)    # MatMul [K, N]
w2 = (rng.normal(size=(H, H)) * 0.1).astype(np.float32)    # MatMul [K, N]
w3 = (rng.normal(size=(N, H)) * 0.1).astype(np.float32)    # Gemm transB [N, K]
b3 = rng.normal(size=(N,)).astype(np.float32)
ten = np.array(10.0, dtype=np.float32)


def make_model(path, ws):
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h1"], name="fc1"),
             helper.make_node("Relu", ["h1"], ["r1"], name="relu1"),
             helper.make_node("Mul", ["r1", "ten"], ["s1"], name="scale"),
             helper.make_node("MatMul", ["s1", "w2"], ["h2"], name="fc2"),
             helper.make_node("Relu", ["h2"], ["r2"], name="relu2"),
             helper.make_node("Gemm", ["r2", "w3", "b3"], ["y"], name="fc3", transB=1)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
        initializer=[numpy_helper.from_array(ws["w1"], "w1"), numpy_helper.from_array(ws["w2"], "w2"),
                     numpy_helper.from_array(ws["w3"], "w3"), numpy_helper.from_array(b3, "b3"),
                     numpy_helper.from_array(ten, "ten")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


original = {"w1": w1, "w2": w2, "w3": w3}
dense = make_model(os.path.join(out, "mlp.onnx"), original)
calib, inputs = [], {"w1": [], "w2": [], "w3": []}
for i in range(8):
    x = activations(T)
    p = os.path.join(out, f"calib{i}.npz")
    np.savez(p, x=x)
    calib.append(p)
    # Layer inputs of the fp32 model (numpy, float64).
    a1 = x.astype(np.float64)
    a2 = np.maximum(a1 @ w1, 0) * 10.0
    a3 = np.maximum(a2 @ w2, 0)
    for name, a in (("w1", a1), ("w2", a2), ("w3", a3)):
        inputs[name].append(a)
inputs = {k: np.concatenate(v) for k, v in inputs.items()}
x = {"x": activations(T)}


def error_energy(weights, relative=False):
    """Σ_w ||X_w E_w||²_F with E in the layer's orientation; relative:
    Σ_w ||X_w E_w||²_F / ||X_w W_w||²_F * size(W_w) (objective
    relative-output-error)."""
    total = 0.0
    for name, w in original.items():
        w64 = w.astype(np.float64)
        e = w64 - weights[name].astype(np.float64)
        y = inputs[name] @ (e.T if name == "w3" else e)
        energy = float((y ** 2).sum())
        if relative:
            ref = inputs[name] @ (w64.T if name == "w3" else w64)
            energy = energy / float((ref ** 2).sum()) * w.size
        total += energy
    return total


c = Checker()


def compress(tag, pipeline):
    return compress_and_run(dense, x, out, tag, pipeline, calib)


# Uniform candidates (the default set's GPTQ settings), each on every weight.
uniform = {}
for bits, group in ((2, 32), (2, 64), (3, 64), (3, 128), (4, 64), (4, 128)):
    tag = f"w{bits}g{group}"
    _, weights, report = compress(tag, f"qsl-quantize{{bits={bits} group={group} method=gptq}}")
    uniform[tag] = (report["totals"]["compressed_bits_per_parameter"], error_energy(weights),
                    error_energy(weights, relative=True))
    print(f"uniform {tag}: {uniform[tag][0]:.4f} bits/parameter, error energy {uniform[tag][1]:.4e}, "
          f"relative x size {uniform[tag][2]:.4e}")

for tag, pipeline, budget, relative in (
        ("alloc35", "qsl-allocate{budget-bits=3.5 report=" + out + "/alloc35.txt}", 3.5, False),
        # The preset minimises the relative error energies times sizes.
        ("auto3", "qsl-compress-pipeline{preset=auto-3bit data-aware}", 3.0, True)):
    got, weights, report = compress(tag, pipeline)
    bits = report["totals"]["compressed_bits_per_parameter"]
    c.check(report["totals"]["compressed_weights"] == 3 and bits <= budget,
            f"{tag}: {bits:.4f} bits/parameter over the 3 weights <= {budget}")
    per_weight = {w["name"]: (w["bits_per_parameter"], w.get("method", "dense"))
                  for w in report["weights"]}
    print(f"{tag}: " + ", ".join(f"{k} {v[0]:.3f} ({v[1]})" for k, v in sorted(per_weight.items())))
    c.check(len({v[0] for v in per_weight.values()}) > 1, f"{tag}: the allocation is not uniform")
    energy = error_energy(weights, relative)
    fitting = {k: v for k, v in uniform.items() if v[0] <= budget}
    c.check(len(fitting) > 0, f"{tag}: some uniform candidate fits {budget} bits")
    for k, (ubits, uabs, urel) in sorted(fitting.items()):
        uerr = urel if relative else uabs
        c.check(energy <= uerr * (1 + 1e-6),
                f"{tag}: error energy {energy:.4e} <= uniform {k} ({ubits:.3f} bits) {uerr:.4e}")
    rebuilt = make_model(os.path.join(out, f"{tag}.onnx"), weights)
    err = max_relative_error(got, reference(rebuilt, x)[0])
    c.check(err <= 1e-5, f"{tag}: round trip vs onnxruntime, rel. max error {err:.2e}")

sys.exit(c.finish("allocate-numerics"))
