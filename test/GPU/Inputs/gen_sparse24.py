"""Writes the MLIR module of sparse24-vs-linalg.mlir: 2:4 weights (along K)
whose batch exceeds max-batch, so that qsl-lower-to-gpu takes them to the
sparse tensor-core GEMMs (the packed 2:4 GEMM where it decodes the codes,
else the one on [N, W] code words), and float ones at batch 1 to 100,
which take the packed 2:4 GEMM (f16 pairs in fragment order). Each case is a
function; @main calls them on
activations (5i + 3j) % 17 - 8, scaled by 1/8, and prints the results.

Data are drawn from a fixed seed and chosen exact in f16 (scales powers of
two, codes small integers, float weights multiples of 1/8), so that the
f16 operands of mma.sp equal the reference's f32 values. Kept positions
are written in random order inside each run of 4, as the format allows,
so the kernel's compile-time reordering is exercised.

Usage: gen_sparse24.py [--ptx-only]  (only the kernels, no @main: the
lit PTX test reads the functions alone)."""
import sys

import numpy as np

from gen_common import dense, print_module

rng = np.random.RandomState(24)


def positions(rows, runs):
    """[rows, runs * 2] kept positions, two distinct per run, shuffled."""
    out = np.zeros((rows, runs * 2), dtype=np.int64)
    for r in range(rows):
        for g in range(runs):
            p = rng.choice(4, size=2, replace=False)  # random order
            out[r, 2 * g:2 * g + 2] = p
    return out


cases = []


def case(name, m, k, n, transposed, quant=None, tin="f32", tout="f32",
         comment=""):
    """quant: None (f16-exact float values) or (bits, group, symmetric)."""
    kept = k // 2
    pos = positions(n, k // 4)  # [n, kept]
    attrs = []
    storage = []
    if quant:
        bits, group, sym = quant
        lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sym else (
            0, (1 << bits) - 1)
        codes = rng.randint(lo, hi + 1, size=(n, kept))
        groups = k // group
        scales = 2.0 ** rng.randint(-4, 1, size=(n, groups))
        itype = f"i{bits}"
        qa = (f"quant = <bits = {bits}, axis = {1 if transposed else 0}, "
              f"group = {group}, scale = f32"
              + ("" if sym else ", zero = i8") + ">")
        attrs.append(qa)
        t = (lambda a: a) if transposed else (lambda a: a.T.copy())
        storage.append(f"values({dense(t(codes), itype)})")
        storage.append(f"scales({dense(t(scales), 'f32')})")
        if not sym:
            zeros = rng.randint(0, (1 << bits), size=(n, groups))
            storage.append(f"zeros({dense(t(zeros), 'i8')})")
    else:
        vals = rng.randint(-16, 17, size=(n, kept)) / 8.0
        t = (lambda a: a) if transposed else (lambda a: a.T.copy())
        storage.append(f"values({dense(t(vals), 'f16')})")
    attrs.append(f"sparse = <2:4, axis = {1 if transposed else 0}>")
    storage.append(f"meta({dense(t(pos), 'i2')})")
    # Float values are stored in the weight's own element type.
    wshape = (f"{n}x{k}" if transposed else f"{k}x{n}") + (
        "xf32" if quant else "xf16")
    enc = f"#{name}_e"
    text = [f"// {comment}" if comment else "",
            f"{enc} = #qsl.encoding<{', '.join(attrs)}>",
            f"func.func @{name}(%x: tensor<{m}x{k}x{tin}>) -> "
            f"tensor<{m}x{n}x{tout}> {{",
            "  %w = qsl.constant " + "\n         ".join(storage),
            f"       : tensor<{wshape}, {enc}>",
            f"  %y = qsl.matmul %x, %w{' transpose_w' if transposed else ''}"
            f" : tensor<{m}x{k}x{tin}>, tensor<{wshape}, {enc}> -> "
            f"tensor<{m}x{n}x{tout}>",
            f"  return %y : tensor<{m}x{n}x{tout}>",
            "}"]
    cases.append((name, m, k, n, tin, tout, "\n".join(t for t in text if t)))



def main():
    case("int4_asym", 33, 40, 20, False, (4, 8, False),
         comment="Every edge: M = 33 (32-row warp tiles), K = 40 (32-deep "
         "steps), N = 20 (64-column blocks); int4 asymmetric group 8, [K, N].")
    case("f16_t", 16, 64, 70, True, None, "f16", "f16",
         comment="Float 2:4 main term (f16 pairs), f16 activations and output, "
         "[N, K] weight.")
    case("int8_sym_t", 512, 96, 128, True, (8, 32, True),
         comment="Batch 512, int8 symmetric group 32, [N, K]; no guards in N.")
    case("int2_n1", 9, 32, 1, False, (2, 4, False),
         comment="N = 1 and batch 9 (just above max-batch); int2 asymmetric "
         "group 4.")
    case("int3_sym", 40, 128, 48, True, (3, 16, True),
         comment="3-bit codes (10 per word), four K steps, group 16.")
    case("f16_b1_kedge", 1, 200, 40, True, None, "f32", "f32",
         comment="Batch 1 on the packed 2:4 GEMM: K = 200 (the last step of "
         "32 partial), N = 40 (a partial 16-row tile), f32 activations.")
    case("f16_b8_chunks", 8, 1024, 16, False, None, "f16", "f16",
         comment="Batch 8, 32 steps of 32: several chunks per warp with warps "
         "splitting K; [K, N] weight.")
    case("f16_b5_n1", 5, 64, 1, True, None, "f32", "f32",
         comment="N = 1, batch 5.")
    case("f16_b100_staged", 100, 200, 80, True, None, "f16", "f16",
         comment="Batch 100, f16 activations: warps side by side (5 tiles over "
         "blocks of 4), activations staged in shared memory, K = 200 ending "
         "inside a step.")
    case("f16_b45_f32", 45, 64, 24, False, None, "f32", "f32",
         comment="Batch 45, f32 activations: warps side by side, activations "
         "staged as f32.")

    print_module([(name, (m, k), tin, (m, n), tout, text)
                  for name, m, k, n, tin, tout, text in cases],
                 "--ptx-only" in sys.argv, "gen_sparse24.py")


if __name__ == "__main__":
    main()
