"""Writes the module of lowrank-vs-linalg.mlir: factorized weights
W = U.V (no main term). At batch <= max-batch they run as the fused
low-rank chain (qsl_lrchain) alone or followed by the GEMV that rounds or
extends its sum, with ranks large enough that the chain uses many blocks
and, with warps=1, several components per warp; above max-batch as two
mma.sync GEMMs on f16 factor tables. Factors are multiples of 1/8 (exact
in f16).

Usage: gen_lowrank.py"""
import numpy as np

from gen_common import dense, print_module, relu_after

rng = np.random.RandomState(5)
cases = []


def case(name, m, k, n, rank, transposed, lr_type="f32", t="f32",
         relu=False, comment=""):
    rows, cols = (n, k) if transposed else (k, n)
    u = rng.randint(-4, 5, size=(rows, rank)) / 8.0
    v = rng.randint(-4, 5, size=(rank, cols)) / 8.0
    wshape = f"{rows}x{cols}"
    yt = f"tensor<{m}x{n}x{t}>"
    body = [f"// {comment}",
            f"#{name}_e = #qsl.encoding<lowrank = <rank = {rank}, type = {lr_type}>>",
            f"func.func @{name}(%x: tensor<{m}x{k}x{t}>) -> {yt} {{",
            f"  %w = qsl.constant u({dense(u, lr_type)})",
            f"         v({dense(v, lr_type)}) : tensor<{wshape}xf32, #{name}_e>",
            f"  %y = qsl.matmul %x, %w{' transpose_w' if transposed else ''} : "
            f"tensor<{m}x{k}x{t}>, tensor<{wshape}xf32, #{name}_e> -> {yt}"]
    ret = "%y"
    if relu:
        lines, ret = relu_after("%y", yt, t)
        body += lines
    body += [f"  return {ret} : {yt}", "}"]
    cases.append((name, (m, k), t, (m, n), t, "\n".join(body)))


case("lr200_t", 5, 256, 264, 200, True,
     comment="Rank 200, [N, K], batch 5, f32, nothing fused: the chain "
     "alone (50 blocks of 4 warps; with warps=1, 100 blocks of one warp "
     "taking 2 components each).")
case("lr130_f16", 3, 192, 150, 130, False, lr_type="f16", t="f16",
     comment="Rank 130, [K, N], f16 factors, activations and result: the "
     "chain, then the GEMV that rounds its sum to f16.")
case("lr64_relu", 8, 96, 70, 64, True, relu=True,
     comment="Rank 64, batch 8, a fused ReLU: the chain, then the GEMV "
     "that applies it.")

case("lr24_b20_t", 20, 64, 72, 24, True,
     comment="Above max-batch: rank 24, batch 20, [N, K], f32 factors (exact "
     "in f16): t = x A_in^T and y = t B_out^T on the mma.sync GEMM.")
case("lr40_b33_f16_relu", 33, 80, 50, 40, False, lr_type="f16", t="f16",
     relu=True,
     comment="Above max-batch: rank 40, batch 33 (a partial row tile), "
     "[K, N], f16 factors and I/O, a fused ReLU on the second GEMM.")

print_module(cases, False, "gen_lowrank.py")
