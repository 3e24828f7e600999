"""The points of the quality-vs-size curves (benchmarks/quality_curves.py),
shared by `minilm_quality.py --curves` and `causal_lm_quality.py --curves`:
each family is one method at several sizes, so that every method is a curve
of quality against bits per parameter (all side tensors included).

QSL_CURVES: (family, key, pipeline). NNCF_CURVES: (family, key, mode name,
options) for nncf.compress_weights on the OpenVINO model (the backend that
has LoRA correction, GPTQ and mixed precision); nncf_options() turns the
plain option dicts into NNCF's objects.
"""

GPTQ = "method=gptq range=mse damp=0.1"


def needs_calibration(pipeline):
    """Whether a QSL pipeline has a data-aware method, so that qslc needs
    --calibrate (the others compile without it, which only saves time).
    Shared by minilm_quality.py and causal_lm_quality.py."""
    return any(m in pipeline for m in ("gptq", "wanda", "sparsegpt", "awq", "prune-structured", "whitened",
                                       "eora", "lqer", "qsl-outliers", "qsl-allocate", "data-aware",
                                       "squeezellm"))


def _gptq(bits, group):
    return f"qsl-quantize{{bits={bits} group={group} {GPTQ}}}"


def _alloc_e2e(bits):
    return (f"qsl-allocate{{budget-bits={bits} objective=relative-output-error range=mse damp=0.1 "
            f"refine-generations=20 refine-offspring=6}}")


QSL_CURVES = [
    ("RTN", "rtn2", "qsl-quantize{bits=2 group=64 method=rtn}"),
    ("RTN", "rtn3", "qsl-quantize{bits=3 group=128 method=rtn}"),
    ("RTN", "rtn4", "qsl-quantize{bits=4 group=128 method=rtn}"),
    ("RTN", "rtn8", "qsl-quantize{bits=8 group=0 method=rtn}"),
    ("GPTQ", "gptq2", _gptq(2, 64)),
    ("GPTQ", "gptq3", _gptq(3, 128)),
    ("GPTQ", "gptq4", _gptq(4, 128)),
    ("GPTQ + LQER", "gptq2-lqer32", _gptq(2, 64) + ",qsl-compensate{rank=32 method=lqer}"),
    ("GPTQ + LQER", "gptq3-lqer16", _gptq(3, 128) + ",qsl-compensate{rank=16 method=lqer}"),
    ("GPTQ + LQER", "gptq3-lqer32", _gptq(3, 128) + ",qsl-compensate{rank=32 method=lqer}"),
    ("GPTQ + EoRA", "gptq2-eora32", _gptq(2, 64) + ",qsl-compensate{rank=32 method=eora}"),
    ("GPTQ + EoRA", "gptq3-eora16", _gptq(3, 128) + ",qsl-compensate{rank=16 method=eora}"),
    ("GPTQ + EoRA", "gptq3-eora32", _gptq(3, 128) + ",qsl-compensate{rank=32 method=eora}"),
    ("SVD", "svd64", "qsl-factorize{rank=64 method=svd}"),
    ("SVD", "svd128", "qsl-factorize{rank=128 method=svd}"),
    ("SVD", "svd192", "qsl-factorize{rank=192 method=svd}"),
    ("whitened SVD", "wsvd64", "qsl-factorize{rank=64 method=whitened}"),
    ("whitened SVD", "wsvd128", "qsl-factorize{rank=128 method=whitened}"),
    ("whitened SVD", "wsvd192", "qsl-factorize{rank=192 method=whitened}"),
    ("SpQR (qsl-outliers)", "spqr2g16", "qsl-outliers{bits=2 group=16 max-fraction=0.01 damp=0.1}"),
    ("SpQR (qsl-outliers)", "spqr3g16", "qsl-outliers{bits=3 group=16 max-fraction=0.01 damp=0.1}"),
    ("SpQR (qsl-outliers)", "spqr3g64", "qsl-outliers{bits=3 group=64 max-fraction=0.005 damp=0.1}"),
    # SpQR's quantized statistics: 3-bit scale codes, a second level per 16
    # output channels (0.69 bits/param less than f16 scales at group 16).
    ("SpQR + 3-bit statistics", "spqr2g16-s3",
     "qsl-outliers{bits=2 group=16 max-fraction=0.01 damp=0.1 stat-bits=3 stat-group=16}"),
    ("SpQR + 3-bit statistics", "spqr3g16-s3",
     "qsl-outliers{bits=3 group=16 max-fraction=0.01 damp=0.1 stat-bits=3 stat-group=16}"),
    ("GPTQ + sensitivity outliers", "gptq3g64-so", _gptq(3, 64)[:-1] + " outliers=0.005 outlier-select=sensitivity}"),
    ("GPTQ + sensitivity outliers", "gptq3g16-so", _gptq(3, 16)[:-1] + " outliers=0.01 outlier-select=sensitivity}"),
    ("SqueezeLLM codebooks", "sqllm3", "qsl-quantize{bits=3 method=squeezellm}"),
    ("SqueezeLLM codebooks", "sqllm4", "qsl-quantize{bits=4 method=squeezellm}"),
    ("qsl-allocate", "auto-2.5bit", "qsl-compress-pipeline{preset=auto-2.5bit data-aware}"),
    ("qsl-allocate", "auto-3bit", "qsl-compress-pipeline{preset=auto-3bit data-aware}"),
    ("qsl-allocate", "auto-3.5bit", "qsl-compress-pipeline{preset=auto-3.5bit data-aware}"),
    ("qsl-allocate", "auto-4.5bit", "qsl-compress-pipeline{preset=auto-4.5bit data-aware}"),
    # The same budgets with the uniform rows' GPTQ settings and the
    # end-to-end refinement (EvoPress-style search on the calibration batch).
    ("qsl-allocate + end-to-end refinement", "e2e-2.5bit", _alloc_e2e(2.5)),
    ("qsl-allocate + end-to-end refinement", "e2e-3bit", _alloc_e2e(3)),
    ("qsl-allocate + end-to-end refinement", "e2e-3.5bit", _alloc_e2e(3.5)),
    ("qsl-allocate + end-to-end refinement", "e2e-4.5bit", _alloc_e2e(4.5)),
    ("2:4 + int4 + EoRA", "24-gptq4-eora16",
     "qsl-prune{pattern=2:4 method=sparsegpt}," + _gptq(4, 128) + ",qsl-compensate{rank=16 method=eora}"),
    ("2:4 + int4 + EoRA", "24-gptq4-eora64",
     "qsl-prune{pattern=2:4 method=sparsegpt}," + _gptq(4, 128) + ",qsl-compensate{rank=64 method=eora}"),
]

NNCF_CURVES = [
    ("NNCF int4 + LoRA correction", "nncf-int4-lora8", "INT4_ASYM",
     dict(group_size=128, ratio=1.0, all_layers=True, lora_correction=True, lora_rank=8)),
    ("NNCF int4 + LoRA correction", "nncf-int4-lora32", "INT4_ASYM",
     dict(group_size=128, ratio=1.0, all_layers=True, lora_correction=True, lora_rank=32)),
    ("NNCF int4/int8 mixed precision", "nncf-mixed-r50", "INT4_ASYM",
     dict(group_size=128, ratio=0.5, all_layers=True, sensitivity="HESSIAN_INPUT_ACTIVATION")),
    ("NNCF int4/int8 mixed precision", "nncf-mixed-r80", "INT4_ASYM",
     dict(group_size=128, ratio=0.8, all_layers=True, sensitivity="HESSIAN_INPUT_ACTIVATION")),
    ("NNCF int4/int8 mixed precision", "nncf-mixed-r80-lora8", "INT4_ASYM",
     dict(group_size=128, ratio=0.8, all_layers=True, sensitivity="HESSIAN_INPUT_ACTIVATION",
          lora_correction=True, lora_rank=8)),
    ("NNCF int4 GPTQ", "nncf-gptq4", "INT4_ASYM",
     dict(group_size=128, ratio=1.0, all_layers=True, gptq=True)),
    ("NNCF int3 GPTQ", "nncf-gptq3", "INT3_SYM",
     dict(group_size=128, ratio=1.0, all_layers=True, gptq=True)),
]


def nncf_options(options):
    """(mode, keyword arguments) of nncf.compress_weights for an NNCF_CURVES
    entry's option dict."""
    import nncf
    opts = dict(options)
    rank = opts.pop("lora_rank", None)
    if rank is not None:
        opts["advanced_parameters"] = nncf.AdvancedCompressionParameters(
            lora_correction_params=nncf.AdvancedLoraCorrectionParameters(adapter_rank=rank))
    sensitivity = opts.pop("sensitivity", None)
    if sensitivity:
        opts["sensitivity_metric"] = getattr(nncf.SensitivityMetric, sensitivity)
    return opts


def nncf_method(mode, options):
    """A short text for a results table."""
    return mode + ", " + ", ".join(f"{k}={v}" for k, v in options.items())


def merge_rows(path, meta, rows):
    """Writes `rows` into the JSON at `path` (created with `meta` when
    absent), replacing rows with the same key, and stamps each new row with
    the date and the commit the tools were built from (QSL_TOOLS_COMMIT, else
    the checkout's HEAD). Called after every measured row, so that an
    interrupted run keeps what it measured."""
    import datetime
    import json
    import os
    import subprocess
    commit = os.environ.get("QSL_TOOLS_COMMIT") or subprocess.run(
        ["git", "-C", os.path.dirname(os.path.abspath(__file__)), "rev-parse", "--short", "HEAD"],
        capture_output=True, text=True).stdout.strip()
    data = dict(meta, rows=[])
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        data.update(meta)
    keys = {r["key"] for r in rows}
    stamped = [dict(r, commit=r.get("commit") or commit, date=r.get("date") or str(datetime.date.today()))
               for r in rows]
    data["rows"] = [r for r in data["rows"] if r["key"] not in keys] + stamped
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(data, f, indent=1)
    os.replace(tmp, path)
