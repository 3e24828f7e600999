#!/usr/bin/env python3
"""MiniLM-L6 on the CPU: qsl-run vs onnxruntime's CPU provider, same model,
same inputs, same machine, one run of this script.

    python3 benchmarks/minilm_cpu.py [--batches 1 8] [--seq 128]

Builds the model (models/minilm/build_onnx.py) into build/models/minilm,
compiles it with qslc for each shape, times `qsl-run --repeat` and
onnxruntime (1 thread and its default thread count), prints a table with
the ratios and writes it to benchmarks/results/minilm-cpu.md.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "models", "minilm"))
from build_onnx import build, tokenize  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
parser.add_argument("--seq", type=int, default=128)
parser.add_argument("--build", default=os.path.join(root, "build"))
args = parser.parse_args()
bin_dir = os.path.join(args.build, "bin")
model = build(os.path.join(args.build, "models", "minilm"))

text = ("QSL compiles compressed neural networks; this sentence is long enough to fill "
        "a sequence of tokens for a fair benchmark of the encoder on the CPU path. ") * 8


def ort_time(inputs, threads, runs):
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    sess = ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
    sess.run(None, inputs)
    start = time.perf_counter()
    for _ in range(runs):
        sess.run(None, inputs)
    return (time.perf_counter() - start) / runs * 1e3


rows = []
for batch in args.batches:
    inputs = tokenize([text] * batch, args.seq)
    runs = 3 if batch == 1 else 1
    def qsl_time(extra, repeat):
        with tempfile.TemporaryDirectory() as d:
            module = os.path.join(d, "minilm.mlirbc")
            shapes = [f"--input-shape={k}={batch}x{args.seq}" for k in inputs]
            subprocess.run([os.path.join(bin_dir, "qslc"), model, "-o", module] + shapes + extra,
                           check=True)
            given = os.path.join(d, "in.npz")
            np.savez(given, **inputs)
            out = subprocess.run([os.path.join(bin_dir, "qsl-run"), module, "--input", given,
                                  "--repeat", str(repeat)], check=True, capture_output=True,
                                 text=True).stdout
            return float(out.split("time per run:")[1].split("ms")[0])

    qsl_ms = qsl_time([], max(runs, 5))
    ref_ms = qsl_time(["--reference-lowering"], 1)
    ort1 = ort_time(inputs, 1, max(runs, 5))
    ortn = ort_time(inputs, 0, max(runs, 5))
    rows.append((batch, qsl_ms, ref_ms, ort1, ortn))
    print(f"batch {batch}: qsl {qsl_ms:.1f} ms (reference lowering {ref_ms:.1f} ms), "
          f"onnxruntime 1 thread {ort1:.1f} ms, "
          f"default threads {ortn:.1f} ms", flush=True)

commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                        capture_output=True, text=True).stdout.strip()
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.processor())
lines = [f"# MiniLM-L6 (all-MiniLM-L6-v2), CPU, sequence {args.seq}", "",
         f"{datetime.date.today()} · {cpu} · {os.cpu_count()} cores · commit {commit} · "
         f"onnxruntime {ort.__version__}", "",
         "Command: `python3 benchmarks/minilm_cpu.py`. QSL: `qsl-run` on the module from "
         "`qslc` (`qsl-cpu-pipeline`: elementwise fusion, contractions register-blocked "
         "4x16 and vectorized, elementwise ops and row reductions vectorized, one thread). "
         "QSL reference: the same model with `qslc --reference-lowering` (plain loops, "
         "LLVM -O3), timed once. onnxruntime: CPU provider, all graph optimizations.", "",
         "| batch | QSL ms | QSL reference ms | ORT 1 thread ms | ORT default threads ms "
         "| QSL / ORT-1t | QSL / ORT-default |",
         "|---|---|---|---|---|---|---|"]
for batch, q, ref, o1, on in rows:
    lines.append(f"| {batch} | {q:.1f} | {ref:.1f} | {o1:.1f} | {on:.1f} | {q / o1:.2f}x "
                 f"| {q / on:.2f}x |")
lines += ["", "Ratios above 1 mean QSL is slower. Not yet done: threading, packing of the "
          "weight panels, fusing bias/activation epilogues into the contraction tiles."]
report = "\n".join(lines) + "\n"
os.makedirs(os.path.join(root, "benchmarks", "results"), exist_ok=True)
with open(os.path.join(root, "benchmarks", "results", "minilm-cpu.md"), "w") as f:
    f.write(report)
print(report)
