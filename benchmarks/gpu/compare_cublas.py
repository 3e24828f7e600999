"""Times the kernels of a bench_plan.py plan and cuBLAS fp16 (PyTorch) on
the same GPU in one run, checks our outputs, and writes the issue's ratio
table.

    compare_cublas.py PLAN_DIR [--out DIR] [--only NAME,...]
    compare_cublas.py PLAN_DIR --dry-run     (no GPU: numpy only)
    ncu ... compare_cublas.py PLAN_DIR --only NAME --profile
                                             (one checked launch, untimed)

Our kernels load from the plan's cubins through CuPy (RawModule) and get
their memref arguments as the NVVM calling convention spells them
(allocated and aligned pointer, offset, sizes, strides). Weight tables are
filled with random data of the right form (any code word; scales and zero
points; mma.sp metadata of valid 2:4 nibbles; f16 pairs), the peer's fp16
weights likewise. Both sides rotate through enough copies of their weights
to exceed twice the L2 cache, so neither is timed out of L2, and both are
timed as CUDA graphs of back-to-back launches (CUDA events around repeated
replays), so Python's launch cost is not measured. The cuBLAS peer is
torch.mm on f16 [m, k] x [n, k]^T (nn.Linear's layout); the low-rank peer is
two such calls. Before timing, the first output of every case is compared
with a float64 evaluation of the decoded weights on 64 sampled columns (a
wrong kernel fails instead of reporting a speed). The device's copy
bandwidth (bytes read + written by a 1 GiB device-to-device copy) is
measured too; GEMV rows report our bytes moved per second against it.

Writes DIR/gpu-speed.md and DIR/gpu-speed.json (default: PLAN_DIR).
"""
import argparse
import datetime
import json
import math
import os
import subprocess
import sys

import numpy as np

VALID_NIBBLES = np.array([0x4, 0x8, 0x9, 0xC, 0xD, 0xE], dtype=np.uint32)
NP_DTYPES = {"f16": np.float16, "f32": np.float32, "i32": np.int32}


# --------------------------------------------------------------------------
# Weight tables: random contents of the right form, and their decoding
# --------------------------------------------------------------------------

def fill(buf, bits, rng):
    """Host contents of one kernel buffer by its role (bits: the codes'
    width; None for float weights)."""
    shape, role = tuple(buf["shape"]), buf["role"]
    if role == "mma_codes" and bits is None:  # f16 pairs (packed 2:4)
        halves = rng.uniform(-1, 1, size=shape + (2,)).astype(np.float16)
        return halves.view(np.uint32).reshape(shape).view(np.int32)
    if role in ("codes", "mma_codes"):  # code words of either layout
        return rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(
            np.uint32).view(np.int32)
    if role == "mma_scales":  # f16 scales (symmetric)
        return (rng.uniform(0.5, 1.5, size=shape) / 64).astype(np.float16)
    if role == "mma_scale_zero":  # f16 s | f16 (1024 + z) << 16
        s = (rng.uniform(0.5, 1.5, size=shape) / 64).astype(np.float16)
        zz = (1024 + rng.integers(0, 2**bits, size=shape)).astype(np.float16)
        return (s.view(np.uint16).astype(np.uint32) |
                (zz.view(np.uint16).astype(np.uint32) << 16)).view(np.int32)
    if role == "scales":
        return (rng.uniform(0.5, 1.5, size=shape) / 64).astype(np.float32)
    if role == "zeros":
        return rng.integers(0, 2**bits, size=shape).astype(np.float32)
    if role in ("meta", "mma_meta") and len(shape) == 3:  # mma.sp registers
        nib = rng.choice(VALID_NIBBLES, size=shape + (8,))
        return (nib << (4 * np.arange(8, dtype=np.uint32))).sum(
            axis=-1, dtype=np.uint64).astype(np.uint32).view(np.int32)
    if role == "meta":  # composed GEMV: 2-bit positions, any value
        return rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(
            np.uint32).view(np.int32)
    if role in ("values", "lowrank_in", "lowrank_out", "lowrank_out_t"):
        return (rng.standard_normal(size=shape) * 0.05).astype(
            NP_DTYPES[buf["dtype"]])
    if role == "input":
        return rng.uniform(-1, 1, size=shape).astype(NP_DTYPES[buf["dtype"]])
    if role == "scratch":
        return np.zeros(shape, dtype=NP_DTYPES[buf["dtype"]])
    raise ValueError(f"no fill rule for a '{role}' table")


def codes_of(words, count, bits):
    """[rows, count] codes of the word layout (Compress/GpuLayout.h)."""
    per = 32 // bits
    w = words.view(np.uint32).astype(np.int64)
    j = np.arange(count)
    return (w[:, j // per] >> ((j % per) * bits)) & ((1 << bits) - 1)


def mma_codes_of(words, cols, k, bits):
    """[len(cols), k] stored codes of the packed GEMM's fragment-ordered
    words (Compress/GpuLayout.h): column c, row kk is in lane 4 (c % 8) +
    (kk % 8) // 2 of tile c // 32, chunk kk // (16 S), at pair (step * 4 +
    n-tile) * 2 + (kk % 16) // 8, half kk % 2."""
    steps = 4 if bits <= 2 else 2 if bits <= 4 else 1
    w = words.view(np.uint32).reshape(words.shape[0], words.shape[1], 32,
                                      4).astype(np.int64)
    c = np.asarray(cols)[:, None]
    kk = np.arange(k)[None, :]
    inner = kk % 16
    lane = 4 * (c % 8) + (inner % 8) // 2
    pair = ((kk % (16 * steps)) // 16 * 4 + (c % 32) // 8) * 2 + inner // 8
    per = 2 * steps
    word = w[c // 32, kk // (16 * steps), lane, pair // per]
    return (word >> ((pair % per) * bits + 16 * (inner % 2))) & (
        (1 << bits) - 1)


def mma_sparse_codes_of(words, cols, kept, bits):
    """[len(cols), kept] stored codes of the packed 2:4 GEMM's words
    (Compress/GpuLayout.h): kept entry e of row c is in lane 4 (c % 8) +
    (e % 8) // 2 of tile c // 16, chunk (e // 16) // S, at pair 4 ((e // 16)
    % S) + (c % 16) // 8 + 2 ((e % 16) // 8), half e % 2 (S = 2, 4 or 8
    steps per chunk; bits = 16, f16 values: S = 1, the f16 bit patterns)."""
    steps = 1 if bits == 16 else 2 * (4 if bits <= 2 else 2 if bits <= 4
                                        else 1)
    w = words.view(np.uint32).reshape(words.shape[0], words.shape[1], 32,
                                      4).astype(np.int64)
    c = np.asarray(cols)[:, None]
    e = np.arange(kept)[None, :]
    step, inner = e // 16, e % 16
    pair = 4 * (step % steps) + (c % 16) // 8 + 2 * (inner // 8)
    lane = 4 * (c % 8) + (inner % 8) // 2
    word = w[c // 16, step // steps, lane, pair // steps]
    return (word >> ((pair % steps) * bits + 16 * (inner % 2))) & (
        (1 << bits) - 1)


def meta_positions(regs, c, kept):
    """2-bit positions of row c's kept entries from the mma.sp metadata
    registers [tiles, steps, 16] (lanes 4g + h: rows g / g + 8)."""
    t, r = divmod(int(c), 16)
    g, hi = r % 8, r // 8
    pos = np.zeros(kept, dtype=np.int64)
    for e in range(kept):
        s, rem = divmod(e, 16)
        h, i = divmod(rem, 8)
        pos[e] = (int(regs[t, s, 2 * g + h]) >> (16 * hi + 2 * i)) & 3
    return pos


def group_tables(by_role, bits):
    """(s, 1024 + z) of the packed kernels as float64 [groups, columns]
    tables: the halves of the scale-zero words, or the f16 scales and the
    symmetric constant."""
    if "mma_scale_zero" in by_role:
        w = by_role["mma_scale_zero"][0].view(np.uint32)
        half = lambda h: h.astype(np.uint16).view(np.float16).astype(
            np.float64)
        return half(w & 0xFFFF), half(w >> 16)
    s = by_role["mma_scales"][0].astype(np.float64)
    return s, np.full_like(s, 1024 + 2 ** (bits - 1))


def reference(case, host, cols):
    """y[:, cols] of the case in float64 from the decoded tables."""
    by_role = {}
    for name, buf in case["buffers"].items():
        by_role.setdefault(buf["role"], []).append(host[name])
    x = by_role["input"][0].astype(np.float64)
    k, bits = case["k"], case["bits"]
    kind = case["kind"]
    if kind == "lowrank":  # the fused chain: A_in [Rp, K], B_out^T [Rp, N]
        a, bt = by_role["lowrank_in"][0], by_role["lowrank_out_t"][0]
        return (x @ a.astype(np.float64).T) @ bt[:, cols].astype(np.float64)
    w = np.zeros((len(cols), k))
    if kind == "quant" and "mma_codes" in by_role:  # the packed GEMM
        q = mma_codes_of(by_role["mma_codes"][0], cols, k, bits)
        s, zz = group_tables(by_role, bits)
        g = np.arange(k)[None, :] // case["group"]
        c = np.asarray(cols)[:, None]
        w = (q + 1024 - zz[g, c]) * s[g, c]
    elif kind == "quant":
        q = codes_of(host_of(case, host, "codes")[cols], k, bits)
        g = np.arange(k) // (k // host_of(case, host, "scales").shape[1])
        s = host_of(case, host, "scales")[cols][:, g]
        z = host_of(case, host, "zeros")[cols][:, g]
        w = (q - z) * s
    elif kind == "sparse" and "mma_codes" in by_role and bits is None:
        # packed 2:4 GEMM on f16 values
        kept = k // 2
        q = mma_sparse_codes_of(by_role["mma_codes"][0], cols, kept, 16)
        vals = q.astype(np.uint16).view(np.float16).astype(np.float64)
        regs = by_role["mma_meta"][0].view(np.uint32)
        for ci, c in enumerate(cols):
            dense_k = 4 * (np.arange(kept) // 2) + meta_positions(regs, c,
                                                                  kept)
            np.add.at(w[ci], dense_k, vals[ci])
    elif kind == "sparse" and "mma_codes" in by_role:  # packed 2:4 GEMM
        kept = k // 2
        q = mma_sparse_codes_of(by_role["mma_codes"][0], cols, kept, bits)
        s, zz = group_tables(by_role, bits)
        regs = by_role["mma_meta"][0].view(np.uint32)
        for ci, c in enumerate(cols):
            dense_k = 4 * (np.arange(kept) // 2) + meta_positions(regs, c,
                                                                  kept)
            g = dense_k // case["group"]
            np.add.at(w[ci], dense_k, (q[ci] + 1024 - zz[g, c]) * s[g, c])
    elif kind == "sparse":  # composed GEMV: codes + packed positions
        kept = k // 2
        q = codes_of(host_of(case, host, "codes")[cols], kept, bits)
        pos = codes_of(host_of(case, host, "meta")[cols], kept, 2)
        groups = host_of(case, host, "scales").shape[1]
        dense_k = 4 * (np.arange(kept) // 2)[None, :] + pos
        g = dense_k // (k // groups)
        rows = np.arange(len(cols))[:, None]
        s = host_of(case, host, "scales")[cols][rows, g]
        z = host_of(case, host, "zeros")[cols][rows, g]
        np.add.at(w, (np.broadcast_to(rows, dense_k.shape), dense_k),
                  (q - z) * s)
    return x @ w.T


def host_of(case, host, role):
    return next(host[n] for n, b in case["buffers"].items()
                if b["role"] == role)


def params_of(case, launch, dev):
    """The kernel's scalar parameters: per memref (ptr, ptr, offset, sizes,
    strides)."""
    out = []
    for name in launch["args"]:
        shape = case["buffers"][name]["shape"]
        strides = [int(np.prod(shape[i + 1:])) for i in range(len(shape))]
        out += [dev[name], dev[name], np.int64(0)]
        out += [np.int64(d) for d in shape] + [np.int64(s) for s in strides]
    return tuple(out)


def weight_names(case):
    return [n for n, b in case["buffers"].items()
            if b["role"] not in ("input", "scratch")]


def copies_for(nbytes, l2):
    """Enough copies of `nbytes` of weights to exceed twice the L2."""
    return max(1, min(16, math.ceil(2 * l2 / max(nbytes, 1))))


# --------------------------------------------------------------------------
# GPU side
# --------------------------------------------------------------------------

def run(args, plan):
    import cupy as cp
    import torch

    dev = torch.cuda.get_device_properties(0)
    l2 = getattr(dev, "L2_cache_size", 50 << 20)
    rng = np.random.default_rng(0)

    def time_per_step(capture, stream):
        """Seconds per step. `capture(count)` records `count` steps as a
        CUDA graph and returns its replay; a 1-step graph sizes one of
        enough steps (about 0.2 s, 3 to 200), replayed 3 times between
        events on `stream`."""
        def run(count):
            replay = capture(count)
            replay()
            stream.synchronize()
            start, end = cp.cuda.Event(), cp.cuda.Event()
            start.record(stream)
            for _ in range(3):
                replay()
            end.record(stream)
            end.synchronize()
            return cp.cuda.get_elapsed_time(start, end) * 1e-3 / (3 * count)

        one = run(1)
        return run(int(min(200, max(3, 0.2 / max(one, 1e-7)))))

    if args.profile:  # one checked launch per case, under a profiler
        copy_bw = None
    else:
        copy_bw = copy_bandwidth(torch)

    rows = []
    for case in plan["cases"]:
        if args.only and case["name"] not in args.only:
            continue
        module = cp.RawModule(path=os.path.join(args.plan, case["cubin"]))
        host = {n: fill(b, case["bits"], rng)
                for n, b in case["buffers"].items()}
        wbytes = sum(host[n].nbytes for n in weight_names(case))
        copies = 1 if args.profile else copies_for(wbytes, l2)
        rows.append(run_case(args, case, module, host, wbytes, copies, l2,
                             copy_bw, rng, cp, torch, time_per_step))
    return [r for r in rows if r], copy_bw, torch.cuda.get_device_name(0)


def copy_bandwidth(torch):
    """Device copy bandwidth (bytes read + written)."""
    a = torch.empty(1 << 29, dtype=torch.float16, device="cuda")
    b = torch.empty_like(a)
    for _ in range(3):
        b.copy_(a)
    torch.cuda.synchronize()
    e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    e0.record()
    for _ in range(20):
        b.copy_(a)
    e1.record()
    torch.cuda.synchronize()
    return 2 * a.numel() * 2 * 20 / (e0.elapsed_time(e1) * 1e-3)


def run_case(args, case, module, host, wbytes, copies, l2, copy_bw, rng, cp,
             torch, time_per_step):
    """One case: a checked launch, then (unless profiling) our time and the
    cuBLAS peer's; the row of the table, or None when profiling."""
    devs = []
    for c in range(copies):
        d = {}
        for n in case["buffers"]:
            same = n not in weight_names(case) and c > 0
            d[n] = devs[0][n] if same else cp.asarray(
                host[n] if c == 0 else fill(case["buffers"][n],
                                            case["bits"], rng))
        devs.append(d)

    def steps_for(d):
        """The plan's steps on buffers `d`: kernel launches and zero
        fills, in order."""
        out = []
        for l in case["launches"]:
            if "zero" in l:
                out.append(lambda buf=d[l["zero"]]: buf.fill(0))
            else:
                f = module.get_function(l["kernel"])
                out.append(lambda f=f, g=tuple(l["grid"]),
                           b=tuple(l["block"]),
                           p=params_of(case, l, d): f(g, b, p))
        return out

    launches = [steps_for(d) for d in devs]

    def step(i):
        for run_step in launches[i % copies]:
            run_step()

    # Check one output against the decoded weights (copy 0).
    step(0)
    cp.cuda.runtime.deviceSynchronize()
    out_name = [l for l in case["launches"] if "kernel" in l][-1]["args"][-1]
    y = cp.asnumpy(devs[0][out_name]).astype(np.float64)
    cols = np.unique(np.linspace(0, case["n"] - 1, 64).astype(int))
    ref = reference(case, host, cols)
    err = float(np.max(np.abs(y[:, cols] - ref)) /
                max(np.max(np.abs(ref)), 1e-30))
    if args.profile:
        print(f"{case['name']}: one launch, max rel err {err:.2e}", flush=True)
        return None

    s = cp.cuda.Stream(non_blocking=True)

    def capture_ours(count):
        with s:
            step(0)
            s.synchronize()
            s.begin_capture()
            for i in range(count):
                step(i)
            graph = s.end_capture()
        return lambda: graph.launch(s)

    ours = time_per_step(capture_ours, s)

    # cuBLAS fp16 peer.
    m, n, k = case["m"], case["n"], case["k"]
    x = torch.empty(m, k, dtype=torch.float16, device="cuda").uniform_(-1, 1)
    if case["kind"] == "lowrank":
        r = case["peer"]["rank"]
        pbytes = 2 * (r * k + n * r)
        pc = copies_for(pbytes, l2)
        wa = [torch.randn(r, k, dtype=torch.float16, device="cuda") * 0.05
              for _ in range(pc)]
        wb = [torch.randn(n, r, dtype=torch.float16, device="cuda") * 0.05
              for _ in range(pc)]
        t = torch.empty(m, r, dtype=torch.float16, device="cuda")
        yp = torch.empty(m, n, dtype=torch.float16, device="cuda")

        def peer(i):
            torch.mm(x, wa[i % pc].t(), out=t)
            torch.mm(t, wb[i % pc].t(), out=yp)
    else:
        pbytes = 2 * n * k
        pc = copies_for(pbytes, l2)
        ws = [torch.randn(n, k, dtype=torch.float16, device="cuda") * 0.05
              for _ in range(pc)]
        yp = torch.empty(m, n, dtype=torch.float16, device="cuda")

        def peer(i):
            torch.mm(x, ws[i % pc].t(), out=yp)

    ts = torch.cuda.Stream()

    def capture_peer(count):
        ts.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(ts):  # warm-up: cuBLAS workspaces
            for i in range(3):
                peer(i)
        torch.cuda.current_stream().wait_stream(ts)
        torch.cuda.synchronize()
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            for i in range(count):
                peer(i)
        return graph.replay  # on torch's current stream

    cublas = time_per_step(
        capture_peer,
        cp.cuda.ExternalStream(torch.cuda.current_stream().cuda_stream))

    moved = wbytes + sum(host[n].nbytes for n, b in case["buffers"].items()
                         if b["role"] == "input") + 2 * m * n
    row = {"case": case["name"], "what": case["what"], "ours_us": ours * 1e6,
           "cublas_us": cublas * 1e6, "ratio": cublas / ours,
           "target": case["target"], "met": cublas / ours >= case["target"],
           "max_rel_err": err, "our_bytes_per_s": moved / ours,
           "copy_fraction": moved / ours / copy_bw, "weight_copies": copies}
    print(f"{case['name']}: ours {ours * 1e6:.1f} us, cuBLAS fp16 "
          f"{cublas * 1e6:.1f} us, ratio {cublas / ours:.2f} (target "
          f"{case['target']}), {moved / ours / 1e9:.0f} GB/s = "
          f"{moved / ours / copy_bw:.0%} of copy, max rel err {err:.2e}",
          flush=True)
    if not err < 2e-2:
        row["met"] = False
        print(f"{case['name']}: WRONG RESULT (max rel err {err:.3g})",
              flush=True)
    devs = launches = module = None  # free before the next case
    torch.cuda.empty_cache()
    cp.get_default_memory_pool().free_all_blocks()
    return row


def write(args, rows, copy_bw, device):
    commit = subprocess.run(["git", "-C", os.path.dirname(os.path.abspath(__file__)),
                             "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    when = datetime.date.today().isoformat()
    out = args.out or args.plan
    lines = [f"# GPU kernels vs cuBLAS fp16 ({device}, {when}, "
             f"commit {commit or 'unknown'})", "",
             f"Device copy bandwidth (read + write): {copy_bw / 1e9:.0f} GB/s. "
             "Command: `benchmarks/gpu/run_on_device.sh pack-bench` here, "
             "`compare_cublas.py` there (benchmarks/gpu/README in gpu.md).", "",
             "| case | ours (us) | cuBLAS fp16 (us) | ratio | target | met | "
             "GB/s moved / copy | max rel err |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['case']} | {r['ours_us']:.1f} | {r['cublas_us']:.1f} | "
            f"{r['ratio']:.2f} | {r['target']} | {'yes' if r['met'] else 'no'} | "
            f"{r['our_bytes_per_s'] / 1e9:.0f} / {r['copy_fraction']:.0%} | "
            f"{r['max_rel_err']:.1e} |")
    open(os.path.join(out, "gpu-speed.md"), "w").write("\n".join(lines) + "\n")
    json.dump({"device": device, "date": when, "commit": commit,
               "copy_bytes_per_s": copy_bw, "rows": rows},
              open(os.path.join(out, "gpu-speed.json"), "w"), indent=1)
    print("\n".join(lines))


def dry_run(args, plan):
    """Everything but the GPU: fills, parameters, reference decoding."""
    rng = np.random.default_rng(0)
    for case in plan["cases"]:
        host = {n: fill(b, case["bits"], rng)
                for n, b in case["buffers"].items()}
        nparams = [len(params_of(case, l, host)) if "kernel" in l else "zero"
                   for l in case["launches"]]
        cols = np.arange(min(4, case["n"]))
        ref = reference(case, host, cols)
        assert ref.shape == (case["m"], len(cols)), ref.shape
        assert np.all(np.isfinite(ref))
        print(f"{case['name']}: {len(case['launches'])} step(s), params "
              f"{nparams}, weights {sum(host[n].nbytes for n in weight_names(case))} "
              f"bytes, reference {ref.shape}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("plan")
    ap.add_argument("--out")
    ap.add_argument("--only", default="")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--profile", action="store_true",
                    help="one checked launch per case and nothing timed "
                    "(for a profiler: ncu ... compare_cublas.py --profile)")
    args = ap.parse_args()
    args.only = set(filter(None, args.only.split(",")))
    plan = json.load(open(os.path.join(args.plan, "plan.json")))
    if args.dry_run:
        return dry_run(args, plan)
    rows, copy_bw, device = run(args, plan)
    if args.profile:
        return 0
    write(args, rows, copy_bw, device)
    return 0 if all(r["max_rel_err"] < 2e-2 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
