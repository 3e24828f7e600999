"""Writes the module of packed-gemm-vs-linalg.mlir: quantized matmuls that
take the packed tensor-core GEMMs (fragment-ordered code words, f16x2
decoding; PackedMmaKernel.cpp), dense (mma.sync) and 2:4 (mma.sp, batch
1 to 70, with outliers and low rank added to the stores), chosen to reach
each of their
shape classes: 2 to 8 bits (chunks of 4, 2 and 1 k-steps), scale groups
shorter than, equal to and longer than a chunk, per-channel scales, 1 to 4
m-tiles with and without a row edge, one n-tile (N <= 8) and column edges,
warps splitting K (one row block) or side by side along N (several),
K not a whole number of chunks, several chunks per warp (the prefetch
carried around the loop), fewer chunks than warps, f32 and f16 activations
and outputs, f16 activations staged in shared memory (K edges inside a
chunk, fewer chunks than stages), [K, N] and [N, K] storage. Scales are powers of two and
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
    # batch 1 (mma-gemv): rows 8-15 of the tile are never loaded
    ("int4_g32_b1", 1, 128, 40, True, 4, 32, False, "f32", "f32"),
    # two row blocks: warps side by side along N (6 tiles over blocks of
    # 4 warps: the second block's last two warps store nothing)
    ("int4_g32_cols", 80, 64, 170, False, 4, 32, True, "f32", "f32"),
    # f16 activations over several row blocks: staged in shared memory
    # (cp.async, ldmatrix); K ends inside a chunk (zero-filled granules),
    # a last row block of 2 rows, fewer chunks than stages
    ("int2_g48_staged_kedge", 130, 240, 72, True, 2, 48, False, "f16", "f16"),
    ("int8_g48_staged", 77, 144, 50, False, 8, 48, True, "f16", "f16"),
    ("int4_g16_staged_short", 66, 48, 20, True, 4, 16, False, "f16", "f16"),
]
# 2:4 along K: name, m, k, n, transposed, bits, group, sym, t, outliers, rank
SPARSE = [
    ("sp_int4_g128_b1", 1, 512, 48, True, 4, 128, False, "f16", 0, 0),
    ("sp_int2_g64_b5", 5, 320, 21, False, 2, 64, True, "f32", 0, 0),
    ("sp_int8_g32_b40_corr", 40, 96, 33, True, 8, 32, False, "f32", 3, 2),
    ("sp_int3_channel_b9", 9, 192, 16, False, 3, 192, True, "f16", 0, 0),
    ("sp_int6_g32_b70", 70, 64, 40, True, 6, 32, False, "f16", 0, 0),
]


def main():
    gen_corrected.rng = np.random.RandomState(23)
    for name, m, k, n, transposed, bits, group, sym, tin, tout in CASES:
        gen_corrected.case(name, m, k, n, transposed, bits, group, sym,
                           tin=tin, tout=tout,
                           comment=f"m {m} k {k} n {n}, int{bits} group "
                           f"{group} {'sym' if sym else 'asym'}, {tin} -> "
                           f"{tout}")
    for name, m, k, n, transposed, bits, group, sym, t, outl, rank in SPARSE:
        gen_corrected.case(name, m, k, n, transposed, bits, group, sym,
                           sparse=True, outliers=outl, rank=rank, tin=t,
                           tout=t,
                           comment=f"m {m} k {k} n {n}, 2:4 int{bits} group "
                           f"{group} {'sym' if sym else 'asym'}, {outl} "
                           f"outliers, rank {rank}, {t}")
    print_module([(name, (m, k), tin, (m, n), tout, text)
                  for name, m, k, n, tin, tout, text in gen_corrected.cases],
                 False, "gen_packed.py")


if __name__ == "__main__":
    main()
