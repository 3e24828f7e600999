"""QSL from Python: ONNX import, compression pipelines, CPU compilation and
execution on numpy arrays, over QSL's C API (libQSLCAPI.so).

    import qsl
    ctx = qsl.Context()
    model = ctx.import_onnx("model.onnx", input_shapes={"x": (3, 16)})
    model.run_pipeline("qsl-compress-pipeline{preset=w8}")
    exe = model.compile()                    # the module becomes LLVM dialect
    y = exe.run(x=x)["y"]

Every failure raises qsl.QslError carrying the compiler's diagnostics.
"""
import numpy as np

from ._qsl import Executable, Module, QslError, _Context

__all__ = ["Context", "Executable", "Module", "QslError"]

_NUMPY = {"f16": np.float16, "f32": np.float32, "f64": np.float64, "i1": np.bool_,
          "i8": np.int8, "i16": np.int16, "i32": np.int32, "i64": np.int64}


class Context(_Context):
    """An MLIR context with QSL's and upstream dialects registered."""

    def import_onnx(self, path, input_shapes=None):
        """Imports an ONNX file; input_shapes gives concrete shapes to inputs
        with symbolic dimensions, e.g. {"input_ids": (1, 128)}."""
        specs = [f"{name}={'x'.join(str(d) for d in shape)}"
                 for name, shape in (input_shapes or {}).items()]
        return super().import_onnx(str(path), specs)


def _run(self, **inputs):
    """Runs on numpy arrays named like the model inputs; returns a dict of
    new output arrays. Arrays must have the compiled dtype and shape."""
    arrays = {name: np.ascontiguousarray(a) for name, a in inputs.items()}
    outputs = {name: np.empty(shape, dtype=_NUMPY[dtype])
               for name, dtype, shape in self.outputs}
    self._run(arrays, outputs)
    return outputs


Executable.run = _run
