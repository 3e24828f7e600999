# RUN: %python %s
# REQUIRES: onnxruntime
"""Conformance over ONNX's own backend node tests.

The onnx Python package generates its node test cases (model, inputs,
expected outputs) in memory; this selects every case whose nodes are all
operators qslc claims (`qslc --list-ops`) at an opset QSL imports (13-21),
runs it on the CPU and compares with the expected outputs (rtol 1e-3,
atol 1e-5 as ONNX's backend runner; exact for integers and booleans).

QSL compiles for concrete shapes, so integer operands that determine a
shape (Reshape's shape, Slice's starts/ends, reduction axes, ...) must be
known when compiling. Many node tests feed them as graph inputs; those
inputs are bound to their test values as initializers, as a user binds
input shapes with --input-shape. The count of such cases is printed.
Prints each failure, the selected operators with their case counts, and
`N passed, N failed`; fails below a 95% pass rate.
"""
import collections
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import warnings

import numpy as np

warnings.filterwarnings("ignore")
import onnx  # noqa: E402
import onnx.backend.test.case.node as node_cases  # noqa: E402

from qsl_testing import run_model  # noqa: E402

supported = set()
for line in subprocess.run(["qslc", "--list-ops"], capture_output=True, text=True,
                           check=True).stdout.splitlines():
    domain_op = line.split()[0]
    if domain_op.startswith("::"):
        supported.add(domain_op[2:])

with np.errstate(all="ignore"):
    cases = node_cases.collect_testcases(None)

selected = []
for case in cases:
    model = case.model
    opset = {o.domain: o.version for o in model.opset_import}.get("", 0)
    ops = {n.op_type for n in model.graph.node}
    if not (13 <= opset <= 21):
        continue
    if any(n.domain not in ("", "ai.onnx") for n in model.graph.node) or not ops <= supported:
        continue
    if not case.data_sets:
        continue
    inputs, outputs = case.data_sets[0]
    if not all(isinstance(a, np.ndarray) for a in list(inputs) + list(outputs)):
        continue
    if len(sys.argv) > 1 and not any(f in case.name for f in sys.argv[1:]):
        continue
    selected.append(case)


# Inputs that fix shapes: op type -> operand positions.
SHAPE_OPERANDS = {"Reshape": {1}, "Expand": {1}, "Tile": {1}, "Slice": {1, 2, 3, 4},
                  "Split": {1}, "Squeeze": {1}, "Unsqueeze": {1}, "ReduceSum": {1},
                  "ReduceMean": {1}, "ReduceMax": {1}, "ReduceMin": {1},
                  "ConstantOfShape": {0}, "Range": {0, 1, 2}, "Trilu": {1},
                  "Pad": {1, 3}, "CumSum": {1}, "Resize": {3}, "TopK": {1}}
# Float operands that must be constants too (Resize's roi and scales).
CONST_FLOAT_OPERANDS = {"Resize": {1, 2}}
bound_cases = 0


def bind_shape_operands(case):
    """A copy of the case's model with integer shape operands that are graph
    inputs turned into initializers, and the remaining inputs."""
    global bound_cases
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, _ = case.data_sets[0]
    values = dict(zip([i.name for i in model.graph.input], inputs))
    bind = {n.input[k] for n in model.graph.node
            for k in SHAPE_OPERANDS.get(n.op_type, ()) if k < len(n.input)}
    bind = {name for name in bind if name in values and values[name].dtype.kind in "iu"}
    bind |= {n.input[k] for n in model.graph.node
             for k in CONST_FLOAT_OPERANDS.get(n.op_type, ())
             if k < len(n.input) and n.input[k] in values}
    if bind:
        bound_cases += 1
        kept = [i for i in model.graph.input if i.name not in bind]
        del model.graph.input[:]
        model.graph.input.extend(kept)
        for name in sorted(bind):
            model.graph.initializer.append(onnx.numpy_helper.from_array(values[name], name))
    return model, {k: v for k, v in values.items() if k not in bind}


def check(case):
    model, runtime_inputs = bind_shape_operands(case)
    _, outputs = case.data_sets[0]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model.onnx")
        onnx.save(model, path)
        try:
            got = run_model(path, runtime_inputs)
        except Exception as e:  # noqa: BLE001
            lines = [l for l in str(e).strip().splitlines() if "error" in l] or [str(e)]
            return case.name, lines[0][:240]
    if len(got) != len(outputs):
        return case.name, f"{len(got)} outputs, expected {len(outputs)}"
    for g, w in zip(got, outputs):
        w = np.asarray(w)
        if w.dtype.kind == "u":
            w = w.astype(np.int64).astype(w.dtype.str.replace("u", "i")) if False else w.view(
                w.dtype.str.replace("u", "i"))
        if g.shape != w.shape:
            return case.name, f"shape {g.shape}, expected {w.shape}"
        if w.dtype.kind in "biu":
            if not np.array_equal(g, w.astype(np.float64)):
                return case.name, "integer/boolean values differ"
        elif not np.allclose(g, w.astype(np.float64), rtol=1e-3, atol=1e-5, equal_nan=True):
            err = np.nanmax(np.abs(g - w.astype(np.float64)))
            return case.name, f"max abs error {err:.3g}"
    return case.name, None


with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
    results = list(pool.map(check, selected))

failures = [(n, why) for n, why in results if why]
for name, why in sorted(failures):
    print(f"FAIL {name}: {why}")
per_op = collections.Counter(n.op_type for c in selected for n in c.model.graph.node
                             if n is c.model.graph.node[0])
print(f"selected {len(selected)} of {len(cases)} node tests covering {len(per_op)} operators:")
print("  " + ", ".join(f"{op} ({k})" for op, k in sorted(per_op.items())))
print(f"{bound_cases} cases had integer shape operands bound at compile time")
passed = len(results) - len(failures)
print(f"onnx node tests: {passed} passed, {len(failures)} failed")
rate = passed / max(len(results), 1)
print(f"pass rate {100 * rate:.1f}% (required: 95%)")
sys.exit(0 if rate >= 0.95 else 1)
