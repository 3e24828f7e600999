"""Compares every array of two .npz files (reference first) with
numpy.allclose; prints '<name>: match' or '<name>: MISMATCH (...)' per array
and exits 1 on any mismatch or missing array."""
import argparse
import sys

import numpy as np


def main():
    p = argparse.ArgumentParser()
    p.add_argument("reference")
    p.add_argument("actual")
    p.add_argument("--rtol", type=float, required=True)
    p.add_argument("--atol", type=float, required=True)
    a = p.parse_args()
    ref, got = np.load(a.reference), np.load(a.actual)
    ok = True
    for name in ref.files:
        if name not in got.files:
            print(f"{name}: MISSING")
            ok = False
            continue
        x, y = ref[name], got[name]
        if x.shape != y.shape:
            print(f"{name}: MISMATCH (shape {y.shape}, expected {x.shape})")
            ok = False
        elif np.allclose(x, y, rtol=a.rtol, atol=a.atol):
            print(f"{name}: match")
        else:
            err = np.abs(x.astype(np.float64) - y)
            print(f"{name}: MISMATCH (max abs error {err.max():.3g}, "
                  f"{int((err > a.atol + a.rtol * np.abs(x)).sum())} of "
                  f"{x.size} elements outside rtol {a.rtol} atol {a.atol})")
            ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
