"""Compares qsl-run's .npz outputs with onnxruntime on the same inputs."""
import sys

import numpy as np
import onnxruntime as ort

model, inputs, outputs = sys.argv[1:4]
with np.load(inputs) as i, np.load(outputs) as o:
    feed = {k: i[k] for k in i.files}
    want = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).run(None, feed)
    names = sorted(o.files)
    print("outputs:", ", ".join(f"{n} {o[n].dtype} {list(o[n].shape)}" for n in names))
    err_y = np.max(np.abs(o["y"] - want[0])) / np.max(np.abs(want[0]))
    print(f"y relative max error <= 1e-5: {err_y <= 1e-5}")
    print(f"k equal: {bool(np.array_equal(o['k'], want[1]))}")
