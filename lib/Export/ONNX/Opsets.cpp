//===- Opsets.cpp - Raising a model's opset without changing its meaning --===//
//
// Block-wise and 4-bit DequantizeLinear need opset 21, ScatterND with
// reduction 'add' opset 16. A model that imports an older default opset is
// raised only when none of its nodes would mean something else under the
// new version. From opset 13 (the oldest QSL imports) to 21, most version
// bumps only added types or attributes whose defaults keep the old
// behaviour; the table below lists the ones that did not (from ONNX's
// Changelog.md), with the condition under which an old node is affected.
//
//===----------------------------------------------------------------------===//
#include "ExportInternal.h"

#include <algorithm>
#include <functional>
#include <set>

using namespace onnx_export;

namespace {

bool hasAttr(const onnx::NodeProto &n, const char *name) {
  for (const onnx::AttributeProto &a : n.attribute())
    if (a.name() == name)
      return true;
  return false;
}

struct Change {
  const char *op;
  int64_t version;
  const char *what;
  std::function<bool(const onnx::NodeProto &)> affects;
};

const std::vector<Change> &changes() {
  auto always = [](const onnx::NodeProto &) { return true; };
  auto axesAttr = [](const onnx::NodeProto &n) { return hasAttr(n, "axes"); };
  static const std::vector<Change> table = [&] {
    std::vector<Change> t = {
        {"BatchNormalization", 14, "its training outputs changed",
         [](const onnx::NodeProto &n) { return n.output_size() > 1; }},
        {"RoiAlign", 16, "the default coordinate transformation changed",
         always},
        {"Split", 18, "equal splits need num_outputs",
         [](const onnx::NodeProto &n) {
           return n.input_size() < 2 || n.input(1).empty();
         }},
        {"DFT", 20, "axis became an input", always},
        {"GridSample", 20, "its mode names changed", always},
        {"GroupNormalization", 21, "scale and bias became per channel",
         always},
    };
    for (const char *op : {"ReduceL1", "ReduceL2", "ReduceLogSum",
                           "ReduceLogSumExp", "ReduceMax", "ReduceMean",
                           "ReduceMin", "ReduceProd", "ReduceSumSquare"})
      t.push_back({op, 18, "axes became an input", axesAttr});
    return t;
  }();
  return table;
}

void walk(const onnx::GraphProto &g,
          const std::function<void(const onnx::NodeProto &)> &f) {
  for (const onnx::NodeProto &n : g.node()) {
    f(n);
    for (const onnx::AttributeProto &a : n.attribute()) {
      if (a.has_g())
        walk(a.g(), f);
      for (const onnx::GraphProto &sub : a.graphs())
        walk(sub, f);
    }
  }
}

} // namespace

int64_t onnx_export::defaultOpset(const onnx::ModelProto &model) {
  for (const onnx::OperatorSetIdProto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      return o.version();
  return 0;
}

void onnx_export::raiseOpset(onnx::ModelProto &model, int64_t required,
                             const std::string &why, const std::string &file) {
  int64_t current = defaultOpset(model);
  if (required <= current)
    return;
  std::set<std::string> problems;
  walk(model.graph(), [&](const onnx::NodeProto &n) {
    if (!n.domain().empty() && n.domain() != "ai.onnx")
      return;
    for (const Change &c : changes())
      if (n.op_type() == c.op && current < c.version &&
          c.version <= required && c.affects(n))
        problems.insert("node '" + n.name() + "' (" + n.op_type() + ": " +
                        c.what + " at opset " + std::to_string(c.version) +
                        ")");
  });
  if (model.functions_size() > 0)
    problems.insert("the model's local functions (not checked)");
  if (!problems.empty()) {
    std::string list;
    for (const std::string &p : problems)
      list += (list.empty() ? "" : ", ") + p;
    throw ExportError(
        "the exported weights need opset " + std::to_string(required) + " (" +
        why + ") but " + file + " imports opset " + std::to_string(current) +
        ", and raising it would change the meaning of " + list +
        "; export the original model at opset " + std::to_string(required) +
        " first");
  }
  bool found = false;
  for (onnx::OperatorSetIdProto &o : *model.mutable_opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") {
      o.set_version(required);
      found = true;
    }
  if (!found) {
    onnx::OperatorSetIdProto *o = model.add_opset_import();
    o->set_domain("");
    o->set_version(required);
  }
  // The IR version each opset was released with (ONNX's Versioning.md).
  int64_t ir = required >= 21 ? 10 : required >= 19 ? 9 : required >= 15 ? 8 : 7;
  model.set_ir_version(std::max<int64_t>(model.ir_version(), ir));
}
