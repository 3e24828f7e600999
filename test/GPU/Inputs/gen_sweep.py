"""Writes the module of sweep-vs-linalg.mlir: seeded random qsl.matmul and
qsl.conv2d cases across every kernel family, on top of the hand-picked
cases of the other execution tests. Matmuls draw batch (1-8: the GEMVs,
9-69: the tensor-core GEMMs), K (1-4 groups of 16 or 32), N (1-79), int2/3/4/8
codes symmetric or not, [K, N] or [N, K] storage, f32 or f16 activations,
2:4 sparsity, outliers and low rank (f32 or f16 factors) independently;
convolutions draw kernel size, channels, groups (1, 2, depthwise), strides,
dilations, padding, quantization, a float 2:4 filter, unstructured entries
or no main term, outliers, low rank (without groups), and a fused bias
and ReLU. Cases that the IR rejects (an output of size 0) are redrawn, so
every case is valid. Data are exact in f16 where tensor cores see them
(gen_corrected.py, gen_conv.py).

Usage: gen_sweep.py SEED MATMULS CONVS"""
import sys

import numpy as np

import gen_conv
import gen_corrected
from gen_common import print_module


def matmuls(r, count):
    for c in range(count):
        m = r.randint(1, 9) if r.rand() < 0.5 else r.randint(9, 70)
        group = (16, 32)[r.randint(2)]
        k = group * r.randint(1, 5)
        n = r.randint(1, 80)
        bits = (2, 3, 4, 8)[r.randint(4)]
        sym = r.rand() < 0.5
        sparse = r.rand() < 0.35
        outliers = r.randint(0, 6) if r.rand() < 0.4 else 0
        rank = min(r.randint(1, 9), n - 1, k - 1) if r.rand() < 0.4 else 0
        t = "f16" if r.rand() < 0.3 else "f32"
        lr_type = "f16" if r.rand() < 0.5 else "f32"
        transposed = r.rand() < 0.5
        gen_corrected.case(
            f"mm{c}", m, k, n, transposed, bits, group, sym, sparse=sparse,
            outliers=outliers, rank=rank, tin=t, tout=t, lr_type=lr_type,
            comment=f"m {m} k {k} n {n}, int{bits} group {group} "
            f"{'sym' if sym else 'asym'}{', 2:4' if sparse else ''}, "
            f"{outliers} outliers, rank {rank} ({lr_type}), {t}, "
            f"{'[N, K]' if transposed else '[K, N]'}")
    return [(name, (m, k), tin, (m, n), tout, text)
            for name, m, k, n, tin, tout, text in gen_corrected.cases]


def convs(r, count):
    made = 0
    while made < count:
        k = (1, 3, 5)[r.randint(3)]
        groups = (1, 1, 2, 0)[r.randint(4)]  # 0: depthwise
        c = r.randint(1, 9) * (2 if groups == 2 else 1)
        groups = groups or c
        o = r.randint(1, 5) * groups if groups > 1 else r.randint(1, 40)
        h, w = r.randint(k, 12), r.randint(k, 12)
        strides = (r.randint(1, 3), r.randint(1, 3))
        dil = (r.randint(1, 3), r.randint(1, 3))
        pads = tuple(int(p) for p in r.randint(0, 3, size=4))
        oh = (h + pads[0] + pads[2] - dil[0] * (k - 1) - 1) // strides[0] + 1
        ow = (w + pads[1] + pads[3] - dil[1] * (k - 1) - 1) // strides[1] + 1
        if oh <= 0 or ow <= 0:
            continue
        kk = c // groups * k * k
        sparse = groups == 1 and kk % 4 == 0 and r.rand() < 0.4
        quant = None
        if r.rand() < 0.8:
            divisors = [g for g in (4, 8, 9, 16)
                        if kk % g == 0 and (not sparse or g % 4 == 0)]
            group = (divisors[r.randint(len(divisors))]
                     if divisors and r.rand() < 0.6 else 0)
            quant = ((2, 3, 4, 8)[r.randint(4)], group, r.rand() < 0.5)
        # Correction terms and scattered entries: outliers on any filter,
        # low rank without channel groups, unstructured entries in place of
        # a quantized or 2:4 main term, or no main term at all.
        outliers = r.randint(1, 7) if r.rand() < 0.35 else 0
        # (the rank must stay below min(O, K) of the matrix view)
        rank = (r.randint(1, min(4, o - 1, kk - 1) + 1)
                if groups == 1 and min(o, kk) > 1 and r.rand() < 0.3 else 0)
        density, main = 0.0, True
        if quant is None and not sparse:
            if r.rand() < 0.5:
                density = 0.2 + 0.4 * r.rand()
            elif outliers or rank:
                main = False
            else:
                continue  # a dense float filter is not an encoded weight
        images = r.randint(1, 3)
        bias_relu = r.rand() < 0.3
        gen_conv.case(
            f"cv{made}", (images, c, h, w), o, k, strides, dil, pads,
            quant=quant, sparse=sparse, bias_relu=bias_relu, cgroups=groups,
            outliers=min(outliers, o * kk), rank=rank,
            lr_type=("f16", "f32")[r.randint(2)], main=main, density=density,
            comment=f"x {images}x{c}x{h}x{w}, {o} filters {k}x{k}, strides "
            f"{strides}, dilations {dil}, pads {pads}, groups {groups}, "
            f"quant {quant}{', 2:4' if sparse else ''}"
            f"{f', unstructured {density:.2f}' if density else ''}"
            f"{'' if main else ', no main term'}, {outliers} outliers, "
            f"rank {rank}{', bias + ReLU' if bias_relu else ''}")
        made += 1
    return [(name, x, t, y, t, text)
            for name, x, y, t, text in gen_conv.cases]


def main():
    seed, n_matmuls, n_convs = map(int, sys.argv[1:4])
    r = np.random.RandomState(seed)
    gen_corrected.rng = np.random.RandomState(seed + 1)
    gen_conv.rng = np.random.RandomState(seed + 2)
    print_module(matmuls(r, n_matmuls) + convs(r, n_convs), False,
                 f"gen_sweep.py {seed} {n_matmuls} {n_convs}")


if __name__ == "__main__":
    main()
