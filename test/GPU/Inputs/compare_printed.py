"""Compares the numbers two printMemref outputs print, elementwise:
|a - b| <= atol + rtol * |b| (b: the CPU reference, first file)."""
import argparse
import re
import sys

ap = argparse.ArgumentParser()
ap.add_argument("reference")
ap.add_argument("candidate")
ap.add_argument("--rtol", type=float, default=1e-5)
ap.add_argument("--atol", type=float, default=1e-6)
args = ap.parse_args()
num = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|-?nan|-?inf")


def numbers(path):
    vals = []
    for line in open(path):
        if "Unranked Memref" in line:
            line = line.split("data =")[-1]  # drop base/offset/sizes/strides
            continue
        vals += [float(v) for v in num.findall(line)]
    return vals


ref, got = numbers(args.reference), numbers(args.candidate)
if not ref or len(ref) != len(got):
    sys.exit(f"compare-printed: {len(ref)} reference vs {len(got)} candidate numbers")
bad = [(i, r, g) for i, (r, g) in enumerate(zip(ref, got))
       if not abs(r - g) <= args.atol + args.rtol * abs(r)]
for i, r, g in bad[:10]:
    print(f"element {i}: reference {r} candidate {g}")
print(f"{len(ref) - len(bad)} passed, {len(bad)} failed")
sys.exit(1 if bad else 0)
