"""QSL from Python: import ONNX models, compress their weights (quantization,
pruning, low-rank) with calibration data, read the per-weight report, save and
load modules, and compile them for the CPU to run on numpy arrays. A thin layer
over QSL's C API (libQSLCAPI.so).

    import numpy as np
    import qsl

    model = qsl.import_onnx("model.onnx", input_shapes={"x": (3, 16)})
    model.compress("qsl-quantize{bits=4 group=128 method=gptq}",
                   calibration=[{"x": x0}, {"x": x1}])
    for row in model.report():                 # one dict per weight
        print(row["name"], row["bits_per_parameter"], row["output_error"])
    model.save("model.mlirbc")                 # qsl.load("model.mlirbc")
    compiled = model.compile(target="cpu")
    y = compiled(x=x0)["y"]

Every failure raises qsl.QslError carrying the compiler's diagnostics. Bad
arguments raise subclasses that are also the matching builtin exception:
InputTypeError (a TypeError: missing or unexpected input names, wrong dtype,
not an array) and InputValueError (a ValueError: wrong shape, no calibration
sets, unknown target); NotBuiltError (a NotImplementedError) for what the
issue asks for but QSL does not have yet (CUDA target, ONNX export).
"""
from __future__ import annotations

import json
import os
import warnings
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from ._qsl import QslError, _Context, _Executable, _Module

__all__ = [
    "CompiledModule", "Context", "InputTypeError", "InputValueError", "Module",
    "NotBuiltError", "QslError", "QslWarning", "Report", "import_onnx", "load",
]

PathLike = Union[str, "os.PathLike[str]"]
ShapeSpec = Mapping[str, Sequence[int]]
Signature = List[Tuple[str, str, List[int]]]


class InputTypeError(QslError, TypeError):
    """A bad argument of the wrong kind: missing or unexpected input names,
    a wrong dtype, something that is not an array or a dict."""


class InputValueError(QslError, ValueError):
    """A bad argument value: a wrong shape, no calibration sets, an unknown
    target."""


class NotBuiltError(QslError, NotImplementedError):
    """What the Python API promises but QSL has not built yet."""


class QslWarning(UserWarning):
    """A warning or remark of the compiler on a call that succeeded, e.g. a
    weight a pass left as it is ("group 128 does not divide K = 96")."""


def _warn(context: "Context") -> None:
    """Shows what the compiler reported on a call that succeeded."""
    for text in context._c.take_diagnostics():
        warnings.warn(text, QslWarning, stacklevel=3)


_NUMPY = {"f16": np.float16, "f32": np.float32, "f64": np.float64, "i1": np.bool_,
          "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64}


def _describe(dtype: str, shape: Sequence[int]) -> str:
    dims = "x".join("?" if d < 0 else str(d) for d in shape)
    return f"{dtype}[{dims}]"


def _check_inputs(given: Mapping[str, Any], signature: Signature,
                  what: str) -> Dict[str, np.ndarray]:
    """Checks `given` (name -> array-like) against the entry signature and
    returns C-contiguous arrays. `what` names the inputs in messages."""
    if not isinstance(given, Mapping):
        raise InputTypeError(
            f"{what}: expected a dict of input name -> numpy array, got "
            f"{type(given).__name__}")
    names = [name for name, _, _ in signature]
    missing = [n for n in names if n not in given]
    extra = [n for n in given if n not in names]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(
                f"'{n}' ({_describe(d, s)})" for n, d, s in signature if n in missing))
        if extra:
            parts.append("unexpected " + ", ".join(f"'{n}'" for n in extra))
        raise InputTypeError(f"{what}: {'; '.join(parts)}; the model's inputs are "
                             + ", ".join(f"'{n}'" for n in names))
    arrays = {}
    for name, dtype, shape in signature:
        value = given[name]
        if not isinstance(value, np.ndarray):
            try:
                value = np.asarray(value)
            except Exception as e:  # e.g. ragged lists
                raise InputTypeError(f"{what}: input '{name}' is not an array: {e}") from None
        expected = _NUMPY.get(dtype)
        if expected is None:
            raise InputTypeError(f"{what}: input '{name}' has element type {dtype}, "
                                 "which cannot be given from Python")
        if value.dtype != np.dtype(expected):
            raise InputTypeError(
                f"{what}: input '{name}' has dtype {value.dtype}, the model takes "
                f"{np.dtype(expected)} ({_describe(dtype, shape)}); convert it "
                f"with .astype(np.{np.dtype(expected)})")
        if len(value.shape) != len(shape) or any(
                d >= 0 and d != g for d, g in zip(shape, value.shape)):
            raise InputValueError(
                f"{what}: input '{name}' has shape {tuple(value.shape)}, the model "
                f"takes {_describe(dtype, shape)}")
        arrays[name] = np.ascontiguousarray(value)
    return arrays


def _progress(iterable: Iterable, total: Optional[int], desc: str, enabled: bool):
    """Wraps `iterable` in a tqdm progress bar when tqdm is installed."""
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return iterable
    return tqdm(iterable, total=total, desc=desc, unit="set")


class Report(list):
    """The per-weight compression report: a list with one dict per weight
    use (name, node, shape, op_type, k, n, bytes_before, bytes_after,
    bits_per_parameter, encoding, method, rel_frobenius_error and, with
    calibration, output_error and calibration_tokens), as qslc --report
    writes it. `pandas.DataFrame(report)` makes a table of it; `totals`
    holds the model totals; `table()` formats it without pandas."""

    totals: Dict[str, Any]

    def __init__(self, weights: Iterable[Dict[str, Any]], totals: Dict[str, Any]):
        super().__init__(weights)
        self.totals = totals

    DEFAULT_COLUMNS = ("name", "shape", "method", "bits_per_parameter",
                       "rel_frobenius_error", "output_error")

    def table(self, columns: Sequence[str] = DEFAULT_COLUMNS) -> str:
        """A plain-text table of `columns` (missing values blank)."""
        def cell(value: Any) -> str:
            if value is None:
                return ""
            if isinstance(value, float):
                return f"{value:.4g}"
            if isinstance(value, list):
                return "x".join(str(v) for v in value)
            return str(value)
        rows = [[cell(w.get(c)) for c in columns] for w in self]
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(columns)]
        def line(values):
            return "  ".join(v.ljust(w) for v, w in zip(values, widths)).rstrip()
        return "\n".join([line(columns), line(["-" * w for w in widths])]
                         + [line(r) for r in rows])


class CompiledModule:
    """A module compiled for a target and JIT-loaded: call it with numpy
    arrays named like the model inputs, get a dict of output arrays."""

    def __init__(self, exe: _Executable, context: "Context"):
        self._exe = exe
        self._context = context

    @property
    def inputs(self) -> Signature:
        """[(name, dtype, shape)] of the inputs, dtype as 'f32', 'i64', ..."""
        return self._exe.inputs

    @property
    def outputs(self) -> Signature:
        """[(name, dtype, shape)] of the outputs."""
        return self._exe.outputs

    def __call__(self, **inputs: np.ndarray) -> Dict[str, np.ndarray]:
        """Runs the model once. Every input must be given, with the compiled
        dtype and shape (InputTypeError / InputValueError otherwise); returns
        new arrays, one per output."""
        arrays = _check_inputs(inputs, self.inputs, "run")
        outputs = {name: np.empty(shape, dtype=_NUMPY[dtype])
                   for name, dtype, shape in self.outputs}
        self._exe._run(arrays, outputs)
        return outputs

    run = __call__

    def __repr__(self) -> str:
        sig = ", ".join(f"{n}: {_describe(d, s)}" for n, d, s in self.inputs)
        out = ", ".join(f"{n}: {_describe(d, s)}" for n, d, s in self.outputs)
        return f"<qsl.CompiledModule ({sig}) -> ({out})>"


# Kept for code written against the first version of the package.
Executable = CompiledModule


class Module:
    """An MLIR module: an imported model, compressed or not. Methods that
    change it (compress, run_pipeline) work on a copy and replace the module
    only when they succeed; compile leaves it as it is."""

    def __init__(self, module: _Module, context: "Context",
                 entry: str = "main_graph"):
        self._m = module
        self._context = context
        self.entry = entry
        # The constants' size before the first compression, for the report's
        # model_bytes_before (as qslc measures it right after import); not
        # known for a loaded module, which may be compressed already.
        self._imported_bytes: Optional[int] = None
        self._source: Optional[PathLike] = None
        self._size_known = True

    def __str__(self) -> str:
        return str(self._m)

    @property
    def context(self) -> "Context":
        return self._context

    @property
    def inputs(self) -> Signature:
        """[(name, dtype, shape)] of the entry function's inputs (-1 for a
        dimension not known statically)."""
        return self._m.signature(self.entry)[0]

    @property
    def outputs(self) -> Signature:
        """[(name, dtype, shape)] of the entry function's outputs."""
        return self._m.signature(self.entry)[1]

    def _remember_size(self) -> None:
        if self._imported_bytes is None and self._size_known:
            self._imported_bytes = self._m.constant_bytes()

    def run_pipeline(self, pipeline: str) -> "Module":
        """Runs an MLIR pass pipeline (any registered passes) on the module.
        Raises QslError with the diagnostics when it does not parse or fails;
        the module is then unchanged."""
        if not isinstance(pipeline, str):
            raise InputTypeError(f"pipeline must be a str, got {type(pipeline).__name__}")
        self._remember_size()
        work = self._m.clone()
        work.run_pipeline(pipeline)
        self._m = work
        _warn(self._context)
        return self

    def calibrate(self, calibration: Iterable[Mapping[str, np.ndarray]],
                  progress: bool = True) -> "Module":
        """Runs the model on every input set of `calibration` (dicts of input
        name -> numpy array, all inputs, the module's dtypes and shapes) and
        attaches per-weight input statistics for data-aware compression
        (GPTQ, AWQ, Wanda, SparseGPT, whitened SVD, ...). Sets are read one
        at a time (a generator works); a tqdm bar counts them when tqdm is
        installed and `progress` is true."""
        if isinstance(calibration, Mapping) or isinstance(calibration, (str, bytes)):
            raise InputTypeError(
                "calibration must be an iterable of dicts (one per input set), "
                f"got a {type(calibration).__name__}; wrap one set in a list")
        try:
            sets = iter(calibration)
        except TypeError:
            raise InputTypeError("calibration must be an iterable of dicts, got "
                                 f"{type(calibration).__name__}") from None
        total = len(calibration) if hasattr(calibration, "__len__") else None
        signature = self.inputs
        bar = _progress(sets, total, "calibration", progress)
        it = iter(bar)
        count = [0]

        def next_set(index: int):
            try:
                given = next(it)
            except StopIteration:
                return None
            count[0] += 1
            return _check_inputs(given, signature, f"calibration set {index}")

        work = self._m.clone()
        try:
            if total == 0:
                raise InputValueError("calibration: no input sets given")
            try:
                work.calibrate(self.entry, next_set)
            except QslError as e:
                if count[0] == 0 and "no calibration inputs" in str(e):
                    raise InputValueError("calibration: no input sets given") from None
                raise
        finally:
            if hasattr(bar, "close"):
                bar.close()
        self._m = work
        _warn(self._context)
        return self

    def compress(self, pipeline: str,
                 calibration: Optional[Iterable[Mapping[str, np.ndarray]]] = None,
                 progress: bool = True) -> "Module":
        """Compresses the weights with a pass pipeline, e.g.
        "qsl-quantize{bits=4 group=128 method=gptq}" or
        "qsl-prune{pattern=2:4 method=sparsegpt},qsl-quantize{bits=4}" (as
        qslc --pipeline). With `calibration` (an iterable of dicts name ->
        array, see calibrate) the model is first run on those inputs so that
        data-aware methods have statistics. The pipeline is checked before
        calibration; on any error the module is left as it was."""
        if not isinstance(pipeline, str):
            raise InputTypeError(f"pipeline must be a str, got {type(pipeline).__name__}")
        self._context._c.check_pipeline(pipeline)
        self._remember_size()
        before = self._m
        try:
            if calibration is not None:
                self.calibrate(calibration, progress=progress)
            self.run_pipeline(pipeline)
        except BaseException:
            self._m = before
            raise
        return self

    def report(self) -> Report:
        """The per-weight compression report (see Report): a list of dicts,
        one per weight, with `.totals`. Errors against the original weights
        and, after calibration, output errors are there until the module is
        compiled or stripped."""
        data = json.loads(self._m.report(
            -1 if self._imported_bytes is None else self._imported_bytes))
        return Report(data["weights"], data["totals"])

    def strip(self) -> "Module":
        """Drops what compression keeps for the report (calibration statistics,
        the original weights), e.g. before saving a module for deployment."""
        self._m.strip_metadata()
        return self

    def save(self, path: PathLike) -> None:
        """Writes the module as MLIR bytecode (qsl.load reads it back). The
        report's data (original weights, statistics) is kept; call strip()
        first to leave it out."""
        self._m.save(os.fspath(path))

    def compile(self, target: str = "cpu", vectorize: bool = True,
                chip: str = "sm_90") -> CompiledModule:
        """Compiles a copy of the module for `target` and JIT-loads it: the
        result is called with numpy arrays. target="cpu" (vectorize=False
        gives the reference pipeline, the numerics oracle); target="cuda"
        runs the compressed matmuls as CUDA kernels for `chip` ("sm_80",
        "sm_90" or "sm_90a", whose large-batch GEMMs use wgmma) and the rest on the CPU, through libqsl_cuda_runtime.so
        (next to this package, or $QSL_CUDA_RUNTIME); without a GPU it raises
        QslError "no GPU to run on: ...". target="cuda-emulator" runs the same
        kernels on the CPU through the SIMT emulator (libqsl_gpu_emulator.so,
        next to this package or $QSL_GPU_EMULATOR): the GPU path's numbers
        on any machine, slowly. A module that is compiled already (qslc's
        output, loaded with qsl.load) is only JIT-loaded."""
        if target not in ("cpu", "cuda", "cuda-emulator"):
            raise InputValueError(f"unknown target {target!r}; expected 'cpu', "
                                  "'cuda' or 'cuda-emulator'")
        if target in ("cuda", "cuda-emulator"):
            if chip not in ("sm_80", "sm_90", "sm_90a"):
                raise InputValueError(f"unknown chip {chip!r}; expected 'sm_80', "
                                      "'sm_90' or 'sm_90a'")
            emulate = target == "cuda-emulator"
            env, lib = (("QSL_GPU_EMULATOR", "libqsl_gpu_emulator.so") if emulate
                        else ("QSL_CUDA_RUNTIME", "libqsl_cuda_runtime.so"))
            runtime = os.environ.get(env) or os.path.join(
                os.path.dirname(os.path.abspath(__file__)), lib)
            if not os.path.exists(runtime):
                why = ("" if emulate else
                       "QSL was built without the CUDA toolkit's cuda.h, or ")
                raise NotBuiltError(
                    f"target={target!r}: {runtime} does not exist ({why}set "
                    f"{env})")
            if self._m.is_compiled():
                raise InputValueError(f"target={target!r} compiles from the "
                                      "imported module; this one is compiled already")
            work = self._m.clone()
            compiled = CompiledModule(
                work.compile_cuda(self.entry, chip, runtime, emulate), self._context)
            _warn(self._context)
            return compiled
        if self._m.is_compiled():
            return CompiledModule(self._m.jit(), self._context)
        work = self._m.clone()
        compiled = CompiledModule(work.compile(self.entry, vectorize), self._context)
        _warn(self._context)
        return compiled

    def export_onnx(self, path: PathLike, source: Optional[PathLike] = None) -> None:
        """Writes a standard ONNX model that onnxruntime runs: the ONNX file
        the module was imported from (`source`, by default the path given to
        import_onnx) with every compressed weight replaced by operators that
        evaluate its encoding (DequantizeLinear on 4/8-bit codes, MatMul of
        low-rank factors, ...; see docs/tools/onnx-export.md). Raises QslError
        when the module cannot be expressed that way (structured pruning,
        codebooks) or its compression data was stripped."""
        model = source if source is not None else self._source
        if model is None:
            raise InputValueError("export_onnx needs the ONNX file the module was "
                                  "imported from: pass source=")
        self._m.export_onnx(os.fspath(model), os.fspath(path))
        _warn(self._context)


class Context:
    """An MLIR context with QSL's and upstream dialects registered; modules
    live in the context they were made in (and keep it alive). qsl.import_onnx
    and qsl.load make one per module unless given one; share a context to
    share its uniqued types and attributes between many small modules."""

    def __init__(self):
        self._c = _Context()

    def import_onnx(self, path: PathLike,
                    input_shapes: Optional[ShapeSpec] = None) -> Module:
        """Imports an ONNX file (external data next to it); input_shapes gives
        concrete shapes to inputs with symbolic dimensions, e.g.
        {"input_ids": (1, 128)}."""
        if input_shapes is not None and not isinstance(input_shapes, Mapping):
            raise InputTypeError("input_shapes must be a dict of name -> shape, got "
                                 f"{type(input_shapes).__name__}")
        specs = []
        for name, shape in (input_shapes or {}).items():
            try:
                dims = [int(d) for d in shape]
            except (TypeError, ValueError):
                raise InputTypeError(f"input_shapes['{name}'] must be a sequence of "
                                     f"ints, got {shape!r}") from None
            if any(d <= 0 for d in dims):
                raise InputValueError(f"input_shapes['{name}'] = {tuple(dims)}: "
                                      "dimensions must be positive")
            specs.append(f"{name}={'x'.join(str(d) for d in dims)}")
        module = Module(self._c.import_onnx(os.fspath(path), specs), self)
        module._source = os.fspath(path)
        _warn(self)
        return module

    def load(self, path: PathLike) -> Module:
        """Reads a module written by Module.save (MLIR bytecode or text)."""
        module = Module(self._c.load(os.fspath(path)), self)
        module._size_known = False
        _warn(self)
        return module

    def parse_module(self, text: str) -> Module:
        """Parses a module from MLIR text."""
        return Module(self._c.parse_module(text), self)

    def encoding(self, text: str) -> Dict[str, int]:
        """The facet parameters of a #qsl.encoding (0 when a facet is absent)."""
        return self._c.encoding(text)

    def bits_per_element(self, type_text: str) -> float:
        """Storage bits per logical element of an encoded tensor type."""
        return self._c.bits_per_element(type_text)


def import_onnx(path: PathLike, input_shapes: Optional[ShapeSpec] = None,
                context: Optional[Context] = None) -> Module:
    """Imports an ONNX model (see Context.import_onnx). Without `context`
    the module gets a context of its own: weights keep their ONNX names
    (a context gives names it has seen before a suffix) and their memory is
    released with the module (a context keeps every weight blob it ever
    held until it is destroyed)."""
    return (context or Context()).import_onnx(path, input_shapes)


def load(path: PathLike, context: Optional[Context] = None) -> Module:
    """Loads a module written by Module.save, in a context of its own unless
    `context` is given (see import_onnx)."""
    return (context or Context()).load(path)
