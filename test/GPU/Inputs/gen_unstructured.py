"""Writes the module of unstructured-vs-linalg.mlir: weights kept as
scattered entries (unstructured or block sparsity with a keep mask, outliers
without a main term, or both), which run on the CSC kernel (qsl_csc) at any
batch.
Values are multiples of 1/8 (exact in f16), from a fixed seed; one case has
empty columns.

Usage: gen_unstructured.py"""
import numpy as np

from gen_common import dense, print_module, relu_after

rng = np.random.RandomState(9)
cases = []


def quant_values(count, n, k, quant):
    """Codes for `count` kept values and the quant facet's attribute and
    storage, [N, K] view (axis = 1): quant = (bits, group, sym) or
    (bits, group, "codebook", entries)."""
    bits, group = quant[0], quant[1]
    groups = k // group
    if quant[2] == "codebook":
        entries = quant[3]
        codes = rng.randint(0, entries, size=count)
        books = np.sort(rng.randint(-24, 25, size=(n, groups, entries)) / 16.0,
                        axis=-1)
        signed = np.where(codes >= 2 ** (bits - 1), codes - 2 ** bits, codes)
        return (f"quant = <bits = {bits}, axis = 1, group = {group}, scale = f32, "
                f"codebook = {entries}>",
                [f"values({dense(signed, f'i{bits}')})",
                 f"codebook({dense(books, 'f32')})"])
    sym = quant[2]
    lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sym
              else (0, (1 << bits) - 1))
    codes = rng.randint(lo, hi + 1, size=count)
    scales = 2.0 ** rng.randint(-5, -1, size=(n, groups))
    storage = [f"values({dense(codes, f'i{bits}')})",
               f"scales({dense(scales, 'f32')})"]
    if not sym:
        storage.append(f"zeros({dense(rng.randint(0, 1 << bits, size=(n, groups)), 'i8')})")
    return (f"quant = <bits = {bits}, axis = 1, group = {group}, scale = f32"
            + ("" if sym else ", zero = i8") + ">", storage)


def case(name, m, k, n, transposed, density=0.0, outliers=0, t="f32",
         empty_cols=(), bias_relu=False, block=None, quant=None, rank=0,
         lr_type="f32", comment=""):
    rows, cols = (n, k) if transposed else (k, n)
    attrs, storage = [], []
    if block:
        br, bc = block
        mask = rng.rand(rows // br, cols // bc) < density
        vals = rng.randint(-16, 17, size=(int(mask.sum()), br, bc)) / 8.0
        attrs.append(f"sparse = <block = {br}x{bc}, nnz = {int(mask.sum())}>")
        storage += [f"values({dense(vals, 'f32')})",
                    f"mask({dense(mask, 'i1').replace('True', 'true').replace('False', 'false')})"]
    elif density:
        mask = rng.rand(rows, cols) < density
        for c in empty_cols:  # output column c keeps nothing
            if transposed:
                mask[c, :] = False
            else:
                mask[:, c] = False
        vals = rng.randint(-16, 17, size=int(mask.sum())) / 8.0
        side = [f"values({dense(vals, 'f32')})"]
        if quant:  # codes for the kept values (transposed weights only)
            qattr, side = quant_values(int(mask.sum()), n, k, quant)
            attrs.append(qattr)
        attrs.append(f"sparse = <unstructured, nnz = {int(mask.sum())}>")
        storage += side + [
                    f"mask({dense(mask, 'i1').replace('True', 'true').replace('False', 'false')})"]
    if outliers:
        idx = np.sort(rng.choice(rows * cols, size=outliers, replace=False))
        ovals = rng.randint(-16, 17, size=outliers) / 8.0
        attrs.append(f"outliers = <count = {outliers}, type = f32>")
        storage += [f"outlier_indices({dense(idx, 'i32')})",
                    f"outlier_values({dense(ovals, 'f32')})"]
    if rank:  # U [rows, r] . V [r, cols] of the matrix view, exact in f16
        u = rng.randint(-8, 9, size=(rows, rank)) / 8.0
        v = rng.randint(-8, 9, size=(rank, cols)) / 8.0
        attrs.append(f"lowrank = <rank = {rank}, type = {lr_type}>")
        storage += [f"u({dense(u, lr_type)})", f"v({dense(v, lr_type)})"]
    wshape = f"{rows}x{cols}"
    yt = f"tensor<{m}x{n}x{t}>"
    body = [f"// {comment}",
            f"#{name}_e = #qsl.encoding<{', '.join(attrs)}>",
            f"func.func @{name}(%x: tensor<{m}x{k}x{t}>) -> {yt} {{",
            "  %w = qsl.constant " + "\n         ".join(storage) +
            f" : tensor<{wshape}xf32, #{name}_e>",
            f"  %y = qsl.matmul %x, %w{' transpose_w' if transposed else ''} : "
            f"tensor<{m}x{k}x{t}>, tensor<{wshape}xf32, #{name}_e> -> {yt}"]
    ret = "%y"
    if bias_relu:
        lines, ret = relu_after("%y", yt, t, rng.randint(-8, 9, size=n) / 8.0)
        body += lines
    body += [f"  return {ret} : {yt}", "}"]
    cases.append((name, (m, k), t, (m, n), t, "\n".join(body)))


case("unstr40_t", 3, 40, 24, True, density=0.4, empty_cols=(5, 17),
     comment="40% kept, [N, K], batch 3; output columns 5 and 17 keep "
     "nothing.")
case("unstr_outl_f16", 20, 64, 36, False, density=0.15, outliers=7, t="f16",
     comment="15% kept plus 7 outliers in one CSC table, [K, N], batch 20, "
     "f16 activations and output.")
case("outl_batch12_relu", 12, 48, 30, False, outliers=25, bias_relu=True,
     comment="Outliers alone above max-batch (batch 12), with a bias and "
     "ReLU fused into the kernel's store.")

case("block4x2_b10", 10, 32, 24, True, density=0.3, block=(4, 2),
     comment="Block sparsity, 4 x 2 blocks of the [N, K] view, 30% kept, "
     "batch 10: the blocks expand to CSC entries.")

case("int4_unstr_b5", 5, 64, 20, True, density=0.3, quant=(4, 16, False),
     comment="int4 asymmetric group 16 codes for 30% kept, batch 5: the CSC "
     "values are dequantized at compile time with their K position's group.")
case("cb3_unstr_b12", 12, 48, 28, True, density=0.5,
     quant=(3, 16, "codebook", 8),
     comment="3-bit codebook codes (8 entries per group of 16) for 50% kept, "
     "batch 12.")

# With a low-rank facet: t = x . A_in^T on the tensor cores, t . B_out
# added to the CSC kernel's stores.
case("unstr_lr_b4", 4, 48, 26, True, density=0.3, rank=3,
     comment="30% kept plus rank 3 (f32 factors), [N, K], batch 4.")
case("outl_lr_b16", 16, 40, 33, False, outliers=9, rank=2, lr_type="f16",
     comment="Outliers and rank 2 (f16 factors) without a main term above "
     "max-batch (batch 16), [K, N].")
case("block_lr_relu", 10, 32, 24, True, density=0.4, block=(2, 4), rank=4,
     bias_relu=True,
     comment="Block sparsity 2 x 4 plus rank 4, batch 10, bias and ReLU "
     "fused after the low-rank term.")

print_module(cases, False, "gen_unstructured.py")
