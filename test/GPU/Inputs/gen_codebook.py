"""Writes the MLIR module of codebook-vs-linalg.mlir: non-uniform
(codebook) quantized weights, w = codebook[group][q], on the GEMV (batch up
to max-batch) and the mma.sync GEMM (above). Each case is a function;
@main calls them on activations ((5i + 3j) % 17 - 8) / 8 and prints the
results. Codebook entries are sorted multiples of 1/16 (exact in f16), from
a fixed seed.

Usage: gen_codebook.py [--ptx-only]  (the kernels alone, no @main)."""
import sys

import numpy as np

from gen_common import lit, print_module

rng = np.random.RandomState(7)



cases = []


def case(name, m, k, n, transposed, bits, entries, group, scale="f32",
         tin="f32", tout="f32", comment=""):
    groups = k // group if group else 1
    codes = rng.randint(0, entries, size=(n, k))
    gshape = (n, groups) if transposed else (groups, n)
    books = np.sort(rng.randint(-24, 25, size=gshape + (entries,)) / 16.0,
                    axis=-1)
    storage_codes = codes if transposed else codes.T
    axis = 1 if transposed else 0
    enc = (f"quant = <bits = {bits}, axis = {axis}, group = {group}, "
           f"scale = {scale}, codebook = {entries}>")
    wshape = f"{n}x{k}" if transposed else f"{k}x{n}"
    cshape = "x".join(map(str, storage_codes.shape))
    bshape = "x".join(map(str, books.shape))
    # Codes are unsigned but i<bits> prints signed: write them as such.
    signed = np.where(storage_codes >= 2 ** (bits - 1),
                      storage_codes - 2 ** bits, storage_codes)
    text = "\n".join([
        f"// {comment}",
        f"#{name}_e = #qsl.encoding<{enc}>",
        f"func.func @{name}(%x: tensor<{m}x{k}x{tin}>) -> tensor<{m}x{n}x{tout}> {{",
        f"  %w = qsl.constant values(dense<{lit(signed)}> : tensor<{cshape}xi{bits}>)",
        f"         codebook(dense<{lit(books)}> : tensor<{bshape}x{scale}>)",
        f"       : tensor<{wshape}xf32, #{name}_e>",
        f"  %y = qsl.matmul %x, %w{' transpose_w' if transposed else ''} : "
        f"tensor<{m}x{k}x{tin}>, tensor<{wshape}xf32, #{name}_e> -> "
        f"tensor<{m}x{n}x{tout}>",
        f"  return %y : tensor<{m}x{n}x{tout}>",
        "}"])
    cases.append((name, m, k, n, tin, tout, text))


case("cb3_gemv_t", 2, 48, 20, True, 3, 8, 16, scale="f16",
     comment="GEMV, 3-bit codes (10 per word), 8 f16 entries per group of "
     "16, [N, K].")
case("cb4_gemm", 33, 40, 70, False, 4, 16, 8,
     comment="mma.sync GEMM with every tile edge, 4-bit, 16 entries per "
     "group of 8, [K, N].")
case("cb2_gemm_f16", 16, 64, 32, True, 2, 4, 0, tin="f16", tout="f16",
     comment="mma.sync GEMM, 2-bit, one codebook of 4 per output column, f16 "
     "activations and output.")

print_module([(name, (m, k), tin, (m, n), tout, text)
              for name, m, k, n, tin, tout, text in cases],
             "--ptx-only" in sys.argv, "gen_codebook.py")
