# RUN: %python %s %t
"""qsl-factorize{method=fisher fisher=FILE.npz} (FWSVD, Hsu et al. 2022)
against a numpy FWSVD: for the canonical weight Wc : [N, K] (outputs x
inputs) and row importances f_i = sum_k F[i, k] of the per-element Fisher
information, Wc ≈ diag(1/sqrt f) · trunc_r(diag(sqrt f) · Wc). Checked on a
MatMul weight (stored [K, N]) and a Gemm transB weight (stored [N, K]), with
per-element Fisher arrays and with [N] importances; FWSVD's Fisher-weighted
error is below plain SVD's; and every bad input is a clear error."""
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)
K, H, N, T, R = 48, 64, 40, 8, 12
w1 = (rng.normal(size=(K, H)) * 0.1).astype(np.float32)          # MatMul: [K, N=H]
w2 = (rng.normal(size=(N, H)) * 0.1).astype(np.float32)          # Gemm transB: [N, K=H]
nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
         helper.make_node("Gemm", ["h", "w2"], ["y"], name="fc2", transB=1)]
graph = helper.make_graph(
    nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [T, K])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [T, N])],
    initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2")])
model = os.path.join(out, "mlp.onnx")
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), model)

# Per-element Fisher information in each weight's stored shape, with output
# rows of very different importance (as squared gradients are).
row1 = np.exp(rng.normal(size=H) * 1.5)                          # outputs of fc1
row2 = np.exp(rng.normal(size=N) * 1.5)                          # outputs of fc2
F1 = (rng.random(size=(K, H)) * row1[None, :]).astype(np.float32)
F2 = (rng.random(size=(N, H)) * row2[:, None]).astype(np.float32)
canon = {"w1": (w1.T.astype(np.float64), F1.T.sum(1)), "w2": (w2.astype(np.float64), F2.sum(1))}
np.savez(os.path.join(out, "fisher.npz"), w1=F1, w2=F2)
np.savez(os.path.join(out, "rows.npz"), w1=F1.T.sum(1), w2=F2.sum(1).astype(np.float64))
c = Checker()


def qslc(pipeline, tag):
    dump = os.path.join(out, f"{tag}.npz")
    p = subprocess.run(["qslc", model, "--emit=mlir", "-o", os.devnull, f"--pipeline={pipeline}",
                        f"--dump-weights={dump}"], capture_output=True, text=True)
    return p, (np.load(dump) if p.returncode == 0 and os.path.exists(dump) else None)


def fwsvd(wc, f, r):
    s = np.sqrt(f)[:, None]
    u, sv, vt = np.linalg.svd(s * wc, full_matrices=False)
    return ((u[:, :r] * sv[:r]) @ vt[:r]) / s


def weighted_error(wc, approx, f):
    return float((f[:, None] * (wc - approx) ** 2).sum())


plain_p, plain = qslc(f"qsl-factorize{{rank={R} method=svd type=f32}}", "svd")
c.check(plain is not None, "plain SVD compiles")
for fisher_file in ("fisher.npz", "rows.npz"):
    p, got = qslc(f"qsl-factorize{{rank={R} method=fisher type=f32 fisher={os.path.join(out, fisher_file)}}}",
                  fisher_file)
    c.check(got is not None, f"{fisher_file}: compiles" + ("" if got is not None else f": {p.stderr[-400:]}"))
    if got is None:
        continue
    for name, (wc, f) in canon.items():
        approx = got[name].astype(np.float64)
        approx = approx.T if name == "w1" else approx               # canonical [N, K]
        want = fwsvd(wc, f, R)
        diff = np.abs(approx - want).max() / np.abs(want).max()
        c.check(diff <= 1e-5, f"{fisher_file} {name}: FWSVD matches numpy (rel. max diff {diff:.1e})")
        base = plain[name].astype(np.float64)
        base = base.T if name == "w1" else base
        a, b = weighted_error(wc, approx, f), weighted_error(wc, base, f)
        c.check(a < b, f"{fisher_file} {name}: Fisher-weighted error {a:.4f} < plain SVD's {b:.4f}")

# Bad inputs name the file, the weight and the reason.
np.savez(os.path.join(out, "partial.npz"), w2=F2)
np.savez(os.path.join(out, "shape.npz"), w1=F1[:, :5], w2=F2)
np.savez(os.path.join(out, "negative.npz"), w1=-F1, w2=F2)
np.savez(os.path.join(out, "ints.npz"), w1=F1.astype(np.int32), w2=F2)
cases = [
    ("method=fisher", "method=fisher needs fisher=FILE.npz"),
    ("method=svd fisher=x.npz", "fisher=... is only read by method=fisher"),
    (f"method=fisher fisher={out}/missing.npz", f"cannot read fisher={out}/missing.npz"),
    (f"method=fisher fisher={out}/shape.npz", f"fisher={out}/shape.npz: 'w1' is f32[48x5]; expected the "
                                              f"weight's shape [48x64] or one importance per output channel [64]"),
    (f"method=fisher fisher={out}/negative.npz", "'w1' has a negative or non-finite entry"),
    (f"method=fisher fisher={out}/ints.npz", "'w1' is i32[48x64]; expected f32 or f64"),
]
for opts, message in cases:
    p, _ = qslc(f"qsl-factorize{{rank={R} {opts}}}", "bad")
    c.check(p.returncode != 0 and message in p.stderr,
            f"`{opts}` fails: {message}" + ("" if message in p.stderr else f" (got: {p.stderr[-300:]})"))
p, got = qslc(f"qsl-factorize{{rank={R} method=fisher fisher={out}/partial.npz}}", "partial")
c.check(p.returncode == 0 and f"weight 'w1' left as it is: fisher={out}/partial.npz has no array named 'w1'"
        in p.stderr and got is not None and "w2" in got.files,
        "a weight without Fisher information is left dense with a warning; the others are factorized")
sys.exit(c.finish("factorize-fisher"))
