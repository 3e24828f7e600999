"""Builds the kernels of the issue's speed table and a plan that a GPU
machine without LLVM/MLIR can time them from (benchmarks/gpu/compare_cublas.py
runs it next to cuBLAS fp16 through PyTorch).

    bench_plan.py BUILD_DIR OUT_DIR [--only NAME,...] [--small]

For every case it writes a qsl.matmul with the case's encoding (f16
activations and output, weights as [N, K] with transpose_w), compiles it
with qsl-gpu-pipeline{format=bin device-weights=false} so that every weight
table is a kernel argument, writes the cubin, and reads from the host code
that the same compile leaves (gpu.alloc / gpu.memcpy / gpu.memset /
gpu.launch_func) the steps in order: each launch with its kernel, grid,
block, and per argument its memref shape, element type and role (the weight
table it is filled from, the input, or a scratch buffer), and each zero fill
({"zero": buffer}). plan.json lists the cases with their cuBLAS peer and the
issue's target. The table contents do not matter for speed and are drawn on
the GPU machine (compare_cublas.py), so the compile uses constant weights,
except N:M metadata, which must be a valid 2:4 pattern to compile.

--small shrinks every shape (for the lit test that checks the plan without
a GPU).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# name, kind, m, n, k, extra, target ratio vs cuBLAS fp16 (and what it is).
# extra["options"] are added to the qsl-gpu-pipeline options. Batch 1 runs
# on the packed tensor-core GEMM by default (mma-gemv); the *_simt row times
# the CUDA-core GEMV on the same weight, so one GPU run says which is faster
# (likewise for 2:4 + int4: the packed mma.sp GEMM and the composed GEMV),
# the *_pf2 row whether four chunks in flight per warp beat two, and the
# *_nostage rows what staging activations in shared memory gives (batch 512,
# and the 2:4 GEMM at 8192^3), the *_wgmma row what sm_90a's warpgroup MMA
# gives over mma.sync (extra["chip"] overrides --chip for one row;
# extra["small_m"] keeps --small's batch above one row block, where the
# kernel applies).
CASES = [
    ("gemv_int4_g128_8192x8192", "quant", 1, 8192, 8192, {"bits": 4},
     3.5, "int4 g128 GEMV, batch 1: >= 3.5x cuBLAS fp16, >= 85% of copy bandwidth"),
    ("gemv_int4_g128_8192x8192_simt", "quant", 1, 8192, 8192,
     {"bits": 4, "options": "mma-gemv=false"},
     3.5, "the same on the CUDA-core GEMV (mma-gemv=false)"),
    ("gemv_int4_g128_8192x8192_pf2", "quant", 1, 8192, 8192,
     {"bits": 4, "options": "mma-prefetch=2"},
     3.5, "the same with two chunks in flight per warp, not four (mma-prefetch=2)"),
    ("gemv_int4_g128_n14336_k4096", "quant", 1, 14336, 4096, {"bits": 4},
     3.5, "int4 g128 GEMV, batch 1, 4096 -> 14336: >= 3.5x"),
    ("gemv_int4_g128_n4096_k14336", "quant", 1, 4096, 14336, {"bits": 4},
     3.5, "int4 g128 GEMV, batch 1, 14336 -> 4096: >= 3.5x"),
    ("gemm_int4_g128_b16", "quant", 16, 8192, 8192, {"bits": 4},
     3.0, "int4 GEMM batch 16 (mma.sync): >= 3x"),
    ("gemm_int4_g128_b512", "quant", 512, 8192, 8192, {"bits": 4},
     0.9, "int4 GEMM batch 512 (mma.sync): >= 0.9x"),
    ("gemm_int4_g128_b512_wgmma", "quant", 512, 8192, 8192,
     {"bits": 4, "chip": "sm_90a", "small_m": 130},
     0.9, "the same on the warpgroup MMA (chip=sm_90a: wgmma, weights as A "
     "from registers, activations staged as core matrices)"),
    ("gemm_int4_g128_b512_nostage", "quant", 512, 8192, 8192,
     {"bits": 4, "options": "mma-a-stages=0"},
     0.9, "the same with A fragments from global memory, not staged in "
     "shared memory (mma-a-stages=0)"),
    ("sp24_f16_8192cubed", "sparse", 8192, 8192, 8192, {},
     1.4, "2:4 fp16 GEMM 8192^3 (mma.sp) vs dense cuBLAS: >= 1.4x"),
    ("sp24_f16_8192cubed_wgmma", "sparse", 8192, 8192, 8192,
     {"chip": "sm_90a"},
     1.4, "the same on wgmma.mma_async.sp (chip=sm_90a)"),
    ("sp24_f16_8192cubed_nostage", "sparse", 8192, 8192, 8192,
     {"options": "mma-a-stages=0"},
     1.4, "the same with activations from global memory, not staged in "
     "shared memory (mma-a-stages=0)"),
    ("sp24_int4_gemv_8192x8192", "sparse", 1, 8192, 8192, {"bits": 4},
     5.0, "2:4 + int4 GEMV batch 1 (packed mma.sp): >= 5x"),
    ("sp24_f16_gemv_8192x8192", "sparse", 1, 8192, 8192, {},
     1.5, "2:4 fp16 GEMV batch 1 (packed mma.sp, f16 pairs): no issue target; "
     "bytes moved give 1.78x (K/2 f16 values + K/8 bytes of positions per "
     "column, against 2K)"),
    ("sp24_int4_gemv_8192x8192_simt", "sparse", 1, 8192, 8192,
     {"bits": 4, "options": "mma-gemv=false"},
     5.0, "the same on the CUDA-core composed GEMV (mma-gemv=false)"),
    ("lowrank_r2048_gemv_8192x8192", "lowrank", 1, 8192, 8192, {"rank": 2048},
     1.3, "low rank (rank 25%) chain, batch 1, vs two cuBLAS calls: >= 1.3x"),
]


def meta_hex(n, kept):
    """[n, kept] i2 positions, one byte each: every run (0, 2)."""
    return "0x" + ("0002" * (n * kept // 2))


def quant_g128(n, k, cols, bits):
    """Encoding and storage of an asymmetric group-128 quant facet over
    [n, cols] stored codes (cols = k, or k / 2 under 2:4)."""
    g = k // 128
    enc = (f"quant = <bits = {bits}, axis = 1, group = 128, scale = f32, "
           "zero = i8>")
    storage = (f"values(dense<1> : tensor<{n}x{cols}xi{bits}>) "
               f"scales(dense<1.0> : tensor<{n}x{g}xf32>) "
               f"zeros(dense<1> : tensor<{n}x{g}xi8>)")
    return enc, storage


def case_mlir(kind, m, n, k, extra):
    x = f"tensor<{m}x{k}xf16>"
    y = f"tensor<{m}x{n}xf16>"
    if kind == "quant":
        enc, storage = quant_g128(n, k, k, extra["bits"])
        wt = f"tensor<{n}x{k}xf32, #e>"
    elif kind == "sparse":
        kept = k // 2
        meta = f'meta(dense<"{meta_hex(n, kept)}"> : tensor<{n}x{kept}xi2>)'
        if "bits" in extra:
            enc, storage = quant_g128(n, k, kept, extra["bits"])
            enc += ", sparse = <2:4, axis = 1>"
            storage += " " + meta
            wt = f"tensor<{n}x{k}xf32, #e>"
        else:
            enc = "sparse = <2:4, axis = 1>"
            storage = f"values(dense<1.0> : tensor<{n}x{kept}xf16>) {meta}"
            wt = f"tensor<{n}x{k}xf16, #e>"
    elif kind == "lowrank":
        # f16 factors, like the fp16 peer's two matrices.
        r = extra["rank"]
        enc = "lowrank = <rank = " + str(r) + ", type = f16>"
        storage = (f"u(dense<1.0> : tensor<{n}x{r}xf16>) "
                   f"v(dense<1.0> : tensor<{r}x{k}xf16>)")
        wt = f"tensor<{n}x{k}xf32, #e>"
    else:
        raise ValueError(kind)
    return f"""#e = #qsl.encoding<{enc}>
func.func @bench(%x: {x}) -> {y} {{
  %w = qsl.constant {storage} : {wt}
  %y = qsl.matmul %x, %w transpose_w : {x}, {wt} -> {y}
  return %y : {y}
}}
"""


MEMREF = re.compile(r"memref<((?:\d+x)+)(\w+)>")


def parse_host(text):
    """The launches of the host function of a qsl-gpu-pipeline output."""
    consts, allocs, globals_, copied = {}, {}, {}, {}
    launches = []
    for line in text.splitlines():
        if "gpu.binary" in line:
            continue
        if mm := re.search(r"(%\w+) = arith\.constant (\d+) : index", line):
            consts[mm.group(1)] = int(mm.group(2))
        elif mm := re.search(r"(%\w+) = gpu\.alloc .*: (memref<[^>]*>)", line):
            t = MEMREF.match(mm.group(2))
            allocs[mm.group(1)] = {
                "shape": [int(d) for d in t.group(1).rstrip("x").split("x")],
                "dtype": t.group(2)}
        elif mm := re.search(r"(%\w+) = memref\.get_global @(\w+)", line):
            globals_[mm.group(1)] = mm.group(2)
        elif mm := re.search(r"gpu\.memcpy\s+(%\w+), (%\w+) :", line):
            dst, src = mm.group(1), mm.group(2)
            if dst in allocs:  # host -> device
                copied[dst] = re.sub(r"^qsl_gpu_(\w+?)_\d+$", r"\1",
                                     globals_[src]) if src in globals_ else "input"
        elif mm := re.search(r"gpu\.memset\s+(%\w+), (%\w+) :", line):
            # Only zero fills are emitted (the fused low-rank chain's sum).
            launches.append({"zero": mm.group(1), "args": [mm.group(1)]})
        elif mm := re.search(
                r"gpu\.launch_func\s+@\w+::@(\w+) blocks in \((%\w+), (%\w+), "
                r"(%\w+)\) threads in \((%\w+), (%\w+), (%\w+)\)\s+args\((.*)\)",
                line):
            launches.append({
                "kernel": mm.group(1),
                "grid": [consts[v] for v in mm.group(2, 3, 4)],
                "block": [consts[v] for v in mm.group(5, 6, 7)],
                "args": re.findall(r"(%\w+) :", mm.group(8))})
    if not any("kernel" in l for l in launches):
        raise RuntimeError("no gpu.launch_func in the compiled module")
    buffers = {}
    for launch in launches:
        for a in launch["args"]:
            if a not in allocs:
                raise RuntimeError(f"launch argument {a} is not a gpu.alloc")
            buffers[a] = dict(allocs[a], role=copied.get(a, "scratch"))
    names = {a: f"b{i}" for i, a in enumerate(buffers)}
    for launch in launches:
        launch["args"] = [names[a] for a in launch["args"]]
        if "zero" in launch:
            launch["zero"] = names[launch["zero"]]
    return launches, {names[a]: b for a, b in buffers.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("build")
    ap.add_argument("out")
    ap.add_argument("--only", default="")
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--chip", default=os.environ.get("QSL_GPU_CHIP", "sm_90"))
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    os.makedirs(args.out, exist_ok=True)
    qsl_opt = os.path.join(args.build, "bin", "qsl-opt")
    plan = {"chip": args.chip, "cases": []}
    for name, kind, m, n, k, extra, target, what in CASES:
        if only and name not in only:
            continue
        if args.small:  # the same kernel families, shapes / 32
            m = extra.get("small_m", max(1, m // 32) if m > 16 else m)
            n, k = [(d // 32 + 255) // 256 * 256 for d in (n, k)]
            extra = dict(extra, **({"rank": 64} if "rank" in extra else {}))
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "case.mlir")
            open(src, "w").write(case_mlir(kind, m, n, k, extra))
            res = subprocess.run(
                [qsl_opt, src, "--qsl-gpu-pipeline=chip=" +
                 extra.get("chip", args.chip) +
                 " format=bin device-weights=false " +
                 extra.get("options", ""),
                 "--mlir-elide-elementsattrs-if-larger=16",
                 "-o", os.path.join(tmp, "out.mlir")],
                capture_output=True, text=True)
            if res.returncode != 0:
                sys.exit(f"bench_plan.py: {name}: qsl-opt failed:\n{res.stderr}")
            compiled = os.path.join(tmp, "out.mlir")
            subprocess.run([sys.executable, os.path.join(HERE, "extract_binary.py"),
                            compiled, os.path.join(args.out, name + ".cubin")],
                           check=True)
            launches, buffers = parse_host(open(compiled).read())
        peer = {"m": m, "n": n, "k": k}
        if kind == "lowrank":
            peer["rank"] = extra["rank"]
        plan["cases"].append({
            "name": name, "kind": kind, "m": m, "n": n, "k": k,
            "bits": extra.get("bits"), "group": 128,  # quant_g128
            "target": target, "what": what,
            "chip": extra.get("chip", args.chip),
            "cubin": name + ".cubin", "launches": launches,
            "buffers": buffers, "peer": peer})
        print(f"{name}: {len(launches)} step(s), "
              f"{sum(1 for b in buffers.values() if b['role'] != 'scratch')} "
              "filled buffers", file=sys.stderr)
    json.dump(plan, open(os.path.join(args.out, "plan.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
