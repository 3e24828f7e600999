"""Writes the MLIR module of conv-vs-linalg.mlir: qsl.conv2d on encoded
filters, which qsl-lower-to-gpu runs as implicit GEMMs on the tensor-core
kernels (mma.sync for quantized filters, mma.sp for 2:4). Each case is a
function; @main calls them on inputs ((5i + 3j + 7k + l) % 17 - 8) / 8 and
prints the results.

Data come from a fixed seed and are exact in f16 (scales powers of two,
small integer codes, float weights multiples of 1/8), so the tensor cores'
f16 operands equal the reference's values.

Usage: gen_conv.py [--ptx-only]  (the kernels alone, no @main)."""
import sys

import numpy as np

from gen_common import lit, print_module

rng = np.random.RandomState(2)



cases = []


def case(name, x, o, k, strides, dil, pads, quant=None, sparse=False,
         bias_relu=False, cgroups=1, outliers=0, rank=0, lr_type="f32",
         main=True, density=0.0, block=None, t="f32", comment=""):
    """x: (N, C, H, W); filter (o, C/cgroups, k, k); quant: (bits, group,
    sym); outliers and a rank-`rank` term over the filter's matrix view
    [o, C/cgroups * k * k]; main=False: no main term (the filter is only
    its correction terms); density: an unstructured (or, with block =
    (rows, cols), block) sparse main term keeping that share of the matrix
    view's entries (blocks), float values; t: the activations' and
    result's element type."""
    n, c, h, w = x
    kk = c // cgroups * k * k
    oh = (h + pads[0] + pads[2] - dil[0] * (k - 1) - 1) // strides[0] + 1
    ow = (w + pads[1] + pads[3] - dil[1] * (k - 1) - 1) // strides[1] + 1
    attrs, storage = [], []
    cols = kk // 2 if sparse else kk
    if quant:
        bits, group, sym = quant
        lo, hi = ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if sym
                  else (0, (1 << bits) - 1))
        codes = rng.randint(lo, hi + 1, size=(o, cols))
        groups = kk // group if group else 1
        scales = 2.0 ** rng.randint(-5, -1, size=(o, groups))
        attrs.append(f"quant = <bits = {bits}, axis = 1, group = {group}, "
                     "scale = f32" + ("" if sym else ", zero = i8") + ">")
        # Storage is on the filter's matrix view [O, C*kh*kw].
        storage.append(f"values(dense<{lit(codes)}> : tensor<{o}x{cols}xi{bits}>)")
        storage.append(f"scales(dense<{lit(scales)}> : tensor<{o}x{groups}xf32>)")
        if not sym:
            zeros = rng.randint(0, 1 << bits, size=(o, groups))
            storage.append(f"zeros(dense<{lit(zeros)}> : tensor<{o}x{groups}xi8>)")
        wtype = "f32"
    elif not main:
        wtype = "f32"
    elif density:
        br, bc = block or (1, 1)
        mask = rng.rand(o // br, kk // bc) < density
        kept = int(mask.sum())
        vals = rng.randint(-16, 17, size=(kept * br * bc,)) / 8.0
        form = f"block = {br}x{bc}" if block else "unstructured"
        attrs.append(f"sparse = <{form}, nnz = {kept}>")
        mtext = lit(mask.astype(int)).replace("1", "true").replace("0", "false")
        vshape = f"{kept}x{br}x{bc}" if block else f"{kept}"
        vals = vals.reshape(kept, br, bc) if block else vals
        storage.append(f"values(dense<{lit(vals)}> : tensor<{vshape}xf32>)")
        storage.append(f"mask(dense<{mtext}> : tensor<{o // br}x{kk // bc}xi1>)")
        wtype = "f32"
    else:
        vals = rng.randint(-8, 9, size=(o, cols)) / 8.0
        storage.append(f"values(dense<{lit(vals)}> : tensor<{o}x{cols}xf16>)")
        wtype = "f16"
    if sparse:
        attrs.append("sparse = <2:4, axis = 1>")
        pos = np.zeros((o, cols), dtype=np.int64)
        for r in range(o):
            for g in range(kk // 4):
                pos[r, 2 * g:2 * g + 2] = rng.choice(4, 2, replace=False)
        storage.append(f"meta(dense<{lit(pos)}> : tensor<{o}x{cols}xi2>)")
    if outliers:
        idx = np.sort(rng.choice(o * kk, size=outliers, replace=False))
        ovals = rng.randint(-16, 17, size=outliers) / 8.0
        attrs.append(f"outliers = <count = {outliers}, type = f32>")
        storage.append(f"outlier_indices(dense<{lit(idx)}> : "
                       f"tensor<{outliers}xi32>)")
        storage.append(f"outlier_values(dense<{lit(ovals)}> : "
                       f"tensor<{outliers}xf32>)")
    if rank:
        u = rng.randint(-8, 9, size=(o, rank)) / 8.0
        v = rng.randint(-8, 9, size=(rank, kk)) / 8.0
        attrs.append(f"lowrank = <rank = {rank}, type = {lr_type}>")
        storage.append(f"u(dense<{lit(u)}> : tensor<{o}x{rank}x{lr_type}>)")
        storage.append(f"v(dense<{lit(v)}> : tensor<{rank}x{kk}x{lr_type}>)")
    ftype = f"tensor<{o}x{c // cgroups}x{k}x{k}x{wtype}, #{name}_e>"
    xt = f"tensor<{n}x{c}x{h}x{w}x{t}>"
    yt = f"tensor<{n}x{o}x{oh}x{ow}x{t}>"
    body = ["  %w = qsl.constant " + "\n         ".join(storage) + f" : {ftype}",
            f"  %y = qsl.conv2d %x, %w {{strides = array<i64: {strides[0]}, "
            f"{strides[1]}>, dilations = array<i64: {dil[0]}, {dil[1]}>, "
            f"pads = array<i64: {', '.join(map(str, pads))}>, "
            f"groups = {cgroups} : i64}} : {xt}, "
            f"{ftype} -> {yt}"]
    ret = "%y"
    if bias_relu:
        bias = rng.randint(-8, 9, size=o) / 8.0
        body += [f"  %b = arith.constant dense<{lit(bias)}> : tensor<{o}xf32>",
                 f"  %e = tensor.empty() : {yt}",
                 "  %yb = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, "
                 "affine_map<(a, b, c, d) -> (b)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], "
                 "iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"parallel\"]} "
                 f"ins(%y, %b : {yt}, tensor<{o}xf32>) outs(%e : {yt}) {{",
                 "  ^bb0(%v: f32, %bv: f32, %out: f32):",
                 "    %s = arith.addf %v, %bv : f32",
                 "    linalg.yield %s : f32",
                 f"  }} -> {yt}",
                 "  %yr = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, "
                 "affine_map<(a, b, c, d) -> (a, b, c, d)>], "
                 "iterator_types = [\"parallel\", \"parallel\", \"parallel\", \"parallel\"]} "
                 f"ins(%yb : {yt}) outs(%e : {yt}) {{",
                 "  ^bb0(%v: f32, %out: f32):",
                 "    %z = arith.constant 0.0 : f32",
                 "    %r = arith.maximumf %v, %z : f32",
                 "    linalg.yield %r : f32",
                 f"  }} -> {yt}"]
        ret = "%yr"
    text = "\n".join([f"// {comment}",
                      f"#{name}_e = #qsl.encoding<{', '.join(attrs)}>",
                      f"func.func @{name}(%x: {xt}) -> {yt} {{"] + body +
                     [f"  return {ret} : {yt}", "}"])
    cases.append((name, x, (n, o, oh, ow), t, text))


def main():
    case("int4_s2_p1", (2, 3, 9, 9), 8, 3, (2, 2), (1, 1), (1, 1, 1, 1),
         quant=(4, 9, False),
         comment="int4 asymmetric, group 9; stride 2, padding 1 on every side "
         "(M = 50, K = 27, N = 8: every edge of the GEMM tile).")
    case("f16_24_dil", (1, 4, 8, 7), 20, 3, (1, 1), (2, 2), (2, 1, 0, 3),
         sparse=True,
         comment="Float 2:4 filter on mma.sp; dilation 2, uneven padding "
         "(top 2, left 1, bottom 0, right 3).")
    case("int8_1x1_bias_relu", (1, 16, 6, 6), 32, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), quant=(8, 0, True), bias_relu=True,
         comment="1x1 convolution, int8 per channel, with a bias along the "
         "channels and ReLU fused into the kernel.")
    case("int4_24", (2, 8, 5, 5), 24, 3, (1, 1), (1, 1), (1, 1, 1, 1),
         quant=(4, 8, True), sparse=True,
         comment="int4 symmetric group 8 with 2:4 on mma.sp; 'same' padding.")

    case("depthwise_s2", (1, 6, 9, 9), 6, 3, (2, 2), (1, 1), (1, 1, 1, 1),
         quant=(8, 0, True), bias_relu=True, cgroups=6,
         comment="Depthwise 3x3, stride 2, padding 1, int8 per channel, bias and "
         "ReLU fused: the CUDA-core grouped kernel.")
    case("grouped2", (2, 8, 7, 7), 6, 3, (1, 2), (1, 1), (1, 0, 2, 1),
         quant=(4, 12, False), cgroups=2,
         comment="Two groups of 4 channels, int4 asymmetric group 12, uneven "
         "padding, strides (1, 2).")
    # Correction terms added to the kernels' stores: outliers gathered
    # through the implicit im2col, low rank from t = x . A_in^T (itself an
    # implicit GEMM, stored [images, rank, OH*OW]).
    case("int4_outl_lr_s2", (2, 4, 7, 7), 12, 3, (2, 2), (1, 1), (1, 1, 1, 1),
         quant=(4, 12, False), outliers=5, rank=2,
         comment="int4 group 12 (the [N, W] GEMM) with 5 outliers and rank 2; "
         "stride 2, padding 1 (outliers in the padding read zero).")
    case("int8_1x1_corr_relu", (1, 16, 5, 5), 20, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), quant=(8, 16, True), outliers=4, rank=3,
         lr_type="f16", bias_relu=True,
         comment="1x1, int8 group 16 (the packed GEMM) with 4 outliers, rank "
         "3 (f16 factors), bias and ReLU after them.")
    case("int4_24_corr", (1, 8, 6, 6), 16, 3, (1, 1), (1, 1), (1, 1, 1, 1),
         quant=(4, 8, True), sparse=True, outliers=6, rank=2,
         comment="int4 2:4 on mma.sp with 6 outliers and rank 2; 'same' "
         "padding.")
    # Low rank alone: t = x . A_in^T (implicit GEMM), then the 1x1
    # convolution of t with B_out (the epilogue on the second).
    case("lowrank_only_s2", (2, 5, 9, 8), 12, 3, (2, 1), (1, 2), (0, 2, 1, 1),
         rank=3, main=False, bias_relu=True,
         comment="A rank-3 filter alone (f32 factors): strides (2, 1), "
         "dilation (1, 2), uneven padding, bias and ReLU.")
    case("lowrank_only_f16_1x1", (1, 24, 5, 5), 40, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), rank=5, lr_type="f16", main=False,
         comment="A rank-5 1x1 filter alone, f16 factors.")
    # Scattered entries on the CSC kernel: a zero main term per output
    # element, the entries added as outliers through the implicit im2col.
    case("unstructured_s2", (2, 3, 8, 9), 10, 3, (2, 2), (1, 1), (1, 1, 1, 1),
         density=0.3, outliers=3, rank=2, bias_relu=True,
         comment="Unstructured 30% with 3 outliers and rank 2, stride 2, "
         "padding 1 (entries in the padding read zero), bias and ReLU.")
    case("block_dil", (1, 4, 7, 7), 8, 3, (1, 1), (2, 2), (2, 2, 2, 2),
         density=0.5, block=(2, 4),
         comment="2x4 blocks, half kept, dilation 2 with padding 2.")
    case("outliers_only", (1, 6, 5, 5), 7, 3, (1, 1), (1, 1), (0, 1, 2, 0),
         outliers=9, main=False,
         comment="Nine outliers and nothing else, uneven padding.")
    # Grouped convolutions: outliers and scattered entries read their
    # group's channels.
    case("depthwise_outl", (2, 6, 7, 7), 6, 3, (2, 2), (1, 1), (1, 1, 1, 1),
         quant=(8, 0, True), cgroups=6, outliers=7, bias_relu=True,
         comment="Depthwise int8 per channel (the CUDA-core grouped kernel) "
         "with 7 outliers, bias and ReLU after them.")
    case("grouped3_unstructured", (1, 9, 6, 6), 6, 3, (1, 1), (1, 1),
         (1, 1, 1, 1), cgroups=3, density=0.4, outliers=4,
         comment="Three groups, unstructured 40% with 4 outliers on the CSC "
         "kernel.")
    # 1x1 convolutions over several row blocks: the image staged K-major in
    # shared memory (channel planes in 16-byte granules of pixels; f16 read
    # by ldmatrix.trans, f32 element by element), channels ending inside a
    # chunk.
    case("int4_1x1_staged", (2, 48, 8, 8), 40, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), quant=(4, 16, False),
         comment="1x1, int4 group 16, f32 image staged: 128 pixels in two "
         "row blocks, 48 channels (a chunk and a half).")
    case("int8_1x1_f16_staged", (1, 32, 9, 8), 20, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), quant=(8, 0, True), t="f16",
         comment="1x1, int8 per channel, f16 image staged (ldmatrix.trans): "
         "72 pixels, 32 channels.")
    case("f16_24_1x1_staged", (3, 40, 5, 8), 24, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), sparse=True, t="f16",
         comment="1x1, float 2:4 on the packed 2:4 GEMM, f16 image staged "
         "(ldmatrix.trans as mma.sp's B): 120 pixels over three images.")
    case("f32_24_1x1_staged", (2, 16, 6, 6), 16, 1, (1, 1), (1, 1),
         (0, 0, 0, 0), sparse=True,
         comment="1x1, float 2:4, f32 image staged: 72 pixels.")
    # Other convolutions over several row blocks with f32 images and two
    # warps or more: the implicit im2col tile gathered into shared memory
    # one element per cp.async, zero-filled in the padding.
    case("int4_3x3_gather", (2, 16, 10, 9), 72, 3, (1, 1), (1, 1),
         (1, 1, 1, 1), quant=(4, 16, False),
         comment="3x3 'same', int4 group 16, f32 image gathered: 180 "
         "pixels in three row blocks.")
    case("int8_s2_dil_gather", (1, 16, 17, 15), 40, 3, (2, 1), (2, 2),
         (2, 1, 0, 3), quant=(8, 48, True), bias_relu=True,
         comment="3x3, strides (2, 1), dilation 2, uneven padding, int8 "
         "group 48, bias and ReLU, f32 image gathered: 120 pixels.")
    case("f32_24_5x5_gather", (2, 4, 9, 9), 40, 5, (1, 1), (1, 1),
         (2, 2, 2, 2), sparse=True,
         comment="5x5, float 2:4, f32 image gathered as mma.sp's B: 162 "
         "pixels, K = 100 (the last chunk partial).")
    print_module([(name, x, t, y, t, text) for name, x, y, t, text in cases],
                 "--ptx-only" in sys.argv, "gen_conv.py")


if __name__ == "__main__":
    main()
