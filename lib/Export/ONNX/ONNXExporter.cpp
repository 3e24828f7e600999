//===- ONNXExporter.cpp - qslc --emit=onnx --------------------------------===//
//
// Rewrites the original ONNX model rather than translating the MLIR: the
// graph, its names, metadata and every dense weight stay as they were, and
// only the weight inputs of the nodes whose weights a pass compressed are
// redirected to a subgraph that evaluates the encoding,
//
//   W = S ⊙ (select(M, deq(Q), 0) + scatter(O) + U·V)      (docs/formats)
//
// in f32 (the compute type of every encoding of f32/f16/bf16 weights),
// rounded once to the weight's type by a final Cast, as
// denseApproximation and qsl-lower-to-linalg do:
//
//   quant     DequantizeLinear(codes int4/uint4/int8/uint8, scale, zero),
//             block-wise along the quant axis (opset 21) or per channel;
//             scales keep their stored type (f16 + Cast to f32)
//   sparse    with quant: pruned positions hold the zero point's code, so
//             the same DequantizeLinear yields exact zeros (ONNX has no
//             portable N:M format); without: a dense initializer
//   outliers  ScatterND(reduction = add) of the stored values (Cast) at the
//             stored i32 indices (Cast to i64) into the flattened term
//   lowrank   MatMul(U, V) of the stored factors (Cast), Add
//   smooth    Mul by the stored multipliers, [rows, 1] or [1, cols]
//
// The rewrite is checked before anything is written: the consumer node of
// every weight use must be found by name, its weight input must be an
// initializer of the shape the module has (else a structured pruning
// changed the graph) and the same values as the encoding's qsl.source.
//
//===----------------------------------------------------------------------===//
#include "ExportInternal.h"

#include "qsl/Dialect/QSL/IR/EncodedConstant.h"
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"
#include "qsl/Utils/ElementsAccess.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Path.h"

#include <set>

using namespace mlir;
using namespace mlir::qsl;
using namespace onnx_export;

namespace {

int floatDataType(Type t) {
  if (t.isF32())
    return kFloat;
  if (t.isF16())
    return kFloat16;
  if (t.isBF16())
    return kBFloat16;
  if (t.isF64())
    return kDouble;
  return 0;
}

std::string shapeString(ArrayRef<int64_t> dims) {
  std::string s;
  for (int64_t d : dims)
    s += (s.empty() ? "" : "x") + std::to_string(d);
  return s.empty() ? "scalar" : s;
}

class Exporter {
public:
  Exporter(ModuleOp module, StringRef modelPath)
      : module(module), file(modelPath.str()) {}

  void run(const std::string &output, const ONNXExportOptions &options);

private:
  void indexGraph();
  void exportUse(const WeightUse &use, onnx::NodeProto &node,
                 onnx::TensorProto &init);
  std::string buildWeight(const EncodedTensorType &view,
                          const EncodedContents &in, const std::string &base,
                          ArrayRef<int64_t> dims);

  std::string fresh(const std::string &base) {
    std::string name = base;
    for (int i = 1; names.contains(name); ++i)
      name = base + "_" + std::to_string(i);
    names.insert(name);
    return name;
  }
  std::string addInit(const std::string &base, int dataType,
                      ArrayRef<int64_t> dims, std::string bytes) {
    onnx::TensorProto *t = newInits.Add();
    t->set_name(fresh(base));
    t->set_data_type(dataType);
    for (int64_t d : dims)
      t->add_dims(d);
    t->set_raw_data(std::move(bytes));
    return t->name();
  }
  onnx::NodeProto &addNode(const std::string &op,
                           std::vector<std::string> inputs,
                           const std::string &base) {
    onnx::NodeProto *n = newNodes.Add();
    n->set_op_type(op);
    n->set_name(fresh(base + "/" + op));
    for (const std::string &i : inputs)
      n->add_input(i);
    n->add_output(fresh(base + "_" + op));
    return *n;
  }
  static void setInt(onnx::NodeProto &n, const char *name, int64_t v) {
    onnx::AttributeProto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  static void setString(onnx::NodeProto &n, const char *name,
                        const std::string &v) {
    onnx::AttributeProto *a = n.add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(v);
  }
  /// `value` as f32 (a Cast when `type` is another float type).
  std::string toF32(const std::string &value, int type,
                    const std::string &base) {
    if (type == kFloat)
      return value;
    onnx::NodeProto &n = addNode("Cast", {value}, base);
    setInt(n, "to", kFloat);
    return n.output(0);
  }
  void require(int64_t opset, const std::string &why) {
    if (opset > requiredOpset) {
      requiredOpset = opset;
      requiredWhy = why;
    }
  }

  ModuleOp module;
  std::string file;
  onnx::ModelProto model;
  llvm::StringSet<> names;
  llvm::StringMap<int> nodeByName;
  google::protobuf::RepeatedPtrField<onnx::NodeProto> newNodes;
  google::protobuf::RepeatedPtrField<onnx::TensorProto> newInits;
  int64_t requiredOpset = 0;
  std::string requiredWhy;
  bool usesInt4 = false;
};

/// Names every node the way the importer does (its name, or
/// `<op_type>_<index>`), and collects every tensor name in use.
void Exporter::indexGraph() {
  std::function<void(const onnx::GraphProto &)> collect =
      [&](const onnx::GraphProto &g) {
        for (const onnx::ValueInfoProto &v : g.input())
          names.insert(v.name());
        for (const onnx::ValueInfoProto &v : g.output())
          names.insert(v.name());
        for (const onnx::TensorProto &t : g.initializer())
          names.insert(t.name());
        for (const onnx::NodeProto &n : g.node()) {
          names.insert(n.name());
          for (const std::string &s : n.input())
            names.insert(s);
          for (const std::string &s : n.output())
            names.insert(s);
          for (const onnx::AttributeProto &a : n.attribute()) {
            if (a.has_g())
              collect(a.g());
            for (const onnx::GraphProto &sub : a.graphs())
              collect(sub);
          }
        }
      };
  collect(model.graph());
  const onnx::GraphProto &g = model.graph();
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto &n = g.node(i);
    std::string name = n.name().empty() ? n.op_type() + "_" + std::to_string(i)
                                        : n.name();
    nodeByName.try_emplace(name, i);
  }
}

void Exporter::run(const std::string &output,
                   const ONNXExportOptions &options) {
  bool hadExternal = false;
  loadModel(file, model, hadExternal);
  indexGraph();
  onnx::GraphProto &graph = *model.mutable_graph();
  llvm::StringMap<onnx::TensorProto *> inits;
  for (onnx::TensorProto &t : *graph.mutable_initializer())
    inits[t.name()] = &t;

  std::set<std::string> replaced;
  for (const WeightUse &use : collectWeightUses(module)) {
    // Encodings without qsl.method came with the model (imported Q/DQ or
    // MatMulNBits weights): the ONNX graph already says them.
    bool compressed = use.encoded && use.encoded->hasAttr(kMethodAttr);
    if (use.encoded && !compressed)
      continue;
    std::string what = "weight '" + use.name + "' (node '" + use.node + "')";
    auto it = nodeByName.find(use.node);
    if (it == nodeByName.end()) {
      if (compressed)
        throw ExportError(what + ": no node of that name in " + file);
      continue;
    }
    onnx::NodeProto &node = *graph.mutable_node(it->second);
    bool known = (node.domain().empty() || node.domain() == "ai.onnx") &&
                 (node.op_type() == "MatMul" || node.op_type() == "Gemm" ||
                  node.op_type() == "Conv") &&
                 node.input_size() >= 2;
    auto init = known ? inits.find(node.input(1)) : inits.end();
    if (init == inits.end()) {
      if (compressed)
        throw ExportError(
            what + ": only the initializer weights of MatMul, Gemm and Conv "
                   "nodes can be exported, and this is input '" +
            (node.input_size() >= 2 ? node.input(1) : std::string()) +
            "' of a " + node.op_type());
      continue;
    }
    onnx::TensorProto &t = *init->second;
    SmallVector<int64_t> dims(t.dims().begin(), t.dims().end());
    int64_t count = 1;
    for (int64_t d : dims)
      count *= d;
    ArrayRef<int64_t> shape = use.weightType.getShape();
    if (dims.empty() || dims[0] != shape[0] ||
        count != use.weightType.getNumElements())
      throw ExportError(
          what + " is " + shapeString(shape) + " in the compressed module but "
          "initializer '" + t.name() + "' is " + shapeString(dims) + " in " +
          file + ": export after structured pruning (qsl-prune-structured) "
          "is not supported yet");
    if (compressed)
      exportUse(use, node, t);
    if (compressed)
      replaced.insert(t.name());
  }

  // Initializers no node, subgraph or output still reads are dropped (with
  // their graph input, for IR < 4 models that list initializers there).
  std::set<std::string> read;
  std::function<void(const onnx::GraphProto &)> reads =
      [&](const onnx::GraphProto &g) {
        for (const onnx::NodeProto &n : g.node()) {
          read.insert(n.input().begin(), n.input().end());
          for (const onnx::AttributeProto &a : n.attribute()) {
            if (a.has_g())
              reads(a.g());
            for (const onnx::GraphProto &sub : a.graphs())
              reads(sub);
          }
        }
        for (const onnx::ValueInfoProto &v : g.output())
          read.insert(v.name());
      };
  reads(graph);
  auto unused = [&](const std::string &name) {
    return replaced.count(name) && !read.count(name);
  };
  auto *initList = graph.mutable_initializer();
  initList->erase(std::remove_if(initList->begin(), initList->end(),
                                 [&](const onnx::TensorProto &t) {
                                   return unused(t.name());
                                 }),
                  initList->end());
  auto *inputs = graph.mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto &v) {
                                 return unused(v.name());
                               }),
                inputs->end());
  // The new nodes read only initializers: they go first.
  for (onnx::TensorProto &t : newInits)
    *graph.add_initializer() = std::move(t);
  google::protobuf::RepeatedPtrField<onnx::NodeProto> nodes;
  for (onnx::NodeProto &n : newNodes)
    *nodes.Add() = std::move(n);
  for (onnx::NodeProto &n : *graph.mutable_node())
    *nodes.Add() = std::move(n);
  graph.mutable_node()->Swap(&nodes);

  raiseOpset(model, requiredOpset, requiredWhy, file);
  if (usesInt4 && model.ir_version() < 10)
    model.set_ir_version(10);
  writeModel(model, output, options, hadExternal);
}

void Exporter::exportUse(const WeightUse &use, onnx::NodeProto &node,
                         onnx::TensorProto &init) {
  std::string what = "weight '" + use.name + "' (node '" + use.node + "')";
  std::optional<EncodedTensorType> view =
      EncodedTensorType::get(use.weightType);
  if (!view)
    throw ExportError(what + ": not an encoded tensor");
  if (floatDataType(view->getElementType()) != init.data_type())
    throw ExportError(what + ": the module's element type differs from "
                             "initializer '" + init.name() + "'");
  // The encoding must have been made from this very initializer.
  if (use.source) {
    std::optional<std::vector<double>> source = readFloatElements(use.source);
    if (source && *source != decodeFloats(init))
      throw ExportError(what + ": the module's original weight differs from "
                               "initializer '" + init.name() + "' of " + file +
                        ": was the module compiled from this model?");
  }
  if (QuantAttr q = view->getQuant()) {
    if (q.getZero() && !llvm::isa<IntegerType>(q.getZero()))
      throw ExportError(what + ": float zero points cannot be exported yet");
  }
  if (view->getElementType().isF64())
    throw ExportError(what + ": f64 weights cannot be exported yet");
  FailureOr<EncodedContents> contents = readEncodedConstant(use.encoded);
  if (failed(contents))
    throw ExportError(what + ": cannot read its encoded data");
  SmallVector<int64_t> dims(init.dims().begin(), init.dims().end());
  node.set_input(1, buildWeight(*view, *contents, init.name(), dims));
}

std::string Exporter::buildWeight(const EncodedTensorType &view,
                                  const EncodedContents &in,
                                  const std::string &base,
                                  ArrayRef<int64_t> dims) {
  int64_t rows = view.getMatrixRows(), cols = view.getMatrixCols();
  int weightType = floatDataType(view.getElementType());
  std::string cur; // the sum so far ("" while it is 0)
  int curType = kFloat;
  auto cast = [&](const std::string &v, int to) {
    onnx::NodeProto &n = addNode("Cast", {v}, base);
    setInt(n, "to", to);
    return n.output(0);
  };
  auto ensureF32 = [&]() {
    cur = toF32(cur, curType, base);
    curType = kFloat;
  };

  QuantAttr quant = view.getQuant();
  if (quant && quant.hasCodebook()) {
    // w[r, c] = table[groupIndex(r, c) * K + code[r, c]]: uint8 codes, cast
    // to int32 and offset by a per-table base (broadcast over a 3-D view
    // [tables along the axis, group, other axis]), gather from the flat
    // table.
    int64_t k = quant.getCodebook(), axis = quant.getAxis();
    int64_t group = quant.getGroup();
    int64_t along = axis == 0 ? rows : cols;
    int64_t ga = group == 0 ? 1 : along / group;
    SmallVector<int64_t> view3 =
        axis == 0 ? SmallVector<int64_t>{ga, rows / ga, cols}
                  : SmallVector<int64_t>{rows, ga, cols / ga};
    SmallVector<int64_t> offDims = axis == 0
                                       ? SmallVector<int64_t>{ga, 1, cols}
                                       : SmallVector<int64_t>{rows, ga, 1};
    std::vector<int64_t> offsets;
    int64_t tables = int64_t(in.codebook.size()) / k;
    if (tables * k > int64_t(INT32_MAX))
      throw ExportError("weight '" + base + "': codebook too large to index");
    for (int64_t t = 0; t < tables; ++t)
      offsets.push_back(t * k); // the group shape is row-major like offDims
    std::string codes = addInit(base + "_codes", kUInt8, {rows, cols},
                                encodeInts(in.codes, kUInt8));
    std::string shape3 = addInit(base + "_codes_shape", kInt64, {3},
                                 encodeInts(view3, kInt64));
    std::string idx = addNode("Reshape", {cast(codes, kInt32), shape3}, base)
                          .output(0);
    std::string off = addInit(base + "_codebook_offsets", kInt32, offDims,
                              encodeInts(offsets, kInt32));
    idx = addNode("Add", {idx, off}, base).output(0);
    int tableType = floatDataType(quant.getScale());
    if (!tableType || tableType == kDouble)
      throw ExportError("weight '" + base +
                        "': codebook type is not f32/f16/bf16");
    std::string table =
        toF32(addInit(base + "_codebook", tableType, {tables * k},
                      encodeFloats(in.codebook, tableType)),
              tableType, base);
    std::string g = addNode("Gather", {table, idx}, base).output(0);
    std::string matrix = addInit(base + "_codes_matrix_shape", kInt64, {2},
                                 encodeInts({rows, cols}, kInt64));
    cur = addNode("Reshape", {g, matrix}, base).output(0);
    curType = kFloat;
    if (view.getSparse()) {
      // Pruned positions are exactly 0 whatever their code indexes: a bool
      // keep mask selects between the table value and 0.
      std::vector<int64_t> keep(in.keep.begin(), in.keep.end());
      std::string mask =
          addInit(base + "_keep", kBool, {rows, cols}, encodeInts(keep, kBool));
      std::string zero = addInit(base + "_zero", kFloat, {}, encodeFloats({0.0}, kFloat));
      cur = addNode("Where", {mask, cur, zero}, base).output(0);
    }
  } else if (QuantAttr q = quant) {
    unsigned bits = q.getBits();
    bool sym = q.isSymmetric();
    int codeType = bits <= 4 ? (sym ? kInt4 : kUInt4) : (sym ? kInt8 : kUInt8);
    usesInt4 |= bits <= 4;
    int64_t axis = q.getAxis(), group = q.getGroup();
    int64_t along = axis == 0 ? rows : cols;
    int64_t groupsAlong = group == 0 ? 1 : along / group;
    auto groupIndex = [&](int64_t r, int64_t c) {
      if (axis == 0)
        return (group == 0 ? 0 : r / group) * cols + c;
      return r * groupsAlong + (group == 0 ? 0 : c / group);
    };
    // Pruned positions take the code of zero: deq gives exactly 0 there.
    std::vector<int64_t> codes = in.codes;
    if (view.getSparse())
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c)
          if (!in.keep[r * cols + c])
            codes[r * cols + c] = sym ? 0 : in.zeros[groupIndex(r, c)];
    std::string q8 = addInit(base + "_codes", codeType, {rows, cols},
                             encodeInts(codes, codeType));
    // Per channel: 1-D parameters along the other axis; group-wise: the
    // group shape, blocks of `group` along the quant axis.
    SmallVector<int64_t> paramDims;
    if (group == 0)
      paramDims = {axis == 0 ? cols : rows};
    else
      paramDims = view.getGroupShape();
    // Quantized statistics: the scales the model uses are t * (code - z)
    // computed in f32; they are exported as such.
    int scaleType = q.hasQuantizedStats() ? int(kFloat)
                                          : floatDataType(q.getScale());
    if (!scaleType || scaleType == kDouble)
      throw ExportError("weight '" + base + "': scale type is not f32/f16/bf16");
    std::string s = addInit(base + "_scale", scaleType, paramDims,
                            encodeFloats(in.scales, scaleType));
    std::vector<std::string> dqInputs = {q8, toF32(s, scaleType, base)};
    if (!sym)
      dqInputs.push_back(addInit(base + "_zero_point", codeType, paramDims,
                                 encodeInts(in.zeros, codeType)));
    onnx::NodeProto &dq = addNode("DequantizeLinear", dqInputs, base);
    if (group == 0) {
      setInt(dq, "axis", axis == 0 ? 1 : 0);
      require(bits <= 4 ? 21 : 13, bits <= 4 ? "4-bit DequantizeLinear"
                                             : "per-axis DequantizeLinear");
    } else {
      setInt(dq, "axis", axis);
      setInt(dq, "block_size", group);
      require(21, "block-wise DequantizeLinear");
    }
    cur = dq.output(0);
  } else if (view.getSparse()) {
    std::vector<double> values(rows * cols, 0.0);
    for (int64_t i = 0; i < rows * cols; ++i)
      if (in.keep[i])
        values[i] = in.values[i];
    cur = addInit(base + "_sparse", weightType, {rows, cols},
                  encodeFloats(values, weightType));
    curType = weightType;
  }

  if (OutliersAttr o = view.getOutliers()) {
    int64_t count = in.outlierIndices.size();
    bool wide = rows * cols > int64_t(INT32_MAX);
    std::string idx = addInit(base + "_outlier_indices", wide ? kInt64 : kInt32,
                              {count, 1},
                              encodeInts(in.outlierIndices,
                                         wide ? kInt64 : kInt32));
    if (!wide)
      idx = cast(idx, kInt64);
    int valType = floatDataType(o.getType());
    std::string val = toF32(addInit(base + "_outlier_values", valType, {count},
                                    encodeFloats(in.outlierValues, valType)),
                            valType, base);
    std::string flat = addInit(base + "_flat_shape", kInt64, {1},
                               encodeInts({rows * cols}, kInt64));
    std::string data;
    if (cur.empty()) {
      onnx::NodeProto &zeros = addNode("ConstantOfShape", {flat}, base);
      onnx::AttributeProto *a = zeros.add_attribute();
      a->set_name("value");
      a->set_type(onnx::AttributeProto::TENSOR);
      a->mutable_t()->set_data_type(kFloat);
      a->mutable_t()->add_dims(1);
      a->mutable_t()->set_raw_data(encodeFloats({0.0}, kFloat));
      data = zeros.output(0);
    } else {
      ensureF32();
      data = addNode("Reshape", {cur, flat}, base).output(0);
    }
    onnx::NodeProto &scatter = addNode("ScatterND", {data, idx, val}, base);
    setString(scatter, "reduction", "add");
    require(16, "ScatterND with reduction 'add'");
    std::string matrix = addInit(base + "_matrix_shape", kInt64, {2},
                                 encodeInts({rows, cols}, kInt64));
    cur = addNode("Reshape", {scatter.output(0), matrix}, base).output(0);
    curType = kFloat;
  }

  if (LowRankAttr lr = view.getLowRank()) {
    int factorType = floatDataType(lr.getType());
    int64_t rank = lr.getRank();
    std::string u = toF32(addInit(base + "_lowrank_u", factorType, {rows, rank},
                                  encodeFloats(in.u, factorType)),
                          factorType, base);
    std::string v = toF32(addInit(base + "_lowrank_v", factorType, {rank, cols},
                                  encodeFloats(in.v, factorType)),
                          factorType, base);
    std::string uv = addNode("MatMul", {u, v}, base).output(0);
    if (cur.empty()) {
      cur = uv;
    } else {
      ensureF32();
      cur = addNode("Add", {cur, uv}, base).output(0);
    }
    curType = kFloat;
  }

  if (SmoothAttr sm = view.getSmooth()) {
    int smoothType = floatDataType(sm.getType());
    SmallVector<int64_t> smDims = sm.getAxis() == 0
                                      ? SmallVector<int64_t>{rows, 1}
                                      : SmallVector<int64_t>{1, cols};
    std::string m = toF32(addInit(base + "_smooth", smoothType, smDims,
                                  encodeFloats(in.smooth, smoothType)),
                          smoothType, base);
    ensureF32();
    cur = addNode("Mul", {cur, m}, base).output(0);
  }

  if (cur.empty())
    throw ExportError("weight '" + base + "': the encoding has no terms");
  if (curType != weightType) {
    cur = cast(cur, weightType);
    curType = weightType;
  }
  if (dims.size() != 2 || dims[0] != rows || dims[1] != cols) {
    std::string shape = addInit(base + "_shape", kInt64, {int64_t(dims.size())},
                                encodeInts(dims, kInt64));
    cur = addNode("Reshape", {cur, shape}, base).output(0);
  }
  return cur;
}

} // namespace

LogicalResult mlir::qsl::exportONNXModel(ModuleOp module, StringRef modelPath,
                                         StringRef outputPath,
                                         const ONNXExportOptions &options) {
  Location loc = FileLineColLoc::get(module.getContext(), modelPath, 0, 0);
  try {
    Exporter(module, modelPath).run(outputPath.str(), options);
    return success();
  } catch (const std::exception &e) {
    return emitError(loc) << "cannot export to ONNX: " << e.what();
  }
}
