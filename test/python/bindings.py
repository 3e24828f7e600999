"""Drives the qsl Python package; run by bindings.test."""
import sys

import numpy as np
import onnxruntime as ort

import qsl

data = sys.argv[1]
x = np.fromfile(f"{data}/x.bin", dtype=np.float32).reshape(3, 16)
(ref,) = ort.InferenceSession(f"{data}/model.onnx",
                              providers=["CPUExecutionProvider"]).run(None, {"x": x})

ctx = qsl.Context()
model = ctx.import_onnx(f"{data}/model.onnx", input_shapes={"x": (3, 16)})
exe = model.compile()
assert [s[0] for s in exe.inputs] == ["x"] and exe.outputs[0][1:] == ("f32", [3, 4])
y = exe.run(x=x)["y"]
print("uncompressed: matches onnxruntime:",
      bool(np.allclose(y, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())))

# Weights are exact int8 codes times power-of-two scales (make_capi_inputs.py):
# int8 per channel keeps them, so the compressed model matches too.
model = ctx.import_onnx(f"{data}/model.onnx", input_shapes={"x": (3, 16)})
model.run_pipeline("qsl-compress-pipeline{preset=w8}")
n = str(model).count("#qsl.encoding<quant = <bits = 8, scale = f16>>> -> ")
y = model.compile(vectorize=False).run(x=x)["y"]
print(f"w8: {n} weights int8, matches onnxruntime:",
      bool(np.allclose(y, ref, rtol=1e-5, atol=1e-5 * np.abs(ref).max())))

print("encoding:", dict(sorted(ctx.encoding(
    "#qsl.encoding<quant = <bits = 4, group = 128, scale = f16, zero = i4>, "
    "sparse = <2:4>>").items())))
# 4-bit codes plus one f16 scale and one i4 zero point per 128 elements.
print("bits per element:", ctx.bits_per_element(
    "tensor<256x128xf32, #qsl.encoding<quant = <bits = 4, group = 128, "
    "scale = f16, zero = i4>>>"))


def expect_error(f):
    try:
        f()
    except qsl.QslError as e:
        print(f"{type(e).__name__}:", str(e).replace("\n", " | "))
    else:
        print("no error")


expect_error(lambda: ctx.import_onnx("/nonexistent.onnx"))
expect_error(lambda: model.run_pipeline("qsl-compress-pipeline{preset=w9}"))
expect_error(lambda: ctx.encoding("#qsl.encoding<quant = <bits = 9, scale = f16>>"))
expect_error(lambda: exe.run(x=x[:2]))
expect_error(lambda: exe.run(x=x.astype(np.float64)))
print("done")
