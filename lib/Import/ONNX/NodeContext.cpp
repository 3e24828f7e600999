//===- NodeContext.cpp - What ONNX op handlers see -------------------------===//
#include "GraphImporter.h"
#include "ImportContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "qsl/Utils/ElementsAccess.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

std::string onnx_import::shapeStr(ArrayRef<int64_t> shape) {
  std::string s = "[";
  for (auto [i, d] : llvm::enumerate(shape))
    s += (i ? ", " : "") + std::to_string(d);
  return s + "]";
}

Value onnx_import::reshapeStatic(OpBuilder &b, Location loc, Value v,
                                 ArrayRef<int64_t> shape) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  if (t.getShape() == shape)
    return v;
  auto to = RankedTensorType::get(shape, t.getElementType());
  auto shapeType =
      RankedTensorType::get({int64_t(shape.size())}, b.getI64Type());
  Value s = arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(shapeType, shape));
  return tensor::ReshapeOp::create(b, loc, to, v, s);
}

Value NodeContext::input(size_t i) const {
  if (!hasInput(i))
    fail("input #" + llvm::Twine(i) + " is required");
  return inputs[i].value;
}

RankedTensorType NodeContext::inputType(size_t i) const {
  return llvm::cast<RankedTensorType>(input(i).getType());
}

const IntConst &NodeContext::constInput(size_t i, llvm::StringRef what) const {
  input(i);
  if (!inputs[i].ints)
    fail("input #" + llvm::Twine(i) + " (" + what +
         ") must be known when the model is compiled; it is computed at run "
         "time");
  return *inputs[i].ints;
}

ElementsAttr NodeContext::constantAttr(size_t i) const {
  if (!hasInput(i))
    return {};
  auto c = inputs[i].value.getDefiningOp<arith::ConstantOp>();
  return c ? llvm::dyn_cast<ElementsAttr>(c.getValue()) : ElementsAttr();
}

SmallVector<int64_t> onnx_import::readIntegers(ElementsAttr attr) {
  std::optional<std::vector<int64_t>> v = readIntElements(attr);
  if (!v)
    fail("constant data is not an available integer tensor (resource "
         "dropped?)");
  return SmallVector<int64_t>(v->begin(), v->end());
}

SmallVector<double> onnx_import::readFloats(ElementsAttr attr) {
  std::optional<std::vector<double>> v = readFloatElements(attr);
  if (!v)
    fail("expected an available float constant");
  return SmallVector<double>(v->begin(), v->end());
}

void NodeContext::expectArity(size_t min, size_t max) const {
  size_t n = node.input_size();
  if (n < min || n > max)
    fail("expects " +
         (min == max ? llvm::Twine(min)
                     : llvm::Twine(min) + " to " + llvm::Twine(max)) +
         " inputs, got " + llvm::Twine(n));
}

const onnx::AttributeProto *NodeContext::attr(llvm::StringRef name) const {
  for (const onnx::AttributeProto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

std::optional<int64_t> NodeContext::optIntAttr(llvm::StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  if (a->type() != onnx::AttributeProto::INT)
    fail("attribute '" + name + "' must be an integer");
  return a->i();
}

int64_t NodeContext::intAttr(llvm::StringRef name, int64_t dflt) const {
  return optIntAttr(name).value_or(dflt);
}

float NodeContext::floatAttr(llvm::StringRef name, float dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt;
  if (a->type() != onnx::AttributeProto::FLOAT)
    fail("attribute '" + name + "' must be a float");
  return a->f();
}

std::string NodeContext::stringAttr(llvm::StringRef name,
                                    llvm::StringRef dflt) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return dflt.str();
  if (a->type() != onnx::AttributeProto::STRING)
    fail("attribute '" + name + "' must be a string");
  return a->s();
}

std::optional<SmallVector<int64_t>>
NodeContext::optIntsAttr(llvm::StringRef name) const {
  const onnx::AttributeProto *a = attr(name);
  if (!a)
    return std::nullopt;
  if (a->type() != onnx::AttributeProto::INTS)
    fail("attribute '" + name + "' must be a list of integers");
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

SmallVector<int64_t> NodeContext::intsAttr(llvm::StringRef name) const {
  return optIntsAttr(name).value_or(SmallVector<int64_t>());
}

void NodeContext::rejectAttr(llvm::StringRef name, llvm::StringRef why) const {
  if (attr(name))
    fail("attribute '" + name + "' is not supported: " + why);
}

int64_t NodeContext::axis(int64_t a, int64_t rank) const {
  if (a < -rank || a >= std::max<int64_t>(rank, 1))
    fail("axis " + llvm::Twine(a) + " is out of range for rank " +
         llvm::Twine(rank));
  return a < 0 ? a + rank : a;
}

std::optional<SmallVector<int64_t>>
NodeContext::axesInput(size_t i, int64_t rank) const {
  if (!hasInput(i))
    return std::nullopt;
  SmallVector<int64_t> axes;
  for (int64_t a : constInput(i, "axes").data)
    axes.push_back(axis(a, rank));
  return axes;
}

void NodeContext::setResult(size_t i, Value v, std::optional<IntConst> ints) {
  if (results.size() <= i)
    results.resize(i + 1);
  results[i] = TensorValue{v, std::move(ints)};
}

void NodeContext::setConstResult(size_t i, IntConst value, Type elementType) {
  auto type = RankedTensorType::get(value.shape, elementType);
  SmallVector<APInt> data;
  for (int64_t v : value.data)
    data.emplace_back(elementType.getIntOrFloatBitWidth(), v, true, true);
  Value c = arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, data));
  setResult(i, c, std::move(value));
}

Type NodeContext::elementType(int32_t onnxType) const {
  return importer.elementType(onnxType);
}

ElementsAttr NodeContext::importTensor(const onnx::TensorProto &tensor) const {
  return importer.importTensor(tensor);
}

//===----------------------------------------------------------------------===//
// OpTable
//===----------------------------------------------------------------------===//

OpTable::OpTable() {
  registerElementwiseOps(*this);
  registerLinearOps(*this);
  registerShapeOps(*this);
  registerNNOps(*this);
  registerReductionOps(*this);
  registerQuantizationOps(*this);
  registerResizeOps(*this);
}

void OpTable::add(llvm::StringRef domain, llvm::StringRef opType,
                  int64_t sinceVersion, OpHandler handler) {
  handlers[(domain + "::" + opType).str()].emplace_back(sinceVersion,
                                                        std::move(handler));
}

const OpHandler *OpTable::lookup(llvm::StringRef domain, llvm::StringRef opType,
                                 int64_t opset) const {
  auto it = handlers.find((domain + "::" + opType).str());
  if (it == handlers.end())
    return nullptr;
  const OpHandler *best = nullptr;
  int64_t bestVersion = -1;
  for (const auto &[since, handler] : it->second)
    if (since <= opset && since > bestVersion) {
      best = &handler;
      bestVersion = since;
    }
  return best;
}

std::vector<std::pair<std::string, int64_t>> OpTable::list() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto &entry : handlers) {
    int64_t lowest = INT64_MAX;
    for (const auto &h : entry.getValue())
      lowest = std::min(lowest, h.first);
    out.emplace_back(entry.getKey().str(), lowest);
  }
  llvm::sort(out);
  return out;
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

SmallVector<int64_t> onnx_import::broadcastShapes(ArrayRef<int64_t> a,
                                                  ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail("shapes " + shapeStr(a) + " and " + shapeStr(b) +
           " cannot be broadcast together");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

Value onnx_import::buildBroadcastElementwise(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<int64_t> resultShape, Type resultElementType,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  int64_t rank = resultShape.size();
  SmallVector<AffineMap> maps;
  for (Value in : inputs) {
    auto t = llvm::cast<RankedTensorType>(in.getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0; i < t.getRank(); ++i) {
      int64_t outDim = rank - t.getRank() + i;
      exprs.push_back(t.getDimSize(i) == 1 && resultShape[outDim] != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(outDim, ctx));
    }
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(b.getMultiDimIdentityMap(rank));
  Value init = tensor::EmptyOp::create(b, loc, resultShape, resultElementType);
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                body(nb, nl, args.drop_back()));
      });
  return generic.getResult(0);
}
