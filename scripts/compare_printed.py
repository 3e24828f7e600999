#!/usr/bin/env python3
"""Compares the first tensor printed by printMemrefF32 (mlir-runner output)
with the first array in a numpy text file; prints the max abs error and exits
non-zero when it exceeds the tolerance (printed values have 6 digits)."""
import re
import sys

import numpy as np

printed, expected_file = sys.argv[1], sys.argv[2]
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
text = open(printed).read()
if "data =" not in text:
    sys.exit(f"no printed tensor in {printed}")
body = text.split("data =", 1)[1].split("Unranked Memref", 1)[0]
got = np.array([float(v) for v in re.findall(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)", body)])
blocks = open(expected_file).read().split("#")
want = np.loadtxt(blocks[1].splitlines()[1:]).reshape(-1)
if got.shape != want.shape:
    sys.exit(f"shape mismatch: printed {got.size} values, expected {want.size}")
err = np.max(np.abs(got - want))
ok = np.allclose(got, want, rtol=rtol, atol=rtol)
print(f"max abs error vs numpy: {err:.3g} ({'ok' if ok else 'MISMATCH'}, rtol {rtol})")
sys.exit(0 if ok else 1)
