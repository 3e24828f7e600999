#!/usr/bin/env python3
"""MiniLM-L6 compression quality: how close the sentence embeddings of the
compressed real all-MiniLM-L6-v2 stay to fp32, QSL next to onnxruntime's
MatMulNBitsQuantizer (was MatMul4BitsQuantizer) and NNCF's compress_weights, same model, same text,
same calibration data, one run of this script. A second table times GPTQ
itself on one 4096x4096 matrix with 2048 calibration tokens.

    python3 benchmarks/minilm_quality.py [--quick] [--only NAME...]

Text: benchmarks/data/eval.txt (384 sentences) and calib.txt (a disjoint
160), from Jane Austen's novels (see benchmarks/data/README.md). The eval
sentences run as batches of 64 x 32 tokens (padded, with the attention
mask); the calibration set is one batch of the same shape, 2048 tokens of
calibration text packed without padding. Every tool gets exactly these
arrays. Quality is the cosine similarity of output 0 (sentence_embedding)
to the fp32 model's, run by onnxruntime (NNCF's GPTQ only exists in its
OpenVINO backend, so those rows run in OpenVINO, fp32 inference).

--quick evaluates 64 sentences and times GPTQ on a 1024x1024 matrix (smoke
test); --only runs the rows whose key contains one of the NAMEs (keys are
printed, e.g. `--only qsl`, `--only gptq4`, `--only speed`). Only a full
run writes benchmarks/results/minilm-quality.md.

Peers (not needed by the build or the tests, so not in scripts/setup.sh):
    pip install nncf==3.4.0 openvino==2026.4.1 onnx-ir==1.1.0
(onnx-ir: onnxruntime 1.32's matmul_nbits_quantizer does not import without it).
"""
import argparse
import concurrent.futures
import contextlib
import datetime
import importlib.util
import io
import json
import logging
import os
import platform
import subprocess
import sys
import tempfile
import time
import types

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, "models", "minilm"))
from build_onnx import build, tokenize  # noqa: E402
from curve_points import needs_calibration  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true", help="64 eval sentences, small GPTQ timing")
parser.add_argument("--only", nargs="+", metavar="NAME", help="run rows whose key contains NAME")
parser.add_argument("--build", default=os.path.join(root, "build"))
parser.add_argument("--curves", action="store_true",
                    help="run the quality-vs-size curve points (benchmarks/curve_points.py) "
                    "instead of the table's rows; see benchmarks/quality_curves.py")
parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
args = parser.parse_args()
bin_dir = os.path.join(args.build, "bin")
logging.disable(logging.WARNING)  # onnxruntime's quantizer logs every node; NNCF warns of 1-sample datasets

BATCH, SEQ = 64, 32            # every batch, eval and calibration, is BATCH x SEQ
N_EVAL = 64 if args.quick else 384
SPEED_N, SPEED_TOKENS = (1024, 512) if args.quick else (4096, 2048)

# QSL pipelines, one per setting of the issue. The 2:4 + int4 row combines
# the most accurate pruning and quantization methods.
QSL_PIPELINES = {
    "int8": "qsl-quantize{bits=8 group=0 method=rtn}",
    "rtn4": "qsl-quantize{bits=4 group=128 method=rtn}",
    "gptq4": "qsl-quantize{bits=4 group=128 method=gptq range=mse damp=0.1}",
    "gptq3": "qsl-quantize{bits=3 group=128 method=gptq range=mse damp=0.1}",
    "awq4": "qsl-quantize{bits=4 group=128 method=awq range=mse}",
    "24-magnitude": "qsl-prune{pattern=2:4 method=magnitude}",
    "24-wanda": "qsl-prune{pattern=2:4 method=wanda}",
    "24-sparsegpt": "qsl-prune{pattern=2:4 method=sparsegpt}",
    "50-sparsegpt": "qsl-prune{pattern=unstructured sparsity=0.5 method=sparsegpt}",
    "24-int4": "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4 group=128 method=gptq range=mse damp=0.1}",
    "ffn25-flap": "qsl-prune-structured{ratio=0.25 method=flap}",
    "ffn25-magnitude": "qsl-prune-structured{ratio=0.25 method=magnitude}",
    "ffn50-flap": "qsl-prune-structured{ratio=0.5 method=flap}",
    "ffn25-flap-global": "qsl-prune-structured{ratio=0.25 method=flap structure=global}",
    "ffn50-flap-global": "qsl-prune-structured{ratio=0.5 method=flap structure=global}",
    "ffn25-flap-gptq4": "qsl-prune-structured{ratio=0.25 method=flap},qsl-quantize{bits=4 group=128 method=gptq range=mse damp=0.1}",
    "gptq3-eora32": "qsl-quantize{bits=3 group=128 method=gptq range=mse damp=0.1},qsl-compensate{rank=32 method=eora}",
    "gptq3-lqer32": "qsl-quantize{bits=3 group=128 method=gptq range=mse damp=0.1},qsl-compensate{rank=32 method=lqer}",
    "heads25-flap": "qsl-prune-structured{target=heads ratio=0.25 method=flap}",
    "heads25-magnitude": "qsl-prune-structured{target=heads ratio=0.25 method=magnitude}",
    "heads25-flap-global": "qsl-prune-structured{target=heads ratio=0.25 method=flap structure=global}",
    "heads50-flap": "qsl-prune-structured{target=heads ratio=0.5 method=flap}",
    "heads25-ffn25-flap": "qsl-prune-structured{target=heads ratio=0.25 method=flap},qsl-prune-structured{ratio=0.25 method=flap}",
    # qsl-allocate at the sizes of the uniform gptq3 / gptq4 rows (their
    # bits per parameter, scales and zero points included), with their
    # GPTQ settings, and the auto-<B>bit presets (default settings).
    "alloc-3.15": "qsl-allocate{budget-bits=3.1484 range=mse damp=0.1}",
    "alloc-4.16": "qsl-allocate{budget-bits=4.1562 range=mse damp=0.1}",
    "alloc-rel-3.15": "qsl-allocate{budget-bits=3.1484 range=mse damp=0.1 objective=relative-output-error}",
    "alloc-rel-4.16": "qsl-allocate{budget-bits=4.1562 range=mse damp=0.1 objective=relative-output-error}",
    "alloc-rel-no2-4.16": "qsl-allocate{budget-bits=4.1562 range=mse damp=0.1 objective=relative-output-error "
                          "candidates=w3g64,w3g128,w4g64,w4g128,w5g128,w6g128,w8}",
    # The same with the end-to-end refinement (EvoPress-style search), at
    # exactly the uniform rows' sizes (3 + (16 + 3) / 128 bits: an f16 scale
    # and a 3-bit zero point per group of 128; 4 + 20 / 128), so that the
    # uniform settings themselves fit and are among the search's seeds.
    "alloc-e2e-3.15": "qsl-allocate{budget-bits=3.1484375 range=mse damp=0.1 objective=relative-output-error "
                      "refine-generations=20}",
    "alloc-e2e-4.16": "qsl-allocate{budget-bits=4.15625 range=mse damp=0.1 objective=relative-output-error "
                      "refine-generations=20}",
    "auto-3bit": "qsl-compress-pipeline{preset=auto-3bit data-aware}",
    "auto-3.5bit": "qsl-compress-pipeline{preset=auto-3.5bit data-aware}",
    "auto-4.5bit": "qsl-compress-pipeline{preset=auto-4.5bit data-aware}",
    "spqr3-g128": "qsl-outliers{bits=3 group=128 max-fraction=0.005 damp=0.1}",
    "spqr3-g16": "qsl-outliers{bits=3 group=16 max-fraction=0.01 damp=0.1}",
    "squeezellm3": "qsl-quantize{bits=3 method=squeezellm}",
    "squeezellm4": "qsl-quantize{bits=4 method=squeezellm}",
}


def selected(key):
    return not args.only or any(name in key for name in args.only)


# --- Data ---------------------------------------------------------------------

def read_sentences(name):
    with open(os.path.join(root, "benchmarks", "data", name)) as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def eval_batches(sentences):
    """BATCH x SEQ batches, padded with the attention mask; the last batch is
    filled up with repeats of the first sentence (their rows are dropped)."""
    rows = sentences + sentences[:1] * (-len(sentences) % BATCH)
    assert tokenize(rows, SEQ + 1)["attention_mask"][:, -1].sum() == 0, "a sentence exceeds SEQ"
    inputs = tokenize(rows, SEQ)
    return [{k: v[i:i + BATCH] for k, v in inputs.items()} for i in range(0, len(rows), BATCH)]


def calibration_batch(sentences):
    """One BATCH x SEQ batch of running text without padding: the sentences'
    word pieces concatenated and cut into rows of [CLS] SEQ-2 pieces [SEP]."""
    tok = tokenize(sentences, 4 * SEQ)
    cls, stream = tok["input_ids"][0, 0], []
    for ids, n in zip(tok["input_ids"], tok["attention_mask"].sum(1)):
        sep = ids[n - 1]
        stream.extend(ids[1:n - 1])
    width = SEQ - 2
    assert len(stream) >= BATCH * width, "not enough calibration text"
    body = np.array(stream[:BATCH * width], np.int64).reshape(BATCH, width)
    ids = np.concatenate([np.full((BATCH, 1), cls), body, np.full((BATCH, 1), sep)], axis=1)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


# --- ONNX helpers -------------------------------------------------------------

def ort_session(path):
    opts = ort.SessionOptions()
    # onnxruntime fuses DequantizeLinear+MatMul into MatMulNBits with int8
    # activations (accuracy level 4) by default; keep activations in fp32 so
    # that only the weight compression is measured.
    opts.add_session_config_entry("session.qdq_matmulnbits_accuracy_level", "1")
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def embed_ort(path, batches, n):
    sess = ort_session(path)
    return np.concatenate([sess.run(["sentence_embedding"], b)[0] for b in batches])[:n]


def tensor_bytes(t):
    """Stored bytes of an initializer (external, raw or typed fields)."""
    if t.data_location == TensorProto.EXTERNAL:
        return int(next(e.value for e in t.external_data if e.key == "length"))
    if t.raw_data:
        return len(t.raw_data)
    return numpy_helper.to_array(t).nbytes


def initializer_bytes(path):
    model = onnx.load(path, load_external_data=False)
    return sum(tensor_bytes(t) for t in model.graph.initializer)


def matmul_weight_names(model):
    """The 2-D initializers multiplied by MatMul nodes (the 36 Linear weights)."""
    inits = {t.name: t for t in model.graph.initializer}
    return [n.input[1] for n in model.graph.node
            if n.op_type == "MatMul" and n.input[1] in inits and len(inits[n.input[1]].dims) == 2]


def save(model, path):
    onnx.save(model, path, save_as_external_data=True, location=os.path.basename(path) + ".data")
    return path


def with_node_names(src, dst):
    """A copy with every node named: onnxruntime's GPTQ looks MatMul nodes up
    by name, and build_onnx.py leaves them unnamed."""
    model = onnx.load(src)
    for i, node in enumerate(model.graph.node):
        node.name = node.name or f"{node.op_type}_{i}"
    return save(model, dst)


@contextlib.contextmanager
def quiet():
    """NNCF and onnxruntime's GPTQ print progress bars and tables."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


# --- Peers: onnxruntime -----------------------------------------------------

from onnxruntime.quantization import CalibrationDataReader  # noqa: E402
from onnxruntime.quantization.matmul_nbits_quantizer import (  # noqa: E402
    DefaultWeightOnlyQuantConfig, GPTQWeightOnlyQuantConfig, MatMulNBitsQuantizer)


class Reader(CalibrationDataReader):
    """The calibration batches for onnxruntime; its GPTQ deep-copies the reader."""

    def __init__(self, batches):
        self.batches, self.it = batches, iter(batches)

    def get_next(self):
        return next(self.it, None)

    def rewind(self):
        self.it = iter(self.batches)

    def __deepcopy__(self, memo):
        return Reader(self.batches)


@contextlib.contextmanager
def ort_gptq_workarounds(model_dir):
    """Three fixes to onnxruntime's GPTQ path (neural_compressor/weight_only.py),
    none touching the algorithm:
    - its to_numpy() imports torch even for numpy inputs: a stub module
      stands in while quantizing, when torch is not installed;
    - it opens sessions on the serialized model, whose external data then
      resolves against the current directory: run it in the model's folder;
    - its MatMulNBits builder packs asymmetric 4-bit zero points two per
      byte across rows, which fails for an odd number of blocks per column
      (K=384, g128: 3 blocks). They are packed per row here, as MatMulNBits
      defines them ([N, ceil(blocks/2)], padding nibble 8)."""
    from onnxruntime.quantization.neural_compressor import weight_only
    original = weight_only.make_matmul_weight_only_node

    def make_node(node, weight_shape, num_bits, group_size, k_blocks, q_weight, scale, zero_point,
                  accuracy_level=0):
        if zero_point is None or num_bits != 4:
            return original(node, weight_shape, num_bits, group_size, k_blocks, q_weight, scale,
                            zero_point, accuracy_level)
        new_node, inits = original(node, weight_shape, num_bits, group_size, k_blocks, q_weight,
                                   scale, None, accuracy_level)
        zp = np.asarray(zero_point, np.uint8).reshape(weight_shape[1], k_blocks)
        if k_blocks % 2:
            zp = np.pad(zp, ((0, 0), (0, 1)), constant_values=8)
        packed = (zp[:, 0::2] | (zp[:, 1::2] << 4)).astype(np.uint8)
        name = node.input[1] + "_zp"
        inits.append(helper.make_tensor(name, TensorProto.UINT8, packed.shape, packed.tobytes(), raw=True))
        new_node.input.insert(3, name)  # A, B, scales, zero_points
        return new_node, inits

    stub = "torch" not in sys.modules and importlib.util.find_spec("torch") is None
    if stub:
        sys.modules["torch"] = types.ModuleType("torch")
    weight_only.make_matmul_weight_only_node = make_node
    try:
        with contextlib.chdir(model_dir):
            yield
    finally:
        weight_only.make_matmul_weight_only_node = original
        if stub:
            del sys.modules["torch"]


def ort_rtn(model, out, bits, symmetric):
    q = MatMulNBitsQuantizer(model, algo_config=DefaultWeightOnlyQuantConfig(
        block_size=128, is_symmetric=symmetric, bits=bits))
    q.process()
    q.model.save_model_to_file(out, use_external_data_format=True)
    return out


def ort_gptq(model, out, bits, symmetric, calib):
    """onnxruntime's GPTQ (block 128, damp 0.01, no act-order: its defaults).
    It builds MatMulNBits only for 4 bits; other widths are asked for per node
    and come back as fake-quantized fp32 weights. out=None: not saved."""
    config = GPTQWeightOnlyQuantConfig(calibration_data_reader=Reader(calib), block_size=128)
    if bits != 4:
        names = [n.name for n in onnx.load(model, load_external_data=False).graph.node
                 if n.op_type == "MatMul"]
        config.customized_weight_config = {n: {"bits": bits} for n in names}
    q = MatMulNBitsQuantizer(model, is_symmetric=symmetric, algo_config=config)
    with ort_gptq_workarounds(os.path.dirname(os.path.abspath(model))), quiet():
        q.process()
    if out:
        q.model.save_model_to_file(out, use_external_data_format=True)
    return out


# --- Peers: NNCF ----------------------------------------------------------------

def nncf_onnx(model21, out, mode, calib=None, **options):
    """nncf.compress_weights on the ONNX model (opset 21, so that NNCF writes
    standard DequantizeLinear with block_size: at opset < 21 it writes
    MatMulNBits with unpacked zero points, which onnxruntime 1.32 rejects).
    Embedding Gathers are left alone, as QSL and onnxruntime do."""
    import nncf
    dataset = nncf.Dataset(calib) if calib else None
    with quiet():
        compressed = nncf.compress_weights(onnx.load(model21), mode=mode, dataset=dataset,
                                           ignored_scope=nncf.IgnoredScope(types=["Gather"], validate=False),
                                           **options)
    return save(compressed, out)


def nncf_openvino(model, mode, calib, **options):
    """nncf.compress_weights on the model converted to OpenVINO (NNCF's GPTQ
    exists only in that backend)."""
    import nncf
    import openvino as ov
    with quiet():
        return nncf.compress_weights(ov.convert_model(model), mode=mode, dataset=nncf.Dataset(calib),
                                     ignored_scope=nncf.IgnoredScope(types=["Gather"], validate=False),
                                     **options)


def embed_openvino(ov_model, batches, n):
    import openvino as ov
    # fp32 inference, no dynamic quantization of activations.
    compiled = ov.Core().compile_model(ov_model, "CPU", {"INFERENCE_PRECISION_HINT": "f32",
                                                         "DYNAMIC_QUANTIZATION_GROUP_SIZE": "0"})
    out = compiled.output("sentence_embedding")
    return np.concatenate([compiled(b)[out] for b in batches])[:n]


def openvino_constant_bytes(ov_model):
    return sum(op.get_byte_size() for op in ov_model.get_ops() if op.get_type_name() == "Constant")


# --- Reference (not a peer): 2:4 magnitude pruning in numpy -----------------------

def numpy_magnitude_24(model, out):
    """Keeps the 2 largest |w| of every 4 consecutive weights along K (the
    reduction dimension) of each MatMul weight; the result stays dense fp32."""
    m = onnx.load(model)
    names = set(matmul_weight_names(m))
    for t in m.graph.initializer:
        if t.name in names:
            w = numpy_helper.to_array(t).copy()
            groups = w.T.reshape(w.shape[1], -1, 4)                   # [N, K/4, 4]
            drop = np.argsort(np.abs(groups), axis=-1, kind="stable")[..., :2]
            np.put_along_axis(groups, drop, 0.0, axis=-1)
            t.CopyFrom(numpy_helper.from_array(np.ascontiguousarray(groups.reshape(w.shape[1], -1).T), t.name))
    return save(m, out)


# --- QSL ------------------------------------------------------------------------

class QslUnavailable(Exception):
    pass


def qslc_missing_flags():
    """A note when this qslc cannot run the compression pipelines, else None."""
    qslc = os.path.join(bin_dir, "qslc")
    if not os.path.exists(qslc):
        return f"no {qslc}"
    text = subprocess.run([qslc, "--help"], capture_output=True, text=True).stdout
    missing = [f for f in ("--calibrate", "--pipeline", "--report") if f"{f}=" not in text]
    return f"qslc lacks {', '.join(missing)}" if missing else None


def run_qsl(model_path, pipeline, calib_npz_paths, eval_npz_paths, report_path=None, timings=None):
    """Compiles `model_path` with `pipeline`, calibrating on the .npz batches
    in calib_npz_paths (none: no --calibrate, for data-free pipelines), runs
    each eval batch with qsl-run (one process per core: qsl-run uses one
    thread) and returns the sentence embeddings of all batches, concatenated.
    The compression report goes to report_path; timings (a dict), if given,
    gets the seconds of the compile and of the runs."""
    with np.load(eval_npz_paths[0]) as first:
        shapes = [f"--input-shape={k}={'x'.join(map(str, v.shape))}" for k, v in first.items()]
    with tempfile.TemporaryDirectory() as d:
        module = os.path.join(d, "minilm.mlirbc")
        report_path = report_path or os.path.join(d, "report.json")
        cmd = ([os.path.join(bin_dir, "qslc"), model_path, "-o", module] + shapes +
               ([f"--calibrate={','.join(calib_npz_paths)}"] if calib_npz_paths else []) +
               [f"--pipeline={pipeline}", f"--report={report_path}"])
        start = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            if "Unknown command line argument" in p.stderr:
                flag = p.stderr.split("argument")[1].split("=")[0].strip(" '")
                raise QslUnavailable(f"qslc lacks {flag}")
            raise RuntimeError(f"qslc failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        compiled = time.perf_counter()

        def run(i):
            got = os.path.join(d, f"out{i}.npz")
            p = subprocess.run([os.path.join(bin_dir, "qsl-run"), module, "--input",
                                eval_npz_paths[i], "--output", got], capture_output=True, text=True)
            if p.returncode != 0:
                raise RuntimeError(f"qsl-run failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
            with np.load(got) as out:
                return out["sentence_embedding"]

        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 1) as pool:
            outs = list(pool.map(run, range(len(eval_npz_paths))))
        if timings is not None:
            timings["compile_s"] = compiled - start
            timings["run_s"] = time.perf_counter() - compiled
        return np.concatenate(outs)


def read_qsl_report(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def qsl_compressed_bytes(report):
    """Bytes of the MatMul weights after the pipeline, from qslc's --report
    JSON: the sum of every weight's bytes_after (compressed ones at their
    storage size, the rest dense, so a structured pruning's narrower dense
    weights count too); else report["totals"]["compressed_bytes_after"], or
    an older report["total"]["bytes_after"]; None when absent."""
    try:
        return sum(int(w["bytes_after"]) for w in report["weights"])
    except (TypeError, KeyError, ValueError):
        pass
    for section, key in (("totals", "compressed_bytes_after"), ("total", "bytes_after")):
        try:
            return int(report[section][key])
        except (TypeError, KeyError, ValueError):
            pass
    return None


def qsl_methods(report):
    """The distinct per-weight "method" strings of qslc's report (e.g. 'gptq
    w4 g128 asym'), joined, without AWQ's per-weight details (', alpha 0.25
    duo, ...'); empty when the report has none."""
    try:
        return ", ".join(sorted({w["method"].split(", alpha")[0]
                                 for w in report["weights"] if w.get("method")}))
    except (TypeError, KeyError):
        return ""


# --- The quality table ------------------------------------------------------------

def cosines(emb, ref):
    c = np.sum(emb * ref, 1) / (np.linalg.norm(emb, axis=1) * np.linalg.norm(ref, axis=1))
    return float(c.mean()), float(c.min())


def main():
    qsl_note = qslc_missing_flags()
    eval_sentences = read_sentences("eval.txt")[:N_EVAL]
    batches = eval_batches(eval_sentences)
    calib = [calibration_batch(read_sentences("calib.txt"))]
    with tempfile.TemporaryDirectory() as work:
        model = build(os.path.join(work, "minilm"))
        named = with_node_names(model, os.path.join(work, "named.onnx"))
        fp32_model = onnx.load(model)
        weight_names = matmul_weight_names(fp32_model)
        inits = {t.name: t for t in fp32_model.graph.initializer}
        fp32_weight_bytes = sum(numpy_helper.to_array(inits[n]).nbytes for n in weight_names)
        fp32_total = sum(numpy_helper.to_array(t).nbytes for t in fp32_model.graph.initializer)
        untouched = fp32_total - fp32_weight_bytes   # embeddings, biases, LayerNorms
        del fp32_model, inits
        # NNCF's ONNX input: the same model at opset 21 (see nncf_onnx).
        from onnx import version_converter
        m21 = version_converter.convert_version(onnx.load(model), 21)
        model21 = save(m21, os.path.join(work, "minilm21.onnx"))
        del m21

        calib_paths, eval_paths = [], []
        for i, b in enumerate(calib):
            calib_paths.append(os.path.join(work, f"calib{i}.npz"))
            np.savez(calib_paths[-1], **b)
        for i, b in enumerate(batches):
            eval_paths.append(os.path.join(work, f"eval{i}.npz"))
            np.savez(eval_paths[-1], **b)

        start = time.perf_counter()
        ref = embed_ort(model, batches, N_EVAL)
        print(f"fp32 reference: {N_EVAL} sentences in {len(batches)} batches of {BATCH}x{SEQ}, "
              f"{time.perf_counter() - start:.1f} s; calibration {len(calib)}x{BATCH}x{SEQ} tokens; "
              f"MatMul weights {fp32_weight_bytes / 1e6:.2f} MB fp32", flush=True)
        if qsl_note:
            print(f"note: QSL rows skipped: {qsl_note}", flush=True)

        def onnx_row(make):
            """Compress with `make(out_path)`; embed with onnxruntime."""
            def run():
                out = os.path.join(work, "peer.onnx")
                t0 = time.perf_counter()
                make(out)
                t1 = time.perf_counter()
                emb = embed_ort(out, batches, N_EVAL)
                size = initializer_bytes(out) - untouched
                for f in os.listdir(work):
                    if f.startswith("peer.onnx"):
                        os.remove(os.path.join(work, f))
                return emb, size, t1 - t0, ""
            return run

        def openvino_row(mode, **options):
            def run():
                import openvino as ov
                t0 = time.perf_counter()
                compressed = nncf_openvino(model, mode, calib, **options)
                t1 = time.perf_counter()
                base = openvino_constant_bytes(ov.convert_model(model)) - fp32_weight_bytes
                size = openvino_constant_bytes(compressed) - base
                return embed_openvino(compressed, batches, N_EVAL), size, t1 - t0, ""
            return run

        def qsl_row(setting, pipeline=None):
            def run():
                if qsl_note:
                    raise QslUnavailable(qsl_note)
                report_path = os.path.join(work, "report.json")
                if os.path.exists(report_path):
                    os.remove(report_path)
                timings = {}
                pipeline_ = pipeline or QSL_PIPELINES[setting]
                emb = run_qsl(model, pipeline_, calib_paths if needs_calibration(pipeline_) else [],
                              eval_paths, report_path, timings)
                report = read_qsl_report(report_path)
                return (emb[:N_EVAL], qsl_compressed_bytes(report), timings["compile_s"],
                        qsl_methods(report))
            return run

        import nncf
        M = nncf.CompressWeightsMode
        # (setting, bits for the GPTQ check or None, key, tool, method, run)
        rows = [
            ("int8 per-channel", None, "qsl-int8", "QSL", QSL_PIPELINES["int8"], qsl_row("int8")),
            ("int8 per-channel", None, "nncf-int8-asym", "NNCF (ONNX)", "INT8_ASYM, per-channel",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT8_ASYM))),
            ("int8 per-channel", None, "nncf-int8-sym", "NNCF (ONNX)", "INT8_SYM, per-channel",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT8_SYM))),
            ("int8 per-channel", None, "ort-int8-g128", "onnxruntime", "RTN 8-bit asym, g128 "
             "(per-channel not offered)", onnx_row(lambda o: ort_rtn(named, o, 8, False))),
            ("int4 g128 RTN", 4, "qsl-rtn4", "QSL", QSL_PIPELINES["rtn4"], qsl_row("rtn4")),
            ("int4 g128 RTN", 4, "ort-rtn4-asym", "onnxruntime", "RTN asym",
             onnx_row(lambda o: ort_rtn(named, o, 4, False))),
            ("int4 g128 RTN", 4, "ort-rtn4-sym", "onnxruntime", "RTN sym",
             onnx_row(lambda o: ort_rtn(named, o, 4, True))),
            ("int4 g128 RTN", 4, "nncf-rtn4-asym", "NNCF (ONNX)", "INT4_ASYM, data-free",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT4_ASYM, group_size=128, ratio=1.0,
                                          all_layers=True))),
            ("int4 g128 RTN", 4, "nncf-rtn4-sym", "NNCF (ONNX)", "INT4_SYM, data-free",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT4_SYM, group_size=128, ratio=1.0,
                                          all_layers=True))),
            ("int4 g128 GPTQ", 4, "qsl-gptq4", "QSL", QSL_PIPELINES["gptq4"], qsl_row("gptq4")),
            ("int4 g128 GPTQ", 4, "ort-gptq4-sym", "onnxruntime", "GPTQ sym",
             onnx_row(lambda o: ort_gptq(named, o, 4, True, calib))),
            ("int4 g128 GPTQ", 4, "ort-gptq4-asym", "onnxruntime", "GPTQ asym (zero-point packing fixed)",
             onnx_row(lambda o: ort_gptq(named, o, 4, False, calib))),
            ("int4 g128 GPTQ", 4, "nncf-gptq4-asym", "NNCF (OpenVINO)", "INT4_ASYM, gptq=True",
             openvino_row(M.INT4_ASYM, group_size=128, ratio=1.0, all_layers=True, gptq=True)),
            ("int4 g128 GPTQ", 4, "nncf-gptq4-sym", "NNCF (OpenVINO)", "INT4_SYM, gptq=True",
             openvino_row(M.INT4_SYM, group_size=128, ratio=1.0, all_layers=True, gptq=True)),
            ("int4 g128 GPTQ", 4, "nncf-awq-se4-asym", "NNCF (ONNX)", "INT4_ASYM, awq + scale_estimation",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT4_ASYM, calib, group_size=128, ratio=1.0,
                                          all_layers=True, awq=True, scale_estimation=True))),
            ("int4 g128 AWQ", 4, "qsl-awq4", "QSL", QSL_PIPELINES["awq4"], qsl_row("awq4")),
            ("int4 g128 AWQ", 4, "nncf-awq4-asym", "NNCF (ONNX)", "INT4_ASYM, awq=True",
             onnx_row(lambda o: nncf_onnx(model21, o, M.INT4_ASYM, calib, group_size=128, ratio=1.0,
                                          all_layers=True, awq=True))),
            ("int4 g128 AWQ", 4, "nncf-awq4-ov-asym", "NNCF (OpenVINO)", "INT4_ASYM, awq=True",
             openvino_row(M.INT4_ASYM, group_size=128, ratio=1.0, all_layers=True, awq=True)),
            ("int3 g128 GPTQ", 3, "qsl-gptq3", "QSL", QSL_PIPELINES["gptq3"], qsl_row("gptq3")),
            ("int3 g128 GPTQ + low-rank r32 (extra)", None, "qsl-gptq3-eora32", "QSL",
             QSL_PIPELINES["gptq3-eora32"], qsl_row("gptq3-eora32")),
            ("int3 g128 GPTQ + low-rank r32 (extra)", None, "qsl-gptq3-lqer32", "QSL",
             QSL_PIPELINES["gptq3-lqer32"], qsl_row("gptq3-lqer32")),
            ("int3 g128 SpQR, 0.5% f16 outliers (extra)", None, "qsl-spqr3-g128", "QSL",
             QSL_PIPELINES["spqr3-g128"], qsl_row("spqr3-g128")),
            ("int3 g16 SpQR, 1% f16 outliers (extra)", None, "qsl-spqr3-g16", "QSL",
             QSL_PIPELINES["spqr3-g16"], qsl_row("spqr3-g16")),
            ("int3 g128 GPTQ", 3, "ort-gptq3-asym", "onnxruntime", "GPTQ asym, 3-bit (fake-quantized fp32)",
             onnx_row(lambda o: ort_gptq(named, o, 3, False, calib))),
            ("int3 g128 GPTQ", 3, "nncf-gptq3-sym", "NNCF (OpenVINO)", "INT3_SYM, gptq=True",
             openvino_row(M.INT3_SYM, group_size=128, ratio=1.0, all_layers=True, gptq=True)),
            ("2:4 magnitude", None, "qsl-24-magnitude", "QSL", QSL_PIPELINES["24-magnitude"],
             qsl_row("24-magnitude")),
            ("2:4 magnitude", None, "numpy-24-magnitude", "numpy (reference, not a peer)",
             "2 largest of 4 along K, dense fp32", onnx_row(lambda o: numpy_magnitude_24(model, o))),
            ("2:4 Wanda", None, "qsl-24-wanda", "QSL", QSL_PIPELINES["24-wanda"], qsl_row("24-wanda")),
            ("2:4 SparseGPT", None, "qsl-24-sparsegpt", "QSL", QSL_PIPELINES["24-sparsegpt"],
             qsl_row("24-sparsegpt")),
            ("50% SparseGPT", None, "qsl-50-sparsegpt", "QSL", QSL_PIPELINES["50-sparsegpt"],
             qsl_row("50-sparsegpt")),
            ("2:4 + int4", None, "qsl-24-int4", "QSL", QSL_PIPELINES["24-int4"], qsl_row("24-int4")),
            ("FFN channels -25% (structured)", None, "qsl-ffn25-flap", "QSL", QSL_PIPELINES["ffn25-flap"],
             qsl_row("ffn25-flap")),
            ("FFN channels -25% (structured)", None, "qsl-ffn25-magnitude", "QSL",
             QSL_PIPELINES["ffn25-magnitude"], qsl_row("ffn25-magnitude")),
            ("FFN channels -25% (structured)", None, "qsl-ffn25-flap-global", "QSL",
             QSL_PIPELINES["ffn25-flap-global"], qsl_row("ffn25-flap-global")),
            ("FFN channels -50% (structured)", None, "qsl-ffn50-flap", "QSL", QSL_PIPELINES["ffn50-flap"],
             qsl_row("ffn50-flap")),
            ("FFN channels -50% (structured)", None, "qsl-ffn50-flap-global", "QSL",
             QSL_PIPELINES["ffn50-flap-global"], qsl_row("ffn50-flap-global")),
            ("FFN -25% + int4 GPTQ", None, "qsl-ffn25-flap-gptq4", "QSL", QSL_PIPELINES["ffn25-flap-gptq4"],
             qsl_row("ffn25-flap-gptq4")),
            ("attention heads -25% (structured)", None, "qsl-heads25-flap", "QSL", QSL_PIPELINES["heads25-flap"],
             qsl_row("heads25-flap")),
            ("attention heads -25% (structured)", None, "qsl-heads25-magnitude", "QSL",
             QSL_PIPELINES["heads25-magnitude"], qsl_row("heads25-magnitude")),
            ("attention heads -25% (structured)", None, "qsl-heads25-flap-global", "QSL",
             QSL_PIPELINES["heads25-flap-global"], qsl_row("heads25-flap-global")),
            ("attention heads -50% (structured)", None, "qsl-heads50-flap", "QSL", QSL_PIPELINES["heads50-flap"],
             qsl_row("heads50-flap")),
            ("heads -25% + FFN -25% (structured)", None, "qsl-heads25-ffn25-flap", "QSL",
             QSL_PIPELINES["heads25-ffn25-flap"], qsl_row("heads25-ffn25-flap")),
            ("allocated, int3 g128 size", None, "qsl-alloc-3.15", "QSL", QSL_PIPELINES["alloc-3.15"],
             qsl_row("alloc-3.15")),
            ("allocated, int4 g128 size", None, "qsl-alloc-4.16", "QSL", QSL_PIPELINES["alloc-4.16"],
             qsl_row("alloc-4.16")),
            ("allocated (relative error), int3 g128 size", None, "qsl-alloc-rel-3.15", "QSL",
             QSL_PIPELINES["alloc-rel-3.15"], qsl_row("alloc-rel-3.15")),
            ("allocated (relative error), int4 g128 size", None, "qsl-alloc-rel-4.16", "QSL",
             QSL_PIPELINES["alloc-rel-4.16"], qsl_row("alloc-rel-4.16")),
            ("allocated (relative error, no 2-bit), int4 g128 size", None, "qsl-alloc-rel-no2-4.16", "QSL",
             QSL_PIPELINES["alloc-rel-no2-4.16"], qsl_row("alloc-rel-no2-4.16")),
            ("allocated + end-to-end refinement, int3 g128 size", None, "qsl-alloc-e2e-3.15", "QSL",
             QSL_PIPELINES["alloc-e2e-3.15"], qsl_row("alloc-e2e-3.15")),
            ("allocated + end-to-end refinement, int4 g128 size", None, "qsl-alloc-e2e-4.16", "QSL",
             QSL_PIPELINES["alloc-e2e-4.16"], qsl_row("alloc-e2e-4.16")),
            ("allocated, auto-3bit", None, "qsl-auto-3bit", "QSL", QSL_PIPELINES["auto-3bit"],
             qsl_row("auto-3bit")),
            ("allocated, auto-3.5bit", None, "qsl-auto-3.5bit", "QSL", QSL_PIPELINES["auto-3.5bit"],
             qsl_row("auto-3.5bit")),
            ("allocated, auto-4.5bit", None, "qsl-auto-4.5bit", "QSL", QSL_PIPELINES["auto-4.5bit"],
             qsl_row("auto-4.5bit")),
            ("int3 per-channel codebook (SqueezeLLM)", 3, "qsl-squeezellm3", "QSL",
             QSL_PIPELINES["squeezellm3"], qsl_row("squeezellm3")),
            ("int4 per-channel codebook (SqueezeLLM)", 4, "qsl-squeezellm4", "QSL",
             QSL_PIPELINES["squeezellm4"], qsl_row("squeezellm4")),
        ]
        if args.curves:
            import curve_points
            rows = [(family, None, f"qsl-{key}", "QSL", pipeline, qsl_row(None, pipeline))
                    for family, key, pipeline in curve_points.QSL_CURVES]
            rows += [(family, None, key, "NNCF (OpenVINO)", curve_points.nncf_method(mode, options),
                      openvino_row(getattr(M, mode), **curve_points.nncf_options(options)))
                     for family, key, mode, options in curve_points.NNCF_CURVES]
        if args.only:
            print("rows:", " ".join(r[2] for r in rows if selected(r[2])) or "none; keys: " +
                  " ".join(r[2] for r in rows), flush=True)
        results = []
        for setting, bits, key, tool, method, run in rows:
            if not selected(key):
                continue
            t0 = time.perf_counter()
            try:
                emb, size, secs, note = run()
            except QslUnavailable as e:
                results.append((setting, bits, key, tool, method, None, None, None, None, str(e)))
                continue
            except Exception as e:  # a peer that fails is a result too
                why = f"{type(e).__name__}: {str(e).strip().splitlines()[-1][:200]}"
                print(f"[{key}] FAILED: {why}", flush=True)
                results.append((setting, bits, key, tool, method, None, None, None, None, why))
                continue
            mean, low = cosines(emb, ref)
            results.append((setting, bits, key, tool, method, mean, low, size, secs, note))
            if args.json:
                write_json(args.json, results[-1:], fp32_weight_bytes)
            print(f"[{key}] {tool} {method}: mean cosine {mean:.5f}, min {low:.5f}, "
                  f"weights {size / 1e6 if size else float('nan'):.2f} MB, compress {secs:.1f} s, "
                  f"row {time.perf_counter() - t0:.1f} s", flush=True)
        speed = speed_table(work) if selected("speed") and not args.curves else []
    return results, speed, fp32_weight_bytes, qsl_note


# --- The GPTQ speed table ---------------------------------------------------------

def speed_table(work):
    """GPTQ (4-bit, g128) of one SPEED_N x SPEED_N MatMul weight calibrated on
    SPEED_TOKENS tokens: onnxruntime, NNCF (OpenVINO backend) and qslc, each
    timed from the ONNX file to the compressed model."""
    import nncf
    rng = np.random.default_rng(0)
    n, tokens = SPEED_N, SPEED_TOKENS
    w = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    x = rng.standard_normal((1, tokens, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"], name="matmul")], "gptq_speed",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, tokens, n])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, tokens, n])],
        initializer=[numpy_helper.from_array(w, "W")])
    path = save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
                os.path.join(work, "speed.onnx"))
    calib_path = os.path.join(work, "speed_calib.npz")
    np.savez(calib_path, X=x)
    rows = []

    def timed(tool, what, fn):
        t0 = time.perf_counter()
        try:
            secs, extra = fn() or (None, "")
        except QslUnavailable as e:
            rows.append((tool, what, None, str(e)))
            return
        except Exception as e:
            why = f"{type(e).__name__}: {str(e).strip().splitlines()[-1][:200]}"
            print(f"[speed] {tool} FAILED: {why}", flush=True)
            rows.append((tool, what, None, why))
            return
        secs = secs or time.perf_counter() - t0
        rows.append((tool, what, secs, extra or ""))
        print(f"[speed] {tool}: {secs:.1f} s {extra or ''}", flush=True)

    def qslc(*extra):
        """Seconds of one qslc run on the speed model, emitting MLIR."""
        t0 = time.perf_counter()
        p = subprocess.run([os.path.join(bin_dir, "qslc"), path, f"--input-shape=X=1x{tokens}x{n}",
                            "--emit=mlir", "-o", os.devnull, *extra], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"qslc failed ({p.returncode}): {p.stderr.strip()[-2000:]}")
        return time.perf_counter() - t0

    def qsl():
        note = qslc_missing_flags()
        if note:
            raise QslUnavailable(note)
        # The split: the same command without the pipeline, and without calibration.
        plain = qslc()
        calibrated = qslc(f"--calibrate={calib_path}")
        # No --report: its calibrated output error is extra work the peers
        # do not do.
        whole = qslc(f"--calibrate={calib_path}", "--pipeline=qsl-quantize{bits=4 group=128 method=gptq}")
        return whole, (f"import + emit {plain:.1f} s, calibration {calibrated - plain:.1f} s, "
                       f"GPTQ {whole - calibrated:.1f} s (by difference with the same command "
                       "without --pipeline, and without --calibrate)")

    def ort_gptq_speed():
        ort_gptq(path, None, 4, False, [{"X": x}])

    def nncf_gptq_speed():
        nncf_openvino(path, nncf.CompressWeightsMode.INT4_ASYM, [{"X": x}], group_size=128,
                      ratio=1.0, all_layers=True, gptq=True)

    timed("QSL", "qslc --calibrate --pipeline='qsl-quantize{bits=4 group=128 method=gptq}' "
          "--emit=mlir, whole process", qsl)
    timed("onnxruntime", "MatMulNBitsQuantizer(GPTQWeightOnlyQuantConfig).process(), asym",
          ort_gptq_speed)
    timed("NNCF", "ov.convert_model + compress_weights(INT4_ASYM, gptq=True)", nncf_gptq_speed)
    return rows


# --- Report -----------------------------------------------------------------------

def fmt_bytes(size, fp32):
    return "" if size is None else f"{size / 1e6:.2f} ({fp32 / size:.1f}x)"


def markdown(results, speed, fp32_bytes, qsl_note):
    import nncf
    import openvino
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), platform.processor())
    lines = ["# MiniLM-L6 (all-MiniLM-L6-v2): compression quality and GPTQ speed", "",
             f"{datetime.date.today()} · {cpu} · {os.cpu_count()} cores · commit {commit} · "
             f"onnxruntime {ort.__version__} · nncf {nncf.__version__} · openvino "
             f"{openvino.__version__.split('-')[0]} · numpy {np.__version__}", "",
             f"Command: `python3 benchmarks/minilm_quality.py{' --quick' if args.quick else ''}`. "
             f"Cosine similarity of `sentence_embedding` to the fp32 model's over {N_EVAL} "
             f"sentences (benchmarks/data/eval.txt, Jane Austen), batches of {BATCH}x{SEQ} tokens; "
             f"calibration: {BATCH * SEQ} tokens of running text from the disjoint "
             "benchmarks/data/calib.txt, the same arrays for every tool. Compressed: the 36 Linear "
             f"(MatMul) weights, {fp32_bytes / 1e6:.2f} MB in fp32; embeddings stay fp32 everywhere. "
             "Weight MB: what those weights take after compression (codes, scales, zero points: "
             "the change in the model's initializer bytes; QSL: its --report), in parentheses "
             "how much smaller than fp32. Compress s: the tool's time to produce the compressed "
             "model (QSL: the whole qslc run, code generation included). onnxruntime and NNCF "
             "(ONNX) models run in onnxruntime with fp32 activations; NNCF (OpenVINO) rows run "
             "in OpenVINO with f32 inference.", "",
             "| setting | tool | method | mean cosine | min cosine | weight MB | compress s |",
             "|---|---|---|---|---|---|---|"]
    for setting, bits, key, tool, method, mean, low, size, secs, note in results:
        method = method.replace("|", "\\|")
        if mean is None:
            lines.append(f"| {setting} | {tool} | `{method}` | n/a: {note} | | | |"
                         if tool == "QSL" else f"| {setting} | {tool} | {method} | n/a: {note} | | | |")
            continue
        shown = (f"`{method}`" + (f" ({note})" if note else "")) if tool == "QSL" else method
        lines.append(f"| {setting} | {tool} | {shown} | {mean:.5f} | {low:.5f} | "
                     f"{fmt_bytes(size, fp32_bytes)} | {secs:.1f} |")
    # The bar: QSL's GPTQ at least as close to fp32 as the best peer at the same bits.
    lines.append("")
    for bits in (4, 3):
        qsl = [r for r in results if r[2] == f"qsl-gptq{bits}"]
        peers = [r for r in results if r[1] == bits and r[3] != "QSL" and r[5] is not None]
        if not qsl or not peers:
            continue
        best = max(peers, key=lambda r: r[5])
        if qsl[0][5] is None:
            verdict = f"not measured ({qsl[0][9]})"
        else:
            verdict = (f"QSL {qsl[0][5]:.5f} vs {best[5]:.5f}: "
                       f"{'met' if qsl[0][5] >= best[5] else 'NOT met'}")
        lines.append(f"- int{bits} g128 GPTQ, QSL vs the best peer at {bits} bits "
                     f"({best[3]}, {best[4]}): {verdict}")
    lines += ["", "Peers: onnxruntime's MatMulNBitsQuantizer does RTN at 2/4/8 bits with "
              "block sizes 16-256 (no per-channel int8: a column of 384 or 1536 is no such "
              "block) and GPTQ packed only at 4 bits (other widths come back as fake-quantized "
              "fp32, shown for 3 bits). Its GPTQ (neural_compressor/weight_only.py, gptq()) "
              "propagates the rounding error with the wrong half of the upper-triangular "
              "Cholesky factor (Hinv[i:, i] and Hinv[i2:, i1:i2], zero below the diagonal), so "
              "no error is ever spread: its asymmetric result equals RTN code for code; the "
              "symmetric one then re-quantizes onto a different grid (scale from the rounded "
              "values), a second rounding that makes it worse than RTN. Its asymmetric 4-bit "
              "GPTQ also fails for K=384 (3 blocks per column) when packing zero points, fixed "
              "here in the packing only. NNCF's ONNX backend does INT8/INT4 with AWQ and scale "
              "estimation but not GPTQ or INT3; its OpenVINO backend has both, and runs GPTQ "
              "layer by layer (each layer's Hessian from inputs through the already quantized "
              "layers before it) with dampening 0.1. NNCF's AWQ (both backends) only scales "
              "MatMuls that follow a Multiply it can fold the scale into (its patterns "
              "MatMul->Multiply->MatMul and activation->Multiply->MatMul, "
              "nncf/quantization/algorithms/weight_compression/awq_patterns.py); this encoder "
              "has none, so its AWQ rows equal its RTN. QSL stores AWQ's scales with the weight (the smooth facet, 16 bits per "
              "input channel), so every MatMul gets them. No peer prunes (2:4, unstructured or "
              "structured) an ONNX model after training: those rows have QSL alone, with a "
              "numpy 2:4 magnitude reference.", ""]
    if speed:
        qsl = next((r[2] for r in speed if r[0] == "QSL"), None)
        lines += [f"## GPTQ speed: one {SPEED_N}x{SPEED_N} MatMul, {SPEED_TOKENS} calibration "
                  "tokens, 4-bit g128", "",
                  "| tool | what is timed | seconds | / QSL | notes |", "|---|---|---|---|---|"]
        for tool, what, secs, note in speed:
            ratio = f"{secs / qsl:.2f}x" if secs and qsl else ""
            lines.append(f"| {tool} | {what} | {'' if secs is None else f'{secs:.1f}'} | "
                         f"{ratio} | {note} |")
        lines += ["", "Ratios above 1 mean the peer is slower than QSL. Random normal weights "
                  "and calibration inputs (seed 0). onnxruntime's GPTQ does the full amount of "
                  "GPTQ arithmetic even though its error updates multiply by zeros (see above)."]
    if qsl_note:
        lines += ["", f"QSL rows not measured: {qsl_note}."]
    return "\n".join(lines) + "\n"


def write_json(path, results, fp32_bytes):
    """Merges the rows into the JSON of quality_curves.py: quality = mean
    cosine, bits per parameter of the MatMul weights (fp32: 32)."""
    import curve_points
    params = fp32_bytes / 4
    rows = [dict(family=setting, key=key, tool=tool, method=method, quality=mean, min_quality=low,
                 bytes=size, bits=None if size is None else 8 * size / params, seconds=secs, note=note)
            for setting, _, key, tool, method, mean, low, size, secs, note in results]
    curve_points.merge_rows(path, dict(model="MiniLM-L6", metric="mean cosine to fp32",
                                       higher_is_better=True, params=params, n_eval=N_EVAL), rows)


if __name__ == "__main__":
    t_start = time.perf_counter()
    if args.curves:
        args.only = args.only or [""]   # every curve point; never the table's results file
    results, speed, fp32_bytes, qsl_note = main()
    if args.json:   # the failed rows too (the measured ones are in already)
        write_json(args.json, [r for r in results if r[5] is None], fp32_bytes)
    report = markdown(results, speed, fp32_bytes, qsl_note)
    if not args.quick and not args.only:
        os.makedirs(os.path.join(root, "benchmarks", "results"), exist_ok=True)
        with open(os.path.join(root, "benchmarks", "results", "minilm-quality.md"), "w") as f:
            f.write(report)
    print(report)
    print(f"total {time.perf_counter() - t_start:.0f} s")
