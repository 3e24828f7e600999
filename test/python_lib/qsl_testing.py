"""Helpers for QSL's Python lit tests: compile an ONNX model with qslc, run
it with qsl-run and compare with onnxruntime.

Tools are found on PATH (lit puts build/bin first).
"""
import os
import subprocess
import tempfile

import numpy as np


def _run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({p.returncode}):\n{p.stderr[-4000:]}")
    return p.stdout


def run_model(path, inputs, qslc_args=()):
    """Compiles `path` with qslc for the shapes of `inputs` (name -> array)
    and any further `qslc_args` (compression flags), runs it with qsl-run
    and returns the outputs in graph order."""
    with tempfile.TemporaryDirectory() as d:
        module = os.path.join(d, "model.mlirbc")
        cmd = ["qslc", path, "-o", module, *qslc_args]
        for name, array in inputs.items():
            shape = "x".join(map(str, np.shape(array))) or "scalar"
            cmd.append(f"--input-shape={name}={shape}")
        _run(cmd)
        given = os.path.join(d, "inputs.npz")
        np.savez(given, **{k: np.asarray(v) for k, v in inputs.items()})
        got = os.path.join(d, "outputs.npz")
        _run(["qsl-run", module, "--input", given, "--output", got])
        import onnx
        names = [o.name for o in onnx.load(path, load_external_data=False).graph.output]
        with np.load(got) as out:
            return [out[n].astype(np.float64) for n in names]


def correlated_activations(rng, k, strong=6.0, fraction=0.1):
    """A generator of layer inputs like real activations: k correlated
    features (a random mix of Gaussians) of which about `fraction` are
    `strong` times larger. Draws the mix and the strong channels from `rng`
    now, then each call activations(rows) draws a [rows, k] f32 batch."""
    mix = rng.normal(size=(k, k)) / np.sqrt(k) + np.eye(k)
    scale = np.where(rng.random(k) < fraction, strong, 1.0)

    def activations(rows):
        return ((rng.normal(size=(rows, k)) @ mix) * scale).astype(np.float32)
    return activations


def single_node_model(op, inputs, outputs, attrs=None, opset=17, inits=()):
    """A model of one `op` node. `inputs`/`outputs` are (name, elem_type,
    shape) triples; initializers are appended to the node's inputs."""
    from onnx import helper
    node = helper.make_node(op, [n for n, _, _ in inputs] + [t.name for t in inits],
                            [n for n, _, _ in outputs], **(attrs or {}))
    graph = helper.make_graph(
        [node], op,
        [helper.make_tensor_value_info(n, t, s) for n, t, s in inputs],
        [helper.make_tensor_value_info(n, t, s) for n, t, s in outputs],
        initializer=list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def reference(path, inputs):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, inputs)


def max_relative_error(got, want):
    want = np.asarray(want, dtype=np.float64)
    scale = max(np.max(np.abs(want)), 1e-30) if want.size else 1.0
    return float(np.max(np.abs(got - want)) / scale) if want.size else 0.0


def compare_outputs(got, want, tolerance, names=None):
    """Compares output arrays pairwise: returns (problems, worst relative
    max error); a problem names the output and what differs."""
    errs, worst = [], 0.0
    for i, (g, w) in enumerate(zip(got, want)):
        name = f"{names[i]}: " if names else ""
        w = np.asarray(w)
        if g.shape != w.shape:
            errs.append(f"{name}shape {g.shape} vs {w.shape}")
            continue
        e = max_relative_error(g, w)
        worst = max(worst, e)
        if not e <= tolerance:
            errs.append(f"{name}relative max error {e:.3g}")
    return errs, worst


class Checker:
    """Collects pass/fail over many cases and prints `N passed, N failed`."""

    def __init__(self, tolerance=1e-4):
        self.tolerance = tolerance
        self.passed = 0
        self.failed = []

    def check_model(self, name, model, inputs, tolerance=None):
        import onnx
        tol = self.tolerance if tolerance is None else tolerance
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "model.onnx")
            onnx.save(model, path)
            try:
                want = reference(path, inputs)
                got = run_model(path, inputs)
                errs, _ = compare_outputs(got, want, tol)
                if errs:
                    self.failed.append((name, "; ".join(errs)))
                else:
                    self.passed += 1
            except Exception as e:  # report and go on
                self.failed.append((name, str(e).strip().splitlines()[-1][:300]))

    def check(self, ok, what):
        """Records one named condition; prints it either way."""
        print(("ok   " if ok else "FAIL ") + what)
        if ok:
            self.passed += 1
        else:
            self.failed.append((what, "condition false"))

    def finish(self, label):
        for name, why in self.failed:
            print(f"FAIL {name}: {why}")
        print(f"{label}: {self.passed} passed, {len(self.failed)} failed")
        return 1 if self.failed else 0


def save_mlp(path, w1, w2, b2, tokens):
    """The two-layer MLP of the compression tests, saved to `path`:
    y = Gemm(Relu(x · w1), w2, b2, transB=1) with x : [tokens, K], w1 : [K, H]
    (a MatMul weight) and w2 : [N, H] (a Gemm transB weight). Returns path."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    k, n = w1.shape[0], w2.shape[0]
    nodes = [helper.make_node("MatMul", ["x", "w1"], ["h"], name="fc1"),
             helper.make_node("Relu", ["h"], ["r"], name="relu"),
             helper.make_node("Gemm", ["r", "w2", "b2"], ["y"], name="fc2", transB=1)]
    graph = helper.make_graph(
        nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [tokens, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [tokens, n])],
        initializer=[numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(w2, "w2"),
                     numpy_helper.from_array(b2, "b2")])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), path)
    return path


def compress_and_run(model, inputs, out, tag, pipeline, calib=(), rebuild=None, checker=None):
    """Compiles `model` with `pipeline` (calibrating on the .npz files in
    `calib`, if any), runs it on `inputs` and returns (outputs, weights,
    report): the dense weights it stands for (--dump-weights) and the
    --report JSON, both kept in `out` as <tag>.npz / <tag>.json. With
    `rebuild(path, weights)` (which saves the dense model with those weights)
    the outputs are checked in `checker` against onnxruntime on that model,
    to a relative max error of 1e-5."""
    import json
    args = [f"--pipeline={pipeline}", f"--report={out}/{tag}.json", f"--dump-weights={out}/{tag}.npz"]
    if calib:
        args.append("--calibrate=" + ",".join(calib))
    got = run_model(model, inputs, args)[0]
    with np.load(f"{out}/{tag}.npz") as d:
        weights = {k: d[k] for k in d.files}
    with open(f"{out}/{tag}.json") as f:
        report = json.load(f)
    if rebuild is not None:
        rebuilt = rebuild(os.path.join(out, f"{tag}.onnx"), weights)
        err = max_relative_error(got, reference(rebuilt, inputs)[0])
        checker.check(err <= 1e-5, f"{tag}: round trip vs onnxruntime, rel. max error {err:.2e}")
    return got, weights, report
