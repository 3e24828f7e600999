# RUN: %python %s
# REQUIRES: numpy
"""Contractions compiled by qslc's CPU pipeline (register-blocked, vectorized,
peeled remainders) against numpy in float64, over shapes that exercise every
path: dimensions of 1, primes that leave remainders in both M and N, sizes
below one tile, batch dimensions, a transposed right operand and the
attention-score einsum (reduction innermost). Relative max error 1e-5; f16
operands (accumulated in f32, rounded once to f16) within 1e-3, the f16
rounding of the result."""
import sys

import numpy as np
from onnx import TensorProto, helper

from qsl_testing import Checker, max_relative_error, run_model

rng = np.random.default_rng(7)
F = TensorProto.FLOAT


def one_node(op, a_shape, b_shape, attrs=None, elem=F):
    node = helper.make_node(op, ["a", "b"], ["y"], **(attrs or {}))
    graph = helper.make_graph([node], op, [helper.make_tensor_value_info("a", elem, list(a_shape)),
                                           helper.make_tensor_value_info("b", elem, list(b_shape))],
                              [helper.make_tensor_value_info("y", elem, None)])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


cases = []
for m, k, n in [(1, 1, 1), (1, 7, 1), (1, 64, 33), (3, 5, 17), (5, 13, 31), (16, 64, 48),
                (17, 33, 65), (4, 1, 16)]:
    cases.append((f"MatMul-{m}x{k}x{n}", one_node("MatMul", (m, k), (k, n)), (m, k), (k, n),
                  lambda a, b: a @ b))
cases.append(("MatMul-batch-2x3x9x11x19", one_node("MatMul", (2, 3, 9, 11), (11, 19)),
              (2, 3, 9, 11), (11, 19), lambda a, b: a @ b))
cases.append(("Gemm-transB-7x10x23", one_node("Gemm", (7, 10), (23, 10), {"transB": 1}),
              (7, 10), (23, 10), lambda a, b: a @ b.T))
cases.append(("Einsum-scores", one_node("Einsum", (1, 2, 9, 8), (1, 2, 21, 8),
                                        {"equation": "bhqd,bhkd->bhqk"}),
              (1, 2, 9, 8), (1, 2, 21, 8), lambda a, b: np.einsum("bhqd,bhkd->bhqk", a, b)))

# f16 operands: the vectorized tiles extend them to f32 (a regression: the
# mixed-precision vector.contract once reached the LLVM lowering unlowered).
for m, k, n in [(4, 64, 32), (5, 13, 31)]:
    cases.append((f"MatMul-f16-{m}x{k}x{n}",
                   one_node("MatMul", (m, k), (k, n), elem=TensorProto.FLOAT16), (m, k), (k, n),
                   lambda a, b: a @ b))

import os  # noqa: E402
import tempfile  # noqa: E402

import onnx  # noqa: E402

c = Checker(tolerance=1e-5)
for name, model, sa, sb, ref in cases:
    dtype = np.float16 if "f16" in name else np.float32
    a = rng.standard_normal(sa).astype(dtype)
    b = rng.standard_normal(sb).astype(dtype)
    want = ref(a.astype(np.float64), b.astype(np.float64))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "m.onnx")
        onnx.save(model, path)
        try:
            got = run_model(path, {"a": a, "b": b})[0]
        except Exception as e:  # noqa: BLE001
            c.failed.append((name, str(e).strip().splitlines()[-1][:300]))
            continue
    err = max_relative_error(got, want) if got.shape == want.shape else float("inf")
    if err <= (1e-3 if dtype == np.float16 else c.tolerance):
        c.passed += 1
    else:
        c.failed.append((name, f"shape {got.shape} vs {want.shape}, relative max error {err:.3g}"))
sys.exit(c.finish("contractions vs numpy"))
