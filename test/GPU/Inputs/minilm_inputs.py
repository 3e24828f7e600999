"""Builds all-MiniLM-L6-v2 (models/minilm/build_onnx.py) into OUT_DIR and
writes OUT_DIR/input.npz: four English sentences tokenized to 32 tokens.

Usage: minilm_inputs.py OUT_DIR"""
import sys

import numpy as np

from build_onnx import build, tokenize

out = sys.argv[1]
build(out)
sentences = ["A man is playing a guitar.", "A person plays an instrument.",
             "The new movie is awesome.",
             "Stock markets fell sharply on Monday after the report."]
np.savez(f"{out}/input.npz", **tokenize(sentences, 32))
