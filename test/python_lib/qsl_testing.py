"""Helpers for QSL's Python lit tests: run an ONNX model through qslc, the
CPU reference pipeline and mlir-runner, and compare with onnxruntime.

Tools are found on PATH (lit puts build/bin and LLVM 22's bin first); the
runner libraries come from the QSL_RUNNER_LIBS environment variable that
lit sets.
"""
import os
import re
import subprocess
import tempfile

import numpy as np

_PRINTERS = {
    np.float32: ("f32", "printMemrefF32", False),
    np.float64: ("f64", "printMemrefF64", True),
    np.float16: ("f16", "printMemrefF16", True),
    np.int64: ("i64", "printMemrefI64", True),
    np.int32: ("i32", "printMemrefI32", True),
}
_MLIR_TYPES = {"f32": np.float32, "f64": np.float64, "f16": np.float16,
               "i64": np.int64, "i32": np.int32, "i1": np.bool_}


# numpy dtype -> MLIR element type (ONNX's unsigned types are signless).
_ELEMENT_TYPES = {np.dtype(t): e for t, e in [
    (np.float32, "f32"), (np.float64, "f64"), (np.float16, "f16"),
    (np.int64, "i64"), (np.uint64, "i64"), (np.int32, "i32"), (np.uint32, "i32"),
    (np.int16, "i16"), (np.uint16, "i16"), (np.int8, "i8"), (np.uint8, "i8"),
    (np.bool_, "i1")]}


def _tensor_type(shape, elem):
    dims = "x".join(str(d) for d in shape)
    return f"tensor<{dims}x{elem}>" if dims else f"tensor<{elem}>"


def _literal(array):
    elem = _ELEMENT_TYPES.get(array.dtype)
    if elem is None:
        raise RuntimeError(f"inputs of dtype {array.dtype} are not supported by the harness")
    if array.dtype == np.bool_:
        def rec(a):
            if a.ndim == 0:
                return "true" if a else "false"
            return "[" + ", ".join(rec(x) for x in a) + "]"
        body = rec(array) if array.size else "[]"
        return f"dense<{body}> : {_tensor_type(array.shape, elem)}", elem
    hexdata = np.ascontiguousarray(array).tobytes().hex()
    return f'dense<"0x{hexdata}"> : {_tensor_type(array.shape, elem)}', elem


def _run(cmd, stdin=None):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed ({p.returncode}):\n{p.stderr[-4000:]}")
    return p.stdout


def import_model(path, input_shapes=()):
    cmd = ["qslc", path, "--emit=mlir"]
    for name, shape in input_shapes:
        cmd.append(f"--input-shape={name}=" + ("x".join(map(str, shape)) or "scalar"))
    return _run(cmd)


def run_model(path, inputs):
    """Imports `path` with the shapes of `inputs` (name -> array, in graph
    input order), runs it on the CPU and returns the outputs as arrays."""
    module = import_model(path, [(k, v.shape) for k, v in inputs.items()])
    sig = re.search(r"func\.func @main_graph\((.*)\) -> (.*) \{\n", module)
    if not sig:
        raise RuntimeError("no main_graph in the imported module")
    results = re.findall(r"tensor<((?:\d+x)*)([a-z0-9]+)>", sig.group(2))
    decls, body = [], []
    printers = set()
    args, argtypes = [], []
    for i, (name, array) in enumerate(inputs.items()):
        lit, elem = _literal(np.asarray(array))
        body.append(f"  %in{i} = arith.constant {lit}")
        args.append(f"%in{i}")
        argtypes.append(_tensor_type(array.shape, elem))
    restypes = [_tensor_type([int(d) for d in dims.split("x") if d], e)
                for dims, e in results]
    res = f"%r:{len(restypes)}" if len(restypes) > 1 else "%r"
    body.append(f"  {res} = call @main_graph({', '.join(args)}) : ({', '.join(argtypes)}) -> ({', '.join(restypes)})")
    for i, ((dims, elem), rt) in enumerate(zip(results, restypes)):
        v = f"%r#{i}" if len(restypes) > 1 else "%r"
        if elem in ("i1", "i8", "i16"):
            # Print booleans and narrow integers as i32.
            ext = "extui" if elem == "i1" else "extsi"
            shape = [int(d) for d in dims.split("x") if d]
            rank = len(shape)
            dims_ = ", ".join(f"d{k}" for k in range(rank))
            idmap = f"affine_map<({dims_}) -> ({dims_})>"
            iters = ", ".join(['"parallel"'] * rank)
            i32t = _tensor_type(shape, "i32")
            body.append(f"  %e{i} = tensor.empty() : {i32t}")
            body.append(
                f"  %b{i} = linalg.generic {{indexing_maps = [{idmap}, {idmap}], "
                f"iterator_types = [{iters}]}} ins({v} : {rt}) outs(%e{i} : {i32t}) {{\n"
                f"  ^bb0(%x: {elem}, %o: i32):\n    %z = arith.{ext} %x : {elem} to i32\n"
                f"    linalg.yield %z : i32\n  }} -> {i32t}")
            v, rt, elem = f"%b{i}", _tensor_type(shape, "i32"), "i32"
        _, fn, ciface = _PRINTERS[_MLIR_TYPES[elem]]
        printers.add((fn, elem, ciface))
        body.append(f"  %u{i} = tensor.cast {v} : {rt} to tensor<*x{elem}>")
        body.append(f"  call @{fn}(%u{i}) : (tensor<*x{elem}>) -> ()")
    for fn, elem, ciface in sorted(printers):
        attr = " attributes {llvm.emit_c_interface}" if ciface else ""
        decls.append(f"  func.func private @{fn}(tensor<*x{elem}>){attr}")
    # Insert the harness before the module's closing brace (and before any
    # resource section that follows it).
    text, _, resources = module.partition("\n{-#")
    text = text.rstrip()
    assert text.endswith("}")
    program = text[:-1] + "\n" + "\n".join(decls) + "\n  func.func @main() {\n" + \
        "\n".join("  " + l for l in body) + "\n    return\n  }\n}\n"
    if resources:
        program += "\n{-#" + resources
    lowered = _run(["qsl-opt", "--qsl-cpu-reference-pipeline"], program)
    out = _run(["mlir-runner", "-e", "main", "-entry-point-result=void",
                "-shared-libs=" + os.environ["QSL_RUNNER_LIBS"]], lowered)
    arrays = []
    number = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)")
    for block, (dims, elem) in zip(out.split("Unranked Memref")[1:], results):
        shape = [int(d) for d in dims.split("x") if d]
        if 0 in shape:
            arrays.append(np.zeros(shape))
            continue
        data = block.split("data =", 1)[1]
        vals = [float(v) for v in number.findall(data)]
        arrays.append(np.array(vals, dtype=np.float64).reshape(shape))
    if len(arrays) != len(results):
        raise RuntimeError(f"expected {len(results)} printed outputs:\n{out[-2000:]}")
    return arrays


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
                errs = []
                for g, w in zip(got, want):
                    if g.shape != np.asarray(w).shape:
                        errs.append(f"shape {g.shape} vs {np.asarray(w).shape}")
                    else:
                        e = max_relative_error(g, w)
                        if not e <= tol:
                            errs.append(f"relative max error {e:.3g}")
                if errs:
                    self.failed.append((name, "; ".join(errs)))
                else:
                    self.passed += 1
            except Exception as e:  # report and go on
                self.failed.append((name, str(e).strip().splitlines()[-1][:300]))

    def finish(self, label):
        for name, why in self.failed:
            print(f"FAIL {name}: {why}")
        print(f"{label}: {self.passed} passed, {len(self.failed)} failed")
        return 1 if self.failed else 0
