"""The weight decoders of benchmarks/gpu/compare_cublas.py (which check the
kernels' outputs on the GPU machine) against the compiler's own tables,
without a GPU: each case is a random weight written here in the qsl
encoding, compiled by qsl-lower-to-gpu{device-weights=false}; the tables
are read back from the host globals, decoded by compare_cublas.reference
and multiplied with an activation, and the result must equal x · Wᵀ with W
formed here from the encoding's own definition (numpy, float64).

    check_bench_decoders.py QSL_OPT
"""
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "benchmarks", "gpu"))
import bench_plan  # noqa: E402
import compare_cublas  # noqa: E402

rng = np.random.default_rng(5)
NP = {"i32": np.int32, "f32": np.float32, "f16": np.float16}


def lit(a):
    return np.array2string(a, separator=",", threshold=1 << 30,
                           max_line_width=1 << 30).replace("\n", "")


def positions(n, runs):
    p = np.zeros((n, 2 * runs), dtype=np.int64)
    for r in range(n):
        for g in range(runs):
            p[r, 2 * g:2 * g + 2] = rng.choice(4, 2, replace=False)
    return p


def asym_quant(n, cols, k, bits, group):
    """Random asymmetric codes [n, cols] with [n, k / group] power-of-two
    scales and zero points: (codes, scales, zeros, encoding, storage)."""
    q = rng.integers(0, 2**bits, (n, cols))
    s = 2.0 ** rng.integers(-4, 0, (n, k // group))
    z = rng.integers(0, 2**bits, (n, k // group))
    enc = (f"quant = <bits = {bits}, axis = 1, group = {group}, scale = f32, "
           "zero = i8>")
    storage = (f"values(dense<{lit(q)}> : tensor<{n}x{cols}xi{bits}>) "
               f"scales(dense<{lit(s)}> : tensor<{n}x{k // group}xf32>) "
               f"zeros(dense<{lit(z)}> : tensor<{n}x{k // group}xi8>)")
    return q, s, z, enc, storage


def case(kind, m, n, k, bits=None, rank=None, group=16, lr_type="f32"):
    """MLIR of the case and its dense [n, k] weight."""
    x, y = f"tensor<{m}x{k}xf16>", f"tensor<{m}x{n}xf16>"
    kept = k // 2
    if kind == "quant_sym":  # symmetric codes, no zero points
        q = rng.integers(-2**(bits - 1), 2**(bits - 1), (n, k))
        s = 2.0 ** rng.integers(-4, 0, (n, k // group))
        enc = f"quant = <bits = {bits}, axis = 1, group = {group}, scale = f32>"
        storage = (f"values(dense<{lit(q)}> : tensor<{n}x{k}xi{bits}>) "
                   f"scales(dense<{lit(s)}> : tensor<{n}x{k // group}xf32>)")
        w = q * s[:, np.arange(k) // group]
        wt = f"tensor<{n}x{k}xf32, #e>"
    elif kind == "quant":
        q, s, z, enc, storage = asym_quant(n, k, k, bits, group)
        g = np.arange(k) // group
        w = (q - z[:, g]) * s[:, g]
        wt = f"tensor<{n}x{k}xf32, #e>"
    elif kind == "sparse":
        pos = positions(n, k // 4)
        dense_k = 4 * (np.arange(kept) // 2)[None, :] + pos
        w = np.zeros((n, k))
        meta = f"meta(dense<{lit(pos)}> : tensor<{n}x{kept}xi2>)"
        if bits:
            q, s, z, enc, storage = asym_quant(n, kept, k, bits, group)
            enc += ", sparse = <2:4, axis = 1>"
            storage += " " + meta
            g = dense_k // group
            rows = np.arange(n)[:, None]
            w[rows, dense_k] = (q - z[rows, g]) * s[rows, g]
            wt = f"tensor<{n}x{k}xf32, #e>"
        else:
            v = rng.integers(-16, 17, (n, kept)) / 8.0
            enc = "sparse = <2:4, axis = 1>"
            storage = f"values(dense<{lit(v)}> : tensor<{n}x{kept}xf16>) {meta}"
            w[np.arange(n)[:, None], dense_k] = v
            wt = f"tensor<{n}x{k}xf16, #e>"
    else:
        u = rng.integers(-8, 9, (n, rank)) / 8.0
        v = rng.integers(-8, 9, (rank, k)) / 8.0
        enc = f"lowrank = <rank = {rank}, type = {lr_type}>"
        storage = (f"u(dense<{lit(u)}> : tensor<{n}x{rank}x{lr_type}>) "
                   f"v(dense<{lit(v)}> : tensor<{rank}x{k}x{lr_type}>)")
        w = u @ v
        wt = f"tensor<{n}x{k}xf32, #e>"
    text = f"""#e = #qsl.encoding<{enc}>
func.func @bench(%x: {x}) -> {y} {{
  %w = qsl.constant {storage} : {wt}
  %y = qsl.matmul %x, %w transpose_w : {x}, {wt} -> {y}
  return %y : {y}
}}
"""
    return text, w


def tables(text):
    """Host globals (role -> array) of a device-weights=false module."""
    out = {}
    for mm in re.finditer(
            r'memref\.global "private" constant @qsl_gpu_(\w+?)_\d+ : '
            r'memref<([\dx]+)x(\w+)> = dense<"0x([0-9A-F]+)">', text):
        shape = [int(d) for d in mm.group(2).split("x")]
        out[mm.group(1)] = np.frombuffer(bytes.fromhex(mm.group(4)),
                                         dtype=NP[mm.group(3)]).reshape(shape)
    return out


def main():
    qsl_opt = sys.argv[1]
    cases = [("quant int4 (GEMV)", "quant", 2, 24, 64,
              {"bits": 4, "options": "mma-gemv=false"}),
             # above max-batch: the packed GEMM's fragment-ordered words
             ("packed int4", "quant", 24, 40, 96, {"bits": 4}),
             ("packed int3 g32", "quant", 17, 70, 64,
              {"bits": 3, "group": 32}),
             ("packed int8", "quant", 9, 33, 48, {"bits": 8}),
             ("packed int4 sym", "quant_sym", 12, 40, 64, {"bits": 4}),
             # f16 values on the packed 2:4 GEMM: batch 3 (warps
             # splitting K) and 40 (side by side)
             ("packed 2:4 f16", "sparse", 3, 20, 96, {}),
             ("packed 2:4 f16 b40", "sparse", 40, 20, 64, {}),
             # the packed 2:4 GEMM, batch 2 (mma-gemv) and 24, group 32
             ("packed 2:4 int4", "sparse", 2, 20, 128,
              {"bits": 4, "group": 32}),
             ("packed 2:4 int2 g64", "sparse", 24, 40, 256,
              {"bits": 2, "group": 64}),
             ("composed int4 2:4", "sparse", 2, 20, 64, {"bits": 4}),
             ("low rank", "lowrank", 2, 24, 64, {"rank": 4}),
             ("low rank f16", "lowrank", 2, 24, 64,
              {"rank": 4, "lr_type": "f16"})]
    failed = 0
    for label, kind, m, n, k, extra in cases:
        options = extra.pop("options", "")
        text, w = case(kind, m, n, k, **extra)
        with tempfile.NamedTemporaryFile("w", suffix=".mlir") as f:
            f.write(text)
            f.flush()
            res = subprocess.run(
                [qsl_opt, f.name,
                 "--qsl-lower-to-gpu=device-weights=false " + options,
                 "--mlir-print-elementsattrs-with-hex-if-larger=0"],
                capture_output=True, text=True, check=True)
        launches, buffers = bench_plan.parse_host(res.stdout)
        globals_ = tables(res.stdout)
        x = rng.uniform(-1, 1, (m, k)).astype(np.float16)
        host = {}
        for name, buf in buffers.items():
            if buf["role"] == "input":
                host[name] = x
            elif buf["role"] == "scratch":
                host[name] = np.zeros(buf["shape"])
            else:
                host[name] = globals_[buf["role"]]
        plan_case = {"kind": kind.replace("_sym", ""), "m": m, "n": n, "k": k,
                     "bits": extra.get("bits"),
                     "group": extra.get("group", 16), "buffers": buffers}
        cols = np.arange(n)
        got = compare_cublas.reference(plan_case, host, cols)
        want = x.astype(np.float64) @ w.T
        err = np.max(np.abs(got - want)) / max(np.max(np.abs(want)), 1e-30)
        ok = err < 1e-6
        failed += not ok
        print(f"{label}: {[l.get('kernel', 'zero') for l in launches]}, max rel err "
              f"{err:.1e}: {'ok' if ok else 'MISMATCH'}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
