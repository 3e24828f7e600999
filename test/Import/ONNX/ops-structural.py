# RUN: %python %s
# REQUIRES: onnxruntime
"""Single-node models of the linear, shape, reduction and NN operators
against onnxruntime (relative max error 1e-4)."""
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from qsl_testing import Checker, single_node_model

rng = np.random.default_rng(1)
F = TensorProto.FLOAT
I64 = TensorProto.INT64


model = single_node_model


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


c = Checker()
# MatMul forms: 2-D, batched with broadcast, 1-D operands.
for name, sa, sb in [("MatMul-2d", (3, 5), (5, 4)), ("MatMul-batch", (2, 3, 5), (5, 4)),
                     ("MatMul-bcast", (2, 1, 3, 5), (4, 5, 6)), ("MatMul-vec-left", (5,), (2, 5, 3)),
                     ("MatMul-vec-right", (2, 3, 5), (5,))]:
    a, b = randn(*sa), randn(*sb)
    c.check_model(name, model("MatMul", [("a", F, list(sa)), ("b", F, list(sb))], [("y", F, None)]),
                  {"a": a, "b": b})
# Gemm with transposes, alpha/beta and a broadcast C initializer.
for tA in (0, 1):
    for tB in (0, 1):
        a = randn(*((5, 3) if tA else (3, 5)))
        b = randn(*((4, 5) if tB else (5, 4)))
        c.check_model(f"Gemm-tA{tA}-tB{tB}",
                      model("Gemm", [("a", F, list(a.shape)), ("b", F, list(b.shape))], [("y", F, None)],
                            {"transA": tA, "transB": tB, "alpha": 0.5, "beta": 2.0},
                            inits=[const("c", randn(4))]),
                      {"a": a, "b": b})

x = randn(2, 3, 4)
c.check_model("Reshape", model("Reshape", [("x", F, [2, 3, 4])], [("y", F, None)],
                               inits=[const("s", np.array([0, -1, 2], np.int64))]), {"x": x})
c.check_model("Flatten", model("Flatten", [("x", F, [2, 3, 4])], [("y", F, None)], {"axis": 2}), {"x": x})
c.check_model("Transpose", model("Transpose", [("x", F, [2, 3, 4])], [("y", F, None)],
                                 {"perm": [2, 0, 1]}), {"x": x})
c.check_model("Unsqueeze", model("Unsqueeze", [("x", F, [2, 3, 4])], [("y", F, None)],
                                 inits=[const("a", np.array([0, -1], np.int64))]), {"x": x})
c.check_model("Squeeze", model("Squeeze", [("x", F, [2, 1, 4])], [("y", F, None)],
                               inits=[const("a", np.array([1], np.int64))]), {"x": randn(2, 1, 4)})
c.check_model("Concat", model("Concat", [("x", F, [2, 3, 4]), ("z", F, [2, 2, 4])], [("y", F, None)],
                              {"axis": 1}), {"x": x, "z": randn(2, 2, 4)})
c.check_model("Gather-const", model("Gather", [("x", F, [2, 3, 4])], [("y", F, None)], {"axis": 1},
                                    inits=[const("i", np.array([[2, 0], [-1, 1]], np.int64))]), {"x": x})
c.check_model("Gather-runtime", model("Gather", [("x", F, [5, 4]), ("i", I64, [3])], [("y", F, None)]),
              {"x": randn(5, 4), "i": np.array([4, -5, 2], np.int64)})
c.check_model("Slice", model("Slice", [("x", F, [2, 3, 4])], [("y", F, None)],
                             inits=[const("st", np.array([1, -3], np.int64)),
                                    const("en", np.array([3, 100], np.int64)),
                                    const("ax", np.array([1, 2], np.int64)),
                                    const("sp", np.array([1, 2], np.int64))]), {"x": x})
c.check_model("Expand", model("Expand", [("x", F, [3, 1])], [("y", F, None)],
                              inits=[const("s", np.array([2, 3, 4], np.int64))]), {"x": randn(3, 1)})
c.check_model("Tile", model("Tile", [("x", F, [2, 3])], [("y", F, None)],
                            inits=[const("r", np.array([2, 3], np.int64))]), {"x": randn(2, 3)})
c.check_model("Split", model("Split", [("x", F, [2, 6])], [("a", F, None), ("b", F, None)], {"axis": 1},
                             inits=[const("s", np.array([2, 4], np.int64))]), {"x": randn(2, 6)})
c.check_model("Split-18", model("Split", [("x", F, [2, 6])], [("a", F, None), ("b", F, None), ("c", F, None)],
                                {"axis": 1, "num_outputs": 3}, opset=18), {"x": randn(2, 6)})
c.check_model("Shape", model("Shape", [("x", F, [2, 3, 4])], [("y", I64, None)]), {"x": x})
c.check_model("ConstantOfShape", model("ConstantOfShape", [("x", F, [2, 3, 4])], [("y", F, None)],
                                       {"value": numpy_helper.from_array(np.array([1.5], np.float32))},
                                       inits=[]) if False else
              helper.make_model(helper.make_graph(
                  [helper.make_node("Shape", ["x"], ["s"]),
                   helper.make_node("ConstantOfShape", ["s"], ["c"],
                                    value=numpy_helper.from_array(np.array([1.5], np.float32))),
                   helper.make_node("Add", ["x", "c"], ["y"])], "cos",
                  [helper.make_tensor_value_info("x", F, [2, 3, 4])],
                  [helper.make_tensor_value_info("y", F, None)]),
                  opset_imports=[helper.make_opsetid("", 17)]), {"x": x})

for op, opset in [("ReduceMean", 17), ("ReduceMax", 17), ("ReduceMin", 17)]:
    c.check_model(op, model(op, [("x", F, [2, 3, 4])], [("y", F, None)],
                            {"axes": [1, -1], "keepdims": 0}, opset=opset), {"x": x})
    c.check_model(op + "-18", model(op, [("x", F, [2, 3, 4])], [("y", F, None)], {"keepdims": 1},
                                    opset=18, inits=[const("a", np.array([0], np.int64))]), {"x": x})
c.check_model("ReduceSum", model("ReduceSum", [("x", F, [2, 3, 4])], [("y", F, None)], {"keepdims": 1},
                                 inits=[const("a", np.array([2], np.int64))]), {"x": x})
c.check_model("Softmax", model("Softmax", [("x", F, [2, 3, 4])], [("y", F, None)], {"axis": 1}), {"x": x})
c.check_model("LogSoftmax", model("LogSoftmax", [("x", F, [2, 3, 4])], [("y", F, None)]), {"x": x})
c.check_model("ArgMax", model("ArgMax", [("x", F, [2, 3, 4])], [("y", I64, None)], {"axis": 1}), {"x": x})
c.check_model("ArgMin", model("ArgMin", [("x", F, [2, 3, 4])], [("y", I64, None)],
                              {"axis": -1, "keepdims": 0}), {"x": x})
c.check_model("LayerNormalization",
              model("LayerNormalization", [("x", F, [2, 3, 4])], [("y", F, None)], {"axis": -1, "epsilon": 1e-3},
                    inits=[const("g", randn(4)), const("b", randn(4))]), {"x": x})

img = randn(2, 4, 7, 7)
for name, attrs, wshape in [
        ("Conv", {}, (6, 4, 3, 3)),
        ("Conv-stride-pad", {"strides": [2, 2], "pads": [1, 0, 1, 2]}, (6, 4, 3, 3)),
        ("Conv-dilation", {"dilations": [2, 1]}, (6, 4, 3, 2)),
        ("Conv-group", {"group": 2, "pads": [1, 1, 1, 1]}, (6, 2, 3, 3)),
        ("Conv-depthwise", {"group": 4, "auto_pad": "SAME_UPPER"}, (4, 1, 3, 3)),
        ("Conv-same-lower", {"auto_pad": "SAME_LOWER", "strides": [2, 2]}, (6, 4, 2, 2))]:
    c.check_model(name, model("Conv", [("x", F, list(img.shape))], [("y", F, None)], attrs,
                              inits=[const("w", randn(*wshape)), const("b", randn(wshape[0]))]), {"x": img})
c.check_model("Conv1d", model("Conv", [("x", F, [2, 4, 9])], [("y", F, None)], {"pads": [1, 1]},
                              inits=[const("w", randn(5, 4, 3))]), {"x": randn(2, 4, 9)})
for name, attrs, wshape in [
        ("ConvTranspose", {}, (4, 3, 3, 3)),
        ("ConvTranspose-stride-pad", {"strides": [2, 2], "pads": [1, 0, 1, 1], "output_padding": [1, 0]},
         (4, 3, 3, 2)),
        ("ConvTranspose-group-dilation", {"group": 2, "dilations": [2, 1], "strides": [1, 2]}, (4, 2, 2, 3))]:
    c.check_model(name, model("ConvTranspose", [("x", F, [2, 4, 5, 5])], [("y", F, None)], attrs,
                              inits=[const("w", randn(*wshape)),
                                     const("b", randn(wshape[1] * attrs.get("group", 1)))]),
                  {"x": randn(2, 4, 5, 5)})
for name, op, attrs in [
        ("MaxPool", "MaxPool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("MaxPool-ceil", "MaxPool", {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1}),
        ("MaxPool-dilation", "MaxPool", {"kernel_shape": [2, 2], "dilations": [2, 2]}),
        ("AveragePool", "AveragePool", {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
        ("AveragePool-incl", "AveragePool", {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1],
                                             "count_include_pad": 1}),
        ("AveragePool-ceil", "AveragePool", {"kernel_shape": [2, 2], "strides": [2, 2], "ceil_mode": 1})]:
    c.check_model(name, model(op, [("x", F, list(img.shape))], [("y", F, None)], attrs, opset=19),
                  {"x": img})
c.check_model("GlobalAveragePool", model("GlobalAveragePool", [("x", F, list(img.shape))], [("y", F, None)]),
              {"x": img})
c.check_model("BatchNormalization",
              model("BatchNormalization", [("x", F, list(img.shape))], [("y", F, None)], {"epsilon": 1e-3},
                    inits=[const("s", randn(4)), const("bb", randn(4)), const("m", randn(4)),
                           const("v", np.abs(randn(4)) + 0.5)]), {"x": img})
sq = randn(2, 4, 5)
for upper, k in [(1, 0), (0, 0), (1, 2), (0, -1)]:
    c.check_model(f"Trilu-u{upper}-k{k}",
                  model("Trilu", [("x", F, [2, 4, 5])], [("y", F, None)], {"upper": upper},
                        opset=14, inits=[const("k", np.array(k, np.int64))]), {"x": sq})
for mode in ["constant", "edge", "reflect"]:
    c.check_model(f"Pad-{mode}",
                  model("Pad", [("x", F, [2, 4, 5])], [("y", F, None)], {"mode": mode},
                        inits=[const("p", np.array([0, 1, 2, 1, 2, 0], np.int64)),
                               const("v", np.array(1.5, np.float32))]), {"x": sq})
c.check_model("GatherElements",
              model("GatherElements", [("x", F, [2, 4, 5])], [("y", F, None)], {"axis": 1},
                    inits=[const("i", rng.integers(-4, 4, (2, 3, 5)).astype(np.int64))]), {"x": sq})
for excl in (0, 1):
    for rev in (0, 1):
        c.check_model(f"CumSum-e{excl}-r{rev}",
                      model("CumSum", [("x", F, [2, 4, 5])], [("y", F, None)],
                            {"exclusive": excl, "reverse": rev}, opset=14,
                            inits=[const("a", np.array(-1, np.int64))]), {"x": sq})
for eq, shapes in [("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij->ji", [(3, 4)]),
                   ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]), ("ij,j", [(3, 4), (4,)]),
                   ("ijk->i", [(3, 4, 5)])]:
    names = ["a", "b"][:len(shapes)]
    c.check_model(f"Einsum-{eq}",
                  model("Einsum", [(nm, F, list(sh)) for nm, sh in zip(names, shapes)], [("y", F, None)],
                        {"equation": eq}, opset=13),
                  {nm: randn(*sh) for nm, sh in zip(names, shapes)})
for red in ["none", "add", "mul"]:
    c.check_model(f"ScatterND-{red}",
                  model("ScatterND", [("x", F, [4, 3, 2])], [("y", F, None)], {"reduction": red},
                        opset=18, inits=[const("i", np.array([[1], [-1]], np.int64)),
                                         const("u", randn(2, 3, 2))]), {"x": randn(4, 3, 2)})
c.check_model("ScatterND-elements",
              model("ScatterND", [("x", F, [4, 3])], [("y", F, None)], opset=13,
                    inits=[const("i", np.array([[0, 1], [3, 2], [2, 0]], np.int64)),
                           const("u", randn(3))]), {"x": randn(4, 3)})
# TopK: both directions, negative axis, and integer ties (lower index first).
for name, shape, attrs, k in [("TopK-largest", (3, 7), {}, 3),
                              ("TopK-smallest-axis0", (5, 4), {"axis": 0, "largest": 0}, 2)]:
    c.check_model(name, model("TopK", [("x", F, list(shape))], [("v", F, None), ("i", I64, None)],
                              attrs, inits=[const("k", np.array([k], np.int64))]),
                  {"x": randn(*shape)})
c.check_model("TopK-int-ties", model("TopK", [("x", I64, [2, 6])], [("v", I64, None), ("i", I64, None)],
                                     {"axis": -1}, inits=[const("k", np.array([4], np.int64))]),
              {"x": rng.integers(0, 3, (2, 6)).astype(np.int64)})
# Resize as exporters write it: nearest x2 (torch Upsample), bilinear with
# half_pixel / pytorch_half_pixel / align_corners, bicubic, down- and
# upsampling, by scales and by sizes.
img = randn(1, 2, 5, 6)
empty = const("roi", np.zeros(0, np.float32))
for name, attrs, scales, sizes in [
        ("nearest-x2", {"mode": "nearest", "coordinate_transformation_mode": "asymmetric",
                        "nearest_mode": "floor"}, [1, 1, 2, 2], None),
        ("linear-half-pixel-up", {"mode": "linear"}, [1, 1, 1.5, 2.5], None),
        ("linear-pytorch-down", {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"},
         None, [1, 2, 3, 1]),
        ("linear-align-corners", {"mode": "linear", "coordinate_transformation_mode": "align_corners"},
         None, [1, 2, 9, 11]),
        ("cubic-up", {"mode": "cubic"}, [1, 1, 2, 2], None)]:
    inits = [empty, const("scales", np.array(scales or [], np.float32))]
    if sizes:
        inits.append(const("sizes", np.array(sizes, np.int64)))
    c.check_model("Resize-" + name, model("Resize", [("x", F, list(img.shape))], [("y", F, None)],
                                          attrs, opset=19, inits=inits), {"x": img})
sys.exit(c.finish("linear, shape, reduction and NN ops vs onnxruntime"))
