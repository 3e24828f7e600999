"""Writes the malformed and unsupported models the error tests import."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
F = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, inits=(), opset=17, **kw):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], **kw)
    onnx.save(model, os.path.join(out, name + ".onnx"))
    return model


vi = helper.make_tensor_value_info
good = save("good", [helper.make_node("Relu", ["x"], ["y"], name="relu0")],
            [vi("x", F, [2, 3])], [vi("y", F, [2, 3])])

# Not protobuf at all, and a truncated model.
with open(os.path.join(out, "garbage.onnx"), "wb") as f:
    f.write(b"\xff\xfe this is not an onnx model \x00\x01\x02" * 10)
data = good.SerializeToString()
with open(os.path.join(out, "truncated.onnx"), "wb") as f:
    f.write(data[: len(data) // 2])
open(os.path.join(out, "empty.onnx"), "wb").close()

save("unsupported", [helper.make_node("Relu", ["x"], ["t"], name="relu0"),
                     helper.make_node("NonMaxSuppression", ["t"], ["y"], name="nms1")],
     [vi("x", F, [2, 3])], [vi("y", F, None)])
save("custom_domain", [helper.make_node("FancyOp", ["x"], ["y"], name="fancy", domain="com.example")],
     [vi("x", F, [2, 3])], [vi("y", F, None)],
     opset=17) if False else None
g = helper.make_graph([helper.make_node("FancyOp", ["x"], ["y"], name="fancy", domain="com.example")],
                      "custom_domain", [vi("x", F, [2, 3])], [vi("y", F, None)])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17),
                                              helper.make_opsetid("com.example", 1)]),
          os.path.join(out, "custom_domain.onnx"))
save("old_opset", [helper.make_node("Relu", ["x"], ["y"])], [vi("x", F, [2])], [vi("y", F, None)],
     opset=9)
save("symbolic", [helper.make_node("Relu", ["ids"], ["y"])], [vi("ids", F, ["batch", "seq"])],
     [vi("y", F, None)])
save("mismatch", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm7")],
     [vi("x", F, [2, 3])], [vi("y", F, None)],
     inits=[numpy_helper.from_array(np.ones((4, 5), np.float32), "w")])
save("bad_broadcast", [helper.make_node("Add", ["x", "z"], ["y"], name="add3")],
     [vi("x", F, [2, 3]), vi("z", F, [4])], [vi("y", F, None)])
save("runtime_shape", [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape2")],
     [vi("x", F, [2, 3]), vi("s", TensorProto.INT64, [2])], [vi("y", F, None)])
save("undefined_input", [helper.make_node("Relu", ["nowhere"], ["y"], name="relu9")],
     [vi("x", F, [2, 3])], [vi("y", F, None)])

# External data whose file is missing, and one whose file is too short.
w = numpy_helper.from_array(np.ones((64, 64), np.float32), "w")
ext = save("external_missing", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm0")],
           [vi("x", F, [2, 64])], [vi("y", F, None)], inits=[w])
from onnx.external_data_helper import convert_model_to_external_data
convert_model_to_external_data(ext, location="missing_weights.bin", size_threshold=0)
onnx.save(ext, os.path.join(out, "external_missing.onnx"))
os.remove(os.path.join(out, "missing_weights.bin")) if os.path.exists(os.path.join(out, "missing_weights.bin")) else None
ext2 = save("external_short", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm0")],
            [vi("x", F, [2, 64])], [vi("y", F, None)], inits=[w])
convert_model_to_external_data(ext2, location="short_weights.bin", size_threshold=0)
onnx.save(ext2, os.path.join(out, "external_short.onnx"))
with open(os.path.join(out, "short_weights.bin"), "r+b") as f:
    f.truncate(100)

# External data with a malformed offset (found by the fuzzer: it used to abort).
ext3 = save("external_bad_offset", [helper.make_node("MatMul", ["x", "w"], ["y"], name="mm0")],
            [vi("x", F, [2, 64])], [vi("y", F, None)], inits=[w])
convert_model_to_external_data(ext3, location="bad_offset.bin", size_threshold=0)
for entry in ext3.graph.initializer[0].external_data:
    if entry.key == "offset":
        entry.value = "12abc"
if not any(e.key == "offset" for e in ext3.graph.initializer[0].external_data):
    ext3.graph.initializer[0].external_data.add(key="offset", value="12abc")
with open(os.path.join(out, "external_bad_offset.onnx"), "wb") as f:
    f.write(ext3.SerializeToString())  # onnx.save would reject the offset
