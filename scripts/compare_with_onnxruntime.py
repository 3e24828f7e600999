#!/usr/bin/env python3
"""Runs an ONNX model in onnxruntime on the arrays of an .npz and compares
with the outputs qsl-run wrote: prints each output's relative max error and
whether all are within the tolerance (default 1e-4); exits 1 otherwise.

    compare_with_onnxruntime.py MODEL.onnx INPUTS.npz QSL_OUTPUTS.npz [TOL]
"""
import sys

import numpy as np
import onnxruntime as ort

model, inputs, outputs = sys.argv[1:4]
tolerance = float(sys.argv[4]) if len(sys.argv) > 4 else 1e-4
session = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
with np.load(inputs) as i, np.load(outputs) as o:
    feed = {k: i[k] for k in i.files}
    names = [out.name for out in session.get_outputs()]
    want = session.run(None, feed)
    ok = True
    for name, w in zip(names, want):
        g = o[name]
        if g.shape != w.shape:
            print(f"{name}: shape {list(g.shape)}, onnxruntime {list(w.shape)}")
            ok = False
            continue
        scale = max(float(np.max(np.abs(w))), 1e-30) if w.size else 1.0
        err = float(np.max(np.abs(g.astype(np.float64) - w))) / scale if w.size else 0.0
        print(f"{name}: {g.dtype} {list(g.shape)}, relative max error {err:.2e}")
        ok &= err <= tolerance
    print(f"matches onnxruntime within {tolerance:g}: {ok}")
sys.exit(0 if ok else 1)
