"""Writes the MLIR module of corrected-gemm-vs-linalg.mlir: composed
weights W = deq(Q)(.M) + O + U.V whose batch exceeds max-batch, so the
tensor-core kernels take the main term (mma.sync, or mma.sp for 2:4) and
add the outliers and the low-rank term to each result before its store.
Each case is a function; @main calls them on activations
((5i + 3j) % 17 - 8) / 8 and prints the results. Data from a fixed seed,
exact in f16 where the tensor cores see them (codes, power-of-two scales,
activations); outliers and factors are multiples of 1/8.

Usage: gen_corrected.py [--ptx-only]  (the kernels alone, no @main)."""
import sys

import numpy as np

from gen_common import dense, print_module

rng = np.random.RandomState(11)



cases = []


def case(name, m, k, n, transposed, bits, group, sym, sparse=False,
         outliers=0, rank=0, tin="f32", tout="f32", lr_type="f32",
         codebook=0, comment=""):
    """codebook: entries per group (codes index sorted multiples of 1/16;
    `sym` is then ignored)."""
    kept = k // 2 if sparse else k
    lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sym
              else (0, (1 << bits) - 1))
    if codebook:
        lo, hi = 0, codebook - 1
    codes = rng.randint(lo, hi + 1, size=(n, kept))
    groups = k // group
    t = (lambda a: a) if transposed else (lambda a: np.swapaxes(a, 0, 1).copy())
    axis = 1 if transposed else 0
    if codebook:
        books = np.sort(rng.randint(-24, 25, size=(n, groups, codebook)) / 16.0,
                        axis=-1)
        attrs = [f"quant = <bits = {bits}, axis = {axis}, group = {group}, "
                 f"scale = f32, codebook = {codebook}>"]
        signed = np.where(codes >= 2 ** (bits - 1), codes - 2 ** bits, codes)
        storage = [f"values({dense(t(signed), f'i{bits}')})",
                   f"codebook({dense(t(books), 'f32')})"]
        sym = True
    else:
        scales = 2.0 ** rng.randint(-5, -1, size=(n, groups))
        attrs = [f"quant = <bits = {bits}, axis = {axis}, group = {group}, "
                 "scale = f32" + ("" if sym else ", zero = i8") + ">"]
        storage = [f"values({dense(t(codes), f'i{bits}')})",
                   f"scales({dense(t(scales), 'f32')})"]
    if not sym:
        zeros = rng.randint(0, 1 << bits, size=(n, groups))
        storage.append(f"zeros({dense(t(zeros), 'i8')})")
    if sparse:
        attrs.append(f"sparse = <2:4, axis = {axis}>")
        pos = np.zeros((n, kept), dtype=np.int64)
        for r in range(n):
            for g in range(k // 4):
                pos[r, 2 * g:2 * g + 2] = rng.choice(4, 2, replace=False)
        storage.append(f"meta({dense(t(pos), 'i2')})")
    if outliers:
        attrs.append(f"outliers = <count = {outliers}, type = f32>")
        rows, cols = (n, k) if transposed else (k, n)
        idx = np.sort(rng.choice(rows * cols, size=outliers, replace=False))
        vals = rng.randint(-16, 17, size=outliers) / 8.0
        storage.append(f"outlier_indices({dense(idx, 'i32')})")
        storage.append(f"outlier_values({dense(vals, 'f32')})")
    if rank:
        attrs.append(f"lowrank = <rank = {rank}, type = {lr_type}>")
        rows, cols = (n, k) if transposed else (k, n)
        u = rng.randint(-4, 5, size=(rows, rank)) / 8.0
        v = rng.randint(-4, 5, size=(rank, cols)) / 8.0
        storage.append(f"u({dense(u, lr_type)})")
        storage.append(f"v({dense(v, lr_type)})")
    wshape = f"{n}x{k}" if transposed else f"{k}x{n}"
    enc = f"#{name}_e"
    text = "\n".join([
        f"// {comment}",
        f"{enc} = #qsl.encoding<{', '.join(attrs)}>",
        f"func.func @{name}(%x: tensor<{m}x{k}x{tin}>) -> tensor<{m}x{n}x{tout}> {{",
        "  %w = qsl.constant " + "\n         ".join(storage),
        f"       : tensor<{wshape}xf32, {enc}>",
        f"  %y = qsl.matmul %x, %w{' transpose_w' if transposed else ''} : "
        f"tensor<{m}x{k}x{tin}>, tensor<{wshape}xf32, {enc}> -> tensor<{m}x{n}x{tout}>",
        f"  return %y : tensor<{m}x{n}x{tout}>",
        "}"])
    cases.append((name, m, k, n, tin, tout, text))


def main():
    case("int4_outl_lr_t", 20, 48, 40, True, 4, 16, False, outliers=9, rank=4,
         comment="mma.sync GEMM + outliers (CSC per column) + rank 4, [N, K], "
         "batch 20.")
    case("int4_24_outl_lr", 33, 64, 24, False, 4, 16, True, sparse=True,
         outliers=5, rank=3,
         comment="mma.sp GEMM (2:4) + outliers + rank 3, [K, N], batch 33 (tile "
         "edges in M and N).")
    case("int8_lr_f16", 16, 32, 70, True, 8, 32, True, rank=8, tin="f16",
         tout="f16",
         comment="int8 + rank 8 (LQER-style), f16 activations and output.")

    case("int4_lr16_t", 24, 64, 40, True, 4, 16, False, rank=6, lr_type="f16",
         comment="f16 low-rank factors (read as f16 tables) with int4 on the "
         "mma.sync GEMM, batch 24.")
    case("int4_lr16_gemv", 3, 64, 40, False, 4, 32, True, outliers=4, rank=5,
         lr_type="f16",
         comment="The same at batch 3: the composed GEMV after the fused "
         "low-rank chain, which reads the f16 factors; [K, N].")

    case("cb3_outl_lr_gemv", 2, 48, 36, True, 3, 16, True, outliers=6, rank=3,
         codebook=8,
         comment="SqueezeLLM-style: 3-bit codebook codes (8 entries per group "
         "of 16) + outliers + rank 3 at batch 2: the composed GEMV decodes "
         "the codebook; [N, K].")
    case("cb4_24_gemv", 4, 64, 20, False, 4, 16, True, sparse=True,
         codebook=16,
         comment="4-bit codebook codes with 2:4 sparsity at batch 4 (composed "
         "GEMV, group of the dense position); [K, N].")
    case("cb4_lr_gemm", 24, 32, 40, True, 4, 16, True, rank=4, codebook=16,
         comment="4-bit codebook + rank 4 at batch 24: the mma.sync GEMM "
         "decodes the codebook and adds the low-rank term; [N, K].")
    case("cb3_24_outl_b20", 20, 80, 24, True, 3, 16, True, sparse=True,
         outliers=3, codebook=8,
         comment="3-bit codebook codes with 2:4 above max-batch (batch 20): "
         "the mma.sp GEMM decodes the codebook (K = 80: steps and groups "
         "padded) and adds 3 outliers; [N, K].")
    print_module([(name, (m, k), tin, (m, n), tout, text)
                  for name, m, k, n, tin, tout, text in cases],
                 "--ptx-only" in sys.argv, "gen_corrected.py")


if __name__ == "__main__":
    main()
