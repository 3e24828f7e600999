#!/usr/bin/env python3
"""Causal-LM compression quality: perplexity on held-out text of a small
GPT with real trained weights (benchmarks/causal_lm/: 11.5 M parameters, BPE
tokens, trained on five Jane Austen novels, evaluated on a sixth,
Persuasion), fp32 and every QSL compression setting of
benchmarks/minilm_quality.py, with onnxruntime's and NNCF's int4 as peer rows.

    python3 benchmarks/causal_lm_quality.py [--quick] [--only NAME...] [--bin-dir DIR]

Needs the model: `bash benchmarks/causal_lm/make_model.sh` (corpus, training,
ONNX export; the weights stay out of git). Held-out text: the first
EVAL_FILES x BATCH windows of SEQ tokens of Persuasion, not overlapping;
perplexity = exp(mean cross-entropy of predicting tokens 1..SEQ-1 of each
window from the ones before it); bits/char spreads the same cross-entropy over
the characters of those tokens. Calibration: CALIB_FILES batches of BATCH x
SEQ tokens (4096) at fixed random offsets in the training novels. The QSL
pipelines are exactly minilm_quality.py's QSL_PIPELINES (read from that file)
with `exclude=lm_head` added to every pass: the lm head stays fp32, as it does
in the peer rows. Each row also gets a 95% interval of its change against fp32
(paired over the windows).

--quick evaluates 2 batches (4096 tokens); --only runs the rows whose key
contains one of the NAMEs. Only a full run writes
benchmarks/results/causal-lm-quality.md.
"""
import argparse
import ast
import concurrent.futures
import contextlib
import datetime
import io
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, numpy_helper

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "benchmarks", "causal_lm"))
import data  # noqa: E402
from model import numpy_nll  # noqa: E402
sys.path.insert(0, os.path.join(root, "benchmarks"))
from curve_points import needs_calibration  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true", help="2 eval batches (4096 tokens)")
parser.add_argument("--only", nargs="+", metavar="NAME", help="run rows whose key contains NAME")
parser.add_argument("--bin-dir", default=os.path.join(root, "build", "bin"), help="qslc and qsl-run")
parser.add_argument("--weights", default=os.path.join(data.OUT, "gpt"), help="prefix of .npz/.json/.onnx")
parser.add_argument("--tools-commit", help="the commit qslc/qsl-run were built from, when not HEAD "
                    "(written to the results)")
parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel qsl-run processes")
parser.add_argument("--curves", action="store_true",
                    help="run the quality-vs-size curve points (benchmarks/curve_points.py) "
                    "instead of the table's rows; see benchmarks/quality_curves.py")
parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
args = parser.parse_args()
logging.disable(logging.WARNING)

BATCH = 16
EVAL_FILES = 2 if args.quick else 10
CALIB_FILES = 2
EXCLUDE = "lm_head"


def minilm_pipelines():
    """QSL_PIPELINES of benchmarks/minilm_quality.py, read from its source (that
    script parses arguments and builds MiniLM when imported)."""
    with open(os.path.join(root, "benchmarks", "minilm_quality.py")) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "QSL_PIPELINES" for t in node.targets):
            return ast.literal_eval(node.value)
    raise RuntimeError("QSL_PIPELINES not found in benchmarks/minilm_quality.py")


def with_exclude(pipeline):
    """Every pass of the pipeline gets exclude=lm_head."""
    return pipeline.replace("}", f" exclude={EXCLUDE}}}")


BASE_PIPELINES = minilm_pipelines()
QSL_SETTINGS = [  # (setting, key in QSL_PIPELINES): the settings of the issue
    ("int8 per-channel", "int8"), ("int4 g128 RTN", "rtn4"), ("int4 g128 GPTQ", "gptq4"),
    ("int3 g128 GPTQ", "gptq3"), ("2:4 magnitude", "24-magnitude"), ("2:4 Wanda", "24-wanda"),
    ("2:4 SparseGPT", "24-sparsegpt"), ("50% unstructured SparseGPT", "50-sparsegpt"),
    ("2:4 + int4", "24-int4")]
assert {k for _, k in QSL_SETTINGS} <= set(BASE_PIPELINES), sorted(BASE_PIPELINES)
# Not settings of the issue: lower bit widths, to see where RTN and GPTQ part, and AWQ.
EXTRA_SETTINGS = [
    ("int3 g128 RTN (extra)", "x-rtn3", "qsl-quantize{bits=3 group=128 method=rtn}"),
    ("int2 g64 RTN (extra)", "x-rtn2", "qsl-quantize{bits=2 group=64 method=rtn}"),
    ("int2 g64 GPTQ (extra)", "x-gptq2", "qsl-quantize{bits=2 group=64 method=gptq range=mse damp=0.1}"),
    ("int4 g128 AWQ (extra)", "x-awq4", "qsl-quantize{bits=4 group=128 method=awq range=mse}"),
    ("int3 g128 AWQ (extra)", "x-awq3", "qsl-quantize{bits=3 group=128 method=awq range=mse}"),
]
# Structured pruning (smaller dense weights): MLP channels and attention heads.
STRUCTURED_SETTINGS = [
    ("MLP channels -25%, FLAP", "ffn25-flap"), ("MLP channels -25%, magnitude", "ffn25-magnitude"),
    ("MLP channels -50%, FLAP", "ffn50-flap"), ("attention heads -25%, FLAP", "heads25-flap"),
    ("attention heads -25%, magnitude", "heads25-magnitude"), ("attention heads -50%, FLAP", "heads50-flap"),
    ("heads -25% + MLP -25%, FLAP", "heads25-ffn25-flap")]
assert {k for _, k in STRUCTURED_SETTINGS} <= set(BASE_PIPELINES), sorted(BASE_PIPELINES)


def selected(key):
    return not args.only or any(name in key for name in args.only)


# --- Model and data ---------------------------------------------------------------

def load_model():
    onnx_path = args.weights + ".onnx"
    if not os.path.exists(onnx_path):
        sys.exit(f"no {onnx_path}: run `bash benchmarks/causal_lm/make_model.sh` first")
    with open(args.weights + ".json") as f:
        cfg = json.load(f)
    return onnx_path, cfg


def linear_weight_names(model):
    """The 2-D initializers multiplied by MatMul nodes, less the lm head: what
    every setting compresses."""
    inits = {t.name: t for t in model.graph.initializer}
    return [n.input[1] for n in model.graph.node if n.op_type == "MatMul" and n.input[1] in inits
            and len(inits[n.input[1]].dims) == 2 and EXCLUDE not in n.input[1]]


def tensor_bytes(t):
    if t.data_location == TensorProto.EXTERNAL:
        return int(next(e.value for e in t.external_data if e.key == "length"))
    return len(t.raw_data) if t.raw_data else numpy_helper.to_array(t).nbytes


def initializer_bytes(path):
    return sum(tensor_bytes(t) for t in onnx.load(path, load_external_data=False).graph.initializer)


def window_nats(logit_batches, id_batches):
    """Summed cross-entropy (nats) of every window: [windows]."""
    return np.concatenate([[numpy_nll(l[None], i[None])[0] for l, i in zip(logits, ids)]
                           for logits, ids in zip(logit_batches, id_batches)])


def paired_interval(nats, ref_nats, tokens_per_window):
    """95% interval half-width, in % of perplexity, of the change against the
    reference from the per-window differences (paired; windows as samples)."""
    d = (nats - ref_nats) / tokens_per_window
    return 100 * 1.96 * d.std(ddof=1) / np.sqrt(len(d))


# --- onnxruntime, peers -----------------------------------------------------------

def ort_session(path):
    opts = ort.SessionOptions()
    # keep activations fp32 when onnxruntime fuses DequantizeLinear + MatMul
    opts.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", "1")
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def run_ort(path, eval_batches):
    sess = ort_session(path)
    return [sess.run(["logits"], {"input_ids": ids})[0] for ids in eval_batches]


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


def ort_rtn(model, out, bits, symmetric):
    from onnxruntime.quantization.matmul_nbits_quantizer import (
        DefaultWeightOnlyQuantConfig, MatMulNBitsQuantizer)
    q = MatMulNBitsQuantizer(onnx.load(model), nodes_to_exclude=[EXCLUDE],
                             algo_config=DefaultWeightOnlyQuantConfig(
                                 block_size=128, is_symmetric=symmetric, bits=bits))
    with quiet():
        q.process()
    q.model.save_model_to_file(out, use_external_data_format=False)
    return out


def nncf_onnx(model, out, mode, calib=None, **options):
    """nncf.compress_weights on the model converted to opset 21 (NNCF then
    writes standard DequantizeLinear with block_size), lm head and embedding
    Gathers left alone."""
    import nncf
    from onnx import version_converter
    m21 = version_converter.convert_version(onnx.load(model), 21)
    dataset = nncf.Dataset([{"input_ids": c} for c in calib]) if calib else None
    with quiet():
        compressed = nncf.compress_weights(
            m21, mode=mode, dataset=dataset,
            ignored_scope=nncf.IgnoredScope(names=[EXCLUDE], types=["Gather"], validate=False), **options)
    onnx.save(compressed, out)
    return out


def nncf_openvino_logits(model, eval_batches, mode, calib, **options):
    """NNCF's GPTQ exists only in its OpenVINO backend: compress the converted
    model, run it in OpenVINO with f32 inference. Returns (logits, bytes of
    the compressed linear weights)."""
    import nncf
    import openvino as ov
    base = ov.convert_model(model)
    fp32_consts = sum(op.get_byte_size() for op in base.get_ops() if op.get_type_name() == "Constant")
    # OpenVINO names the lm head's MatMul after its output tensor, `logits`
    lm = [op for op in base.get_ops() if op.get_type_name() == "MatMul"
          and (EXCLUDE in op.get_friendly_name() or "logits" in op.output(0).get_names())]
    assert len(lm) == 1, [op.get_friendly_name() for op in lm]
    with quiet():
        compressed = nncf.compress_weights(
            base, mode=mode, dataset=nncf.Dataset([{"input_ids": c} for c in calib]),
            ignored_scope=nncf.IgnoredScope(names=[op.get_friendly_name() for op in lm], types=["Gather"],
                                            validate=False), **options)
    consts = sum(op.get_byte_size() for op in compressed.get_ops() if op.get_type_name() == "Constant")
    compiled = ov.Core().compile_model(compressed, "CPU", {"INFERENCE_PRECISION_HINT": "f32",
                                                           "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"})
    out = compiled.output("logits")
    return [compiled({"input_ids": ids})[out] for ids in eval_batches], fp32_consts - consts


# --- QSL ------------------------------------------------------------------------

def qslc(model, out, pipeline, calib_paths, report, seq):
    cmd = [os.path.join(args.bin_dir, "qslc"), model, f"--input-shape=input_ids={BATCH}x{seq}", "-o", out]
    if pipeline:
        if needs_calibration(pipeline):
            cmd.append("--calibrate=" + ",".join(calib_paths))
        cmd += [f"--pipeline={pipeline}", f"--report={report}"]
    p = subprocess.run(["nice", "-n", "19", *cmd], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"qslc failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr.strip()[-2000:]}")


def qsl_run(module, eval_paths, work):
    def run(i):
        got = os.path.join(work, f"out{i}.npz")
        p = subprocess.run(["nice", "-n", "19", os.path.join(args.bin_dir, "qsl-run"), module,
                            "--input", eval_paths[i], "--output", got], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"qsl-run failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        with np.load(got) as out:
            return out["logits"]
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        return list(pool.map(run, range(len(eval_paths))))


# --- Main -----------------------------------------------------------------------

def main():
    model, cfg = load_model()
    seq = cfg["ctx"]
    books = data.load_books()
    tok = data.tokenizer(books, len(cfg["vocab"]))
    assert tok.tokens == cfg["vocab"], "out/bpe*.json is not the tokenizer the model was trained with"
    eval_ids = data.heldout_windows(books, tok, EVAL_FILES * BATCH, seq)
    eval_batches = [eval_ids[i:i + BATCH] for i in range(0, len(eval_ids), BATCH)]
    cal = data.calibration_windows(books, tok, CALIB_FILES * BATCH, seq)
    calib = [cal[i:i + BATCH] for i in range(0, len(cal), BATCH)]
    # characters of the predicted tokens (1..seq-1 of every window), for bits/char
    n_chars = int(tok.char_lengths()[eval_ids[:, 1:]].sum())
    # a yardstick: the training text's token bigrams (add-0.1 smoothing) on the same predictions
    train = data.train_stream(books, tok)
    v = len(cfg["vocab"])
    bigram = np.full((v, v), 0.1)
    np.add.at(bigram, (train[:-1], train[1:]), 1.0)
    bigram /= bigram.sum(1, keepdims=True)
    bigram_ppl = float(np.exp(-np.log(bigram[eval_ids[:, :-1], eval_ids[:, 1:]]).mean()))
    m = onnx.load(model)
    names = linear_weight_names(m)
    inits = {t.name: t for t in m.graph.initializer}
    fp32_linear = sum(numpy_helper.to_array(inits[n]).nbytes for n in names)
    linear_params = sum(int(np.prod(inits[n].dims)) for n in names)
    fp32_total = sum(numpy_helper.to_array(t).nbytes for t in m.graph.initializer)
    untouched = fp32_total - fp32_linear
    del m, inits
    results, notes = [], [f"Yardstick: a token-bigram model of the training novels (add-0.1 smoothing) "
                           f"has perplexity {bigram_ppl:.3f} on the same held-out predictions"]

    def add(key, setting, tool, method, logits, size, secs, note=""):
        nats = window_nats(logits, eval_batches)
        nll = nats.sum() / n_tokens
        ppl = float(np.exp(nll))
        bpc = nats.sum() / n_chars / np.log(2)
        ci = paired_interval(nats, results[0]["nats"], seq - 1) if results else None
        results.append(dict(key=key, setting=setting, tool=tool, method=method, ppl=ppl, nll=nll,
                            bpc=bpc, size=size, secs=secs, note=note, nats=nats, ci=ci))
        print(f"[{key}] {tool} {method}: perplexity {ppl:.4f} ({bpc:.4f} bits/char), "
              f"linear weights {size / 1e6 if size else float('nan'):.2f} MB, {secs:.0f} s", flush=True)

    def failed(key, setting, tool, method, e):
        why = f"{type(e).__name__}: {str(e).strip()[-600:]}"
        print(f"[{key}] FAILED: {why}", flush=True)
        results.append(dict(key=key, setting=setting, tool=tool, method=method, ppl=None, note=why))

    with tempfile.TemporaryDirectory() as work:
        calib_paths, eval_paths = [], []
        for i, c in enumerate(calib):
            calib_paths.append(os.path.join(work, f"calib{i}.npz"))
            np.savez(calib_paths[-1], input_ids=c)
        for i, b in enumerate(eval_batches):
            eval_paths.append(os.path.join(work, f"eval{i}.npz"))
            np.savez(eval_paths[-1], input_ids=b)
        n_tokens = sum(b.shape[0] * (b.shape[1] - 1) for b in eval_batches)
        print(f"model {model}: {cfg['parameters']:,} parameters, {len(names)} linear weights "
              f"({linear_params:,} parameters, {fp32_linear / 1e6:.2f} MB fp32) compressed, "
              f"lm head excluded; held-out {len(eval_batches)} batches of {BATCH}x{seq} "
              f"({n_tokens} predicted tokens, {n_chars} characters); calibration "
              f"{len(calib)}x{BATCH}x{seq} tokens", flush=True)

        t0 = time.perf_counter()
        ref = run_ort(model, eval_batches)
        add("ort-fp32", "fp32", "onnxruntime", "fp32", ref, fp32_linear, time.perf_counter() - t0)
        if args.json:
            check_same_model(args.json, results[-1]["ppl"])
            write_json(args.json, results[-1:], linear_params)

        def qsl_row(key, setting, pipeline):
            t0 = time.perf_counter()
            module = os.path.join(work, "model.mlir")
            report_path = os.path.join(work, "report.json")
            for p in (module, report_path):
                if os.path.exists(p):
                    os.remove(p)
            qslc(model, module, pipeline, calib_paths, report_path, seq)
            logits = qsl_run(module, eval_paths, work)
            secs = time.perf_counter() - t0
            if not pipeline:
                rel = max(float(np.abs(g - r).max() / np.abs(r).max()) for g, r in zip(logits, ref))
                notes.append(f"QSL fp32 vs onnxruntime: max |diff| / max |logit| = {rel:.1e} "
                             f"over the {n_tokens + len(eval_batches) * BATCH} positions")
                print(notes[-1], flush=True)
                assert rel <= 1e-4, "QSL fp32 disagrees with onnxruntime"
                add(key, setting, "QSL", "fp32", logits, fp32_linear, secs)
                return
            with open(report_path) as f:
                report = json.load(f)
            tot = report["totals"]
            methods = ", ".join(sorted({w["method"] for w in report["weights"] if w.get("method")}))
            if "prune-structured" in pipeline:
                # Narrower dense weights: the linear bytes are what the
                # model lost (biases shrink and compensation biases appear
                # too; they are a few kB).
                size = fp32_linear - (int(tot["model_bytes_before"]) - int(tot["model_bytes_after"]))
                add(key, setting, "QSL", pipeline, logits, size, secs, methods or "structured")
            else:
                assert tot["compressed_weights"] == len(names), (tot, len(names))
                add(key, setting, "QSL", pipeline, logits, int(tot["compressed_bytes_after"]), secs,
                    f"{methods}; {tot['compressed_bits_per_parameter']:.3f} bits/param")
                results[-1]["bits"] = tot["compressed_bits_per_parameter"]
            results[-1]["model_bytes"] = tot["model_bytes_after"]

        def onnx_row(key, setting, tool, method, make):
            t0 = time.perf_counter()
            out = os.path.join(work, "peer.onnx")
            make(out)
            secs = time.perf_counter() - t0
            size = initializer_bytes(out) - untouched
            add(key, setting, tool, method, run_ort(out, eval_batches), size, secs)
            for f in os.listdir(work):
                if f.startswith("peer.onnx"):
                    os.remove(os.path.join(work, f))

        def openvino_row(key, setting, tool, method, mode, **options):
            t0 = time.perf_counter()
            logits, saved = nncf_openvino_logits(model, eval_batches, mode, calib, **options)
            add(key, setting, tool, method, logits, fp32_linear - saved, time.perf_counter() - t0)

        import nncf
        M = nncf.CompressWeightsMode
        # (key, setting, tool, method, run)
        rows = [("qsl-fp32", "fp32", "QSL", "fp32", lambda: qsl_row("qsl-fp32", "fp32", None))]
        for setting, k in QSL_SETTINGS:
            pipeline = with_exclude(BASE_PIPELINES[k])
            rows.append((f"qsl-{k}", setting, "QSL", pipeline,
                         lambda s=setting, k=k, p=pipeline: qsl_row(f"qsl-{k}", s, p)))
        for setting, k in STRUCTURED_SETTINGS:
            pipeline = with_exclude(BASE_PIPELINES[k])
            rows.append((f"qsl-{k}", setting, "QSL", pipeline,
                         lambda s=setting, k=k, p=pipeline: qsl_row(f"qsl-{k}", s, p)))
        for setting, k, pipeline in EXTRA_SETTINGS:
            pipeline = with_exclude(pipeline)
            rows.append((f"qsl-{k}", setting, "QSL", pipeline,
                         lambda s=setting, k=k, p=pipeline: qsl_row(f"qsl-{k}", s, p)))
        rows += [
            ("ort-rtn4-asym", "int4 g128 RTN", "onnxruntime", "MatMulNBitsQuantizer RTN asym, block 128",
             lambda: onnx_row("ort-rtn4-asym", "int4 g128 RTN", "onnxruntime",
                              "MatMulNBitsQuantizer RTN asym, block 128",
                              lambda o: ort_rtn(model, o, 4, False))),
            ("ort-rtn4-sym", "int4 g128 RTN", "onnxruntime", "MatMulNBitsQuantizer RTN sym, block 128",
             lambda: onnx_row("ort-rtn4-sym", "int4 g128 RTN", "onnxruntime",
                              "MatMulNBitsQuantizer RTN sym, block 128",
                              lambda o: ort_rtn(model, o, 4, True))),
            ("nncf-rtn4-asym", "int4 g128 RTN", "NNCF (ONNX)", "INT4_ASYM g128, data-free",
             lambda: onnx_row("nncf-rtn4-asym", "int4 g128 RTN", "NNCF (ONNX)", "INT4_ASYM g128, data-free",
                              lambda o: nncf_onnx(model, o, M.INT4_ASYM, group_size=128, ratio=1.0,
                                                  all_layers=True))),
            ("nncf-gptq4-asym", "int4 g128 GPTQ", "NNCF (OpenVINO)", "INT4_ASYM g128, gptq=True",
             lambda: openvino_row("nncf-gptq4-asym", "int4 g128 GPTQ", "NNCF (OpenVINO)",
                                  "INT4_ASYM g128, gptq=True", M.INT4_ASYM, group_size=128,
                                  ratio=1.0, all_layers=True, gptq=True)),
        ]
        if args.curves:
            import curve_points
            rows = [rows[0]]  # QSL fp32, checked against onnxruntime
            for family, k, pipeline in curve_points.QSL_CURVES:
                pipeline = with_exclude(pipeline)
                rows.append((f"qsl-{k}", family, "QSL", pipeline,
                             lambda s=family, k=k, p=pipeline: qsl_row(f"qsl-{k}", s, p)))
            for family, k, mode, options in curve_points.NNCF_CURVES:
                method = curve_points.nncf_method(mode, options)
                rows.append((k, family, "NNCF (OpenVINO)", method,
                             lambda s=family, k=k, m=method, mode=mode, o=options: openvino_row(
                                 k, s, "NNCF (OpenVINO)", m, getattr(M, mode), **curve_points.nncf_options(o))))
        if args.only:
            print("rows:", " ".join(r[0] for r in rows if selected(r[0])) or "none; keys: " +
                  " ".join(r[0] for r in rows), flush=True)
        for key, setting, tool, method, run in rows:
            if not selected(key):
                continue
            try:
                run()
            except Exception as e:  # a failure is a result too
                failed(key, setting, tool, method, e)
            if args.json:
                write_json(args.json, results[-1:], linear_params)
    return results, notes, cfg, len(names), fp32_linear, linear_params, fp32_total, n_tokens, n_chars, len(calib)


def markdown(results, notes, cfg, n_linear, fp32_linear, linear_params, fp32_total, n_tokens, n_chars,
             n_calib):
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    import nncf
    fp32 = next((r for r in results if r["key"] == "ort-fp32"), None)
    last = (cfg.get("log") or [{}])[-1]
    seq, vocab = cfg["ctx"], len(cfg["vocab"])
    cmd = "python3 benchmarks/causal_lm_quality.py" + (" --quick" if args.quick else "")
    lines = [
        "# Causal LM with trained weights: perplexity after compression", "",
        f"{datetime.date.today()} · {cpu} · {os.cpu_count()} cores · commit {commit}"
        f"{f' (qslc, qsl-run built at {args.tools_commit})' if args.tools_commit else ''} · "
        f"onnxruntime {ort.__version__} · nncf {nncf.__version__} · numpy {np.__version__}", "",
        f"Command: `bash benchmarks/causal_lm/make_model.sh && {cmd}` "
        "(model, data and training: [benchmarks/causal_lm/README.md](../causal_lm/README.md)).", "",
        f"Model: a GPT-style decoder, {cfg['parameters']:,} parameters (d_model {cfg['d_model']}, "
        f"{cfg['layers']} layers, {cfg['heads']} heads, context {seq}, {vocab} BPE tokens), trained "
        f"on CPU on five Jane Austen novels ({cfg['train_seconds'] / 60:.0f} min, {last.get('step')} "
        f"steps; last train loss {last.get('train_loss', float('nan')):.3f}, held-out "
        f"{last.get('heldout_loss', float('nan')):.3f} nats/token). Held-out text: the start of "
        f"Persuasion, never trained on, {EVAL_FILES} batches of {BATCH}x{seq} tokens in "
        f"non-overlapping windows; each window predicts its tokens 1..{seq - 1}: {n_tokens} "
        f"predicted tokens ({n_chars} characters). Perplexity = exp(mean next-token "
        "cross-entropy); bits/char = the same total cross-entropy in bits over the characters of "
        f"the predicted tokens. Calibration: {n_calib} batches of {BATCH}x{seq} = "
        f"{n_calib * BATCH * seq} tokens at fixed random offsets in the training novels, the same "
        "arrays for every data-aware method.", "",
        f"Compressed: the {n_linear} linear (MatMul) weights of the blocks, {linear_params:,} "
        f"parameters, {fp32_linear / 1e6:.2f} MB in fp32 (all initializers {fp32_total / 1e6:.2f} MB); "
        f"the lm head ({cfg['d_model']}x{vocab}), embeddings, biases and LayerNorms stay fp32 in "
        "every row. QSL pipelines: exactly benchmarks/minilm_quality.py's QSL_PIPELINES with "
        "`exclude=lm_head` added to each pass. Linear MB: those weights after compression (QSL: "
        "`--report` totals.compressed_bytes_after, i.e. codes, scales, zero points and sparsity "
        "metadata; structured pruning rows: the narrower fp32 weights, i.e. fp32 MB minus what the "
        "model lost in `--report` totals.model_bytes_before - model_bytes_after; peers: the change in "
        "initializer/constant bytes); bits/param = 8 x bytes / parameters (of the unpruned "
        "weights).", "",
        "| setting | tool | pipeline / method | linear MB | bits/param | perplexity | bits/char | Δ ppl vs fp32 | 95% interval |",
        "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        method = r["method"].replace("|", "\\|")
        method = f"`{method}`" if r["tool"] == "QSL" and r["setting"] != "fp32" else method
        if r.get("ppl") is None:
            note = r["note"].replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {r['setting']} | {r['tool']} | {method} | | | n/a: {note} | | | |")
            continue
        bits = 8 * r["size"] / linear_params
        delta = "" if fp32 is None or r["setting"] == "fp32" else \
            f"{r['ppl'] - fp32['ppl']:+.3f} ({100 * (r['ppl'] / fp32['ppl'] - 1):+.2f}%)"
        ci = "" if r.get("ci") is None or r["setting"] == "fp32" else f"±{r['ci']:.2f}%"
        lines.append(f"| {r['setting']} | {r['tool']} | {method} | {r['size'] / 1e6:.2f} | {bits:.2f} | "
                     f"{r['ppl']:.3f} | {r['bpc']:.4f} | {delta} | {ci} |")
    lines += ["", "- 95% interval: ±1.96 standard errors of the change in mean cross-entropy, from "
              f"the per-window differences to onnxruntime fp32 (paired, the {EVAL_FILES * BATCH} windows as samples), "
              "in % of perplexity: changes inside it are not distinguishable on this much text. "
              "Rows marked (extra) are not settings of the issue: lower bit widths, to show where "
              "RTN and GPTQ part on this model."]
    lines += [f"- {n}." for n in notes]
    qnotes = [f"`{r['key']}`: {r['note']}" for r in results if r["tool"] == "QSL" and r.get("ppl") and r["note"]]
    if qnotes:
        lines += ["- QSL methods as its report names them: " + "; ".join(qnotes) + "."]
    lines += ["- Peers: onnxruntime's MatMulNBitsQuantizer (`nodes_to_exclude=['lm_head']`) runs "
              "in onnxruntime with fp32 activations (accuracy level 1); NNCF's ONNX backend "
              "compresses the model converted to opset 21; NNCF's GPTQ exists only in its OpenVINO "
              "backend, so that row runs in OpenVINO with f32 inference. No peer prunes an ONNX "
              "model after training: the sparsity rows are QSL's alone."]
    return "\n".join(lines) + "\n"


def check_same_model(path, fp32_ppl):
    """Training is not bitwise reproducible (JAX's CPU reductions), so a
    retrained gpt.onnx is a different model: rows measured on it must not be
    merged with rows of another training. The onnxruntime fp32 perplexity
    identifies the model; re-measuring every point (--only '') is allowed."""
    if not os.path.exists(path) or args.only == [""]:
        return
    with open(path) as f:
        kept = {r["key"]: r for r in json.load(f).get("rows", [])}
    old = kept.get("ort-fp32", {}).get("quality")
    if old is not None and abs(old - fp32_ppl) > 1e-9 * old:
        sys.exit(f"{path}: its rows were measured on another training of the model "
                 f"(onnxruntime fp32 perplexity {old:.4f} there, {fp32_ppl:.4f} now); "
                 f"re-measure every point (quality_curves.py --model causal-lm) instead of --only")


def write_json(path, results, linear_params):
    """Merges the rows into the JSON of quality_curves.py: quality =
    perplexity, bits per parameter of the linear weights (fp32: 32)."""
    import curve_points
    rows = [dict(family=r["setting"], key=r["key"], tool=r["tool"], method=r["method"],
                 quality=r.get("ppl"), bytes=r.get("size"),
                 bits=None if r.get("size") is None or r.get("ppl") is None else 8 * r["size"] / linear_params,
                 interval_pct=r.get("ci"), seconds=r.get("secs"), note=r.get("note", ""))
            for r in results]
    curve_points.merge_rows(path, dict(model="causal LM (Austen GPT)", metric="perplexity",
                                       higher_is_better=False, params=linear_params,
                                       n_eval=EVAL_FILES * BATCH), rows)


if __name__ == "__main__":
    t_start = time.perf_counter()
    if args.curves:
        args.only = args.only or [""]   # every curve point; never the table's results file
    out = main()
    report = markdown(*out)
    if not args.quick and not args.only:
        path = os.path.join(root, "benchmarks", "results", "causal-lm-quality.md")
        with open(path, "w") as f:
            f.write(report)
        print(f"wrote {path}")
    print(report)
    print(f"total {time.perf_counter() - t_start:.0f} s")
