"""Writes the module of packed-gemm-vs-linalg.mlir: quantized matmuls above
max-batch that take the packed tensor-core GEMM (fragment-ordered code
words, f16x2 decoding; PackedMmaKernel.cpp), chosen to reach each of its
shape classes: 2 to 8 bits (chunks of 4, 2 and 1 k-steps), scale groups
shorter than, equal to and longer than a chunk, per-channel scales, 1 to 4
m-tiles with and without a row edge, one n-tile (N <= 8) and column edges,
K not a whole number of chunks, several chunks per warp (the prefetch
carried around the loop), fewer chunks than warps, f32 and f16 activations
and outputs, [K, N] and [N, K] storage. Scales are powers of two and
activations multiples of 1/8, so the f16 operands are exact (gen_corrected).

Usage: gen_packed.py"""
import numpy as np

import gen_corrected
from gen_common import print_module

# name, m, k, n, transposed, bits, group, sym, tin, tout
CASES = [
    ("int4_g128_asym", 70, 512, 96, True, 4, 128, False, "f16", "f16"),
    ("int4_g16_sym", 24, 96, 45, False, 4, 16, True, "f32", "f32"),
    ("int2_g32_kedge", 33, 160, 8, True, 2, 32, False, "f32", "f32"),
    ("int3_g64_sym", 100, 384, 64, False, 3, 64, True, "f16", "f16"),
    ("int6_channel", 17, 208, 33, True, 6, 208, False, "f32", "f32"),
    ("int8_g16_n1", 9, 64, 1, False, 8, 16, True, "f32", "f32"),
    ("int5_g32", 40, 96, 70, True, 5, 32, False, "f16", "f16"),
]


def main():
    gen_corrected.rng = np.random.RandomState(23)
    for name, m, k, n, transposed, bits, group, sym, tin, tout in CASES:
        gen_corrected.case(name, m, k, n, transposed, bits, group, sym,
                           tin=tin, tout=tout,
                           comment=f"m {m} k {k} n {n}, int{bits} group "
                           f"{group} {'sym' if sym else 'asym'}, {tin} -> "
                           f"{tout}")
    print_module([(name, (m, k), tin, (m, n), tout, text)
                  for name, m, k, n, tin, tout, text in gen_corrected.cases],
                 False, "gen_packed.py")


if __name__ == "__main__":
    main()
