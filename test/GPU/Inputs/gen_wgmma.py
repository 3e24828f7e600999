"""Writes the module of wgmma-vs-linalg.mlir: quantized matmuls with f16
activations over several row blocks, which qsl-gpu-pipeline{chip=sm_90a}
sends to the packed GEMM on the warpgroup MMA (WgmmaKernel.cpp), chosen to
reach its shape classes: 2 to 8 bits (chunks of 4, 2 and 1 k-steps), scale
groups shorter than, equal to and longer than a chunk, per-channel scales,
row blocks of 128 with a partial last one and of fewer rows (M rounded up
to 16), N edges inside a warp's tile and whole dead warps in the last
block, K ending inside a chunk (zero-filled granules), fewer chunks than
stages, [K, N] and [N, K] storage, and outliers plus
a low-rank term added to the stores. One case has too few rows (64) and
takes the mma.sync kernel. And 2:4 weights (quantized, with and without
corrections, and float values held as f16) on wgmma.mma_async.sp, one
or two warpgroups of 64 columns. Scales are powers of two and activations
multiples of 1/8, so the f16 operands are exact (gen_corrected).

Usage: gen_wgmma.py"""
import numpy as np

import gen_corrected
import gen_sparse24
from gen_common import print_module

# name, m, k, n, transposed, bits, group, sym, tout, outliers, rank
CASES = [
    ("wg_int4_g128", 200, 512, 300, True, 4, 128, False, "f16", 0, 0),
    ("wg_int2_g48_kedge", 130, 240, 72, False, 2, 48, True, "f16", 0, 0),
    ("wg_int8_g16", 90, 64, 40, True, 8, 16, False, "f16", 0, 0),
    ("wg_int3_channel", 66, 208, 33, False, 3, 208, True, "f16", 0, 0),
    ("wg_int5_g16_short", 257, 48, 20, True, 5, 16, False, "f16", 0, 0),
    ("wg_int4_g32_corr", 100, 128, 64, True, 4, 32, False, "f16", 3, 2),
    ("wg_int6_g64_b64", 64, 128, 50, False, 6, 64, False, "f16", 0, 0),
]
# 2:4 along K: name, m, k, n, transposed, bits, group, sym, outliers, rank
SPARSE = [
    # 19 tiles of 16 columns: blocks of two warpgroups (128 columns)
    ("wg_sp_int4_g128", 200, 512, 300, True, 4, 128, False, 0, 0),
    ("wg_sp_int2_g64_kedge", 130, 320, 21, False, 2, 64, True, 0, 0),
    ("wg_sp_int8_g32_corr", 100, 96, 33, True, 8, 32, False, 3, 2),
]
# float 2:4 (f16 values): name, m, k, n, transposed
SPARSE_FLOAT = [
    ("wg_sp_f16", 150, 200, 136, True),
]


def main():
    gen_corrected.rng = np.random.RandomState(31)
    for name, m, k, n, transposed, bits, group, sym, tout, outl, rank in CASES:
        gen_corrected.case(name, m, k, n, transposed, bits, group, sym,
                           outliers=outl, rank=rank, tin="f16", tout=tout,
                           comment=f"m {m} k {k} n {n}, int{bits} group "
                           f"{group} {'sym' if sym else 'asym'}, {outl} "
                           f"outliers, rank {rank}, f16 -> {tout}")
    for name, m, k, n, transposed, bits, group, sym, outl, rank in SPARSE:
        gen_corrected.case(name, m, k, n, transposed, bits, group, sym,
                           sparse=True, outliers=outl, rank=rank, tin="f16",
                           tout="f16",
                           comment=f"m {m} k {k} n {n}, 2:4 int{bits} group "
                           f"{group} {'sym' if sym else 'asym'}, {outl} "
                           f"outliers, rank {rank}, f16")
    gen_sparse24.rng = np.random.RandomState(37)
    for name, m, k, n, transposed in SPARSE_FLOAT:
        gen_sparse24.case(name, m, k, n, transposed, None, "f16", "f16",
                          comment=f"m {m} k {k} n {n}, float 2:4 (f16), f16")
    print_module([(name, (m, k), tin, (m, n), tout, text)
                  for name, m, k, n, tin, tout, text in
                  gen_corrected.cases + gen_sparse24.cases],
                 False, "gen_wgmma.py")


if __name__ == "__main__":
    main()
