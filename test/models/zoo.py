# RUN: %python %s
# REQUIRES: onnxruntime
"""Five randomly initialised model families, built by models/zoo/build.py in
the form torch.onnx.export (opset 17) writes them, compiled by qslc and run
by qsl-run, match onnxruntime within 1e-4 relative max error on every
output:

    resnet18     torchvision, batch 1, 3x224x224
    mobilenetv2  torchvision, batch 1, 3x224x224
    vit_tiny     timm ViT-Tiny/16, batch 1, 3x224x224
    llama        2-layer GQA decoder, batch 1, 8 new tokens after a KV cache
                 of 4 (random past keys/values), logits and present K/V
    gpt2         GPT-2 small, all 12 layers (124M parameters, ~500 MB of
                 external data written to a temporary directory), batch 1,
                 16 tokens

Each model is also checked with onnx.checker (full_check) and must run in
onnxruntime. Prints one line per model with its parameter count and the
qslc and qsl-run wall times.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx

from qsl_testing import Checker, compare_outputs, reference

# models/zoo/build.py, by path (a module named `build` could be shadowed).
_spec = importlib.util.spec_from_file_location(
    "zoo_build", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models",
                              "zoo", "build.py"))
build = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(build)

TOLERANCE = 1e-4
rng = np.random.default_rng(7)


def image():
    return rng.standard_normal((1, 3, 224, 224), dtype=np.float32)


def llama_inputs():
    past, seq = 4, 8
    inputs = {"input_ids": rng.integers(0, 1000, (1, seq)),
              "position_ids": np.arange(past, past + seq, dtype=np.int64)[None]}
    for i in range(2):
        for kind in ("key", "value"):
            inputs[f"past_{kind}_{i}"] = 0.5 * rng.standard_normal((1, 2, past, 64), dtype=np.float32)
    return inputs


CASES = [
    ("resnet18", lambda: {"input": image()}),
    ("mobilenetv2", lambda: {"input": image()}),
    ("vit_tiny", lambda: {"pixel_values": image()}),
    ("llama", llama_inputs),
    ("gpt2", lambda: {"input_ids": rng.integers(0, 50257, (1, 16))}),
]


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{os.path.basename(cmd[0])} failed ({p.returncode}): "
                           f"{p.stderr.strip()[-1000:]}")


def qsl(path, inputs, d):
    """qslc + qsl-run; returns the outputs in graph order and both wall times."""
    module = os.path.join(d, "model.mlirbc")
    cmd = ["qslc", path, "-o", module]
    cmd += [f"--input-shape={k}={'x'.join(map(str, v.shape))}" for k, v in inputs.items()]
    t0 = time.perf_counter()
    run(cmd)
    t1 = time.perf_counter()
    given, got = os.path.join(d, "inputs.npz"), os.path.join(d, "outputs.npz")
    np.savez(given, **inputs)
    run(["qsl-run", module, "--input", given, "--output", got])
    t2 = time.perf_counter()
    names = [o.name for o in onnx.load(path, load_external_data=False).graph.output]
    with np.load(got) as out:
        return [out[n].astype(np.float64) for n in names], names, t1 - t0, t2 - t1


c = Checker(TOLERANCE)
start = time.perf_counter()
for name, make_inputs in CASES:
    inputs = make_inputs()
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        model = build.MODELS[name]()
        params = build.param_count(model)
        path = build.save(model, os.path.join(d, f"{name}.onnx"), external_data=(name == "gpt2"))
        del model
        t_build = time.perf_counter() - t0
        line = f"{name}: {params:,} parameters, build {t_build:.1f} s"
        try:
            onnx.checker.check_model(path, full_check=True)
            want = reference(path, inputs)
            got, names, t_qslc, t_run = qsl(path, inputs, d)
            line += f", qslc {t_qslc:.1f} s, qsl-run {t_run:.1f} s"
            errs, worst = compare_outputs(got, want, TOLERANCE, names)
            line += f", relative max error {worst:.2e} over {len(names)} output(s)"
            if errs:
                c.failed.append((name, "; ".join(errs)))
            else:
                c.passed += 1
        except Exception as e:  # report and go on
            c.failed.append((name, str(e).strip().splitlines()[-1][:400]))
            line += ", FAILED"
    print(line, flush=True)
print(f"total {time.perf_counter() - start:.1f} s")
sys.exit(c.finish("model zoo vs onnxruntime"))
