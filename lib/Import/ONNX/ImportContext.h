//===- ImportContext.h - What ONNX op handlers see --------------*- C++ -*-===//
//
// Internal to lib/Import/ONNX (built with exceptions and RTTI): the
// per-node context handed to op handlers, and the op table.
//
// Handlers validate a node completely before they create any op and report
// problems by throwing ImportError (NodeContext::fail); the graph importer
// catches it at the node and reports file, node, op type, domain and opset.
// Nothing is thrown from inside MLIR callbacks (body builders), which are
// compiled without exceptions.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_IMPORT_ONNX_IMPORTCONTEXT_H
#define QSL_LIB_IMPORT_ONNX_IMPORTCONTEXT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <optional>
#include <string>

namespace mlir {
namespace qsl {
namespace onnx_import {

/// A problem with the model at the node being imported.
struct ImportError {
  std::string message;
};
[[noreturn]] void fail(const llvm::Twine &message);

/// Contents of a small integer tensor known at import time (shape math).
struct IntConst {
  SmallVector<int64_t> shape;
  SmallVector<int64_t> data;
  int64_t numElements() const { return data.size(); }
};

/// An SSA tensor plus, for shape computations, its integer contents when
/// they are known at import time.
struct TensorValue {
  Value value;
  std::optional<IntConst> ints;
  /// The ONNX type was unsigned (UINT8, UINT4, ...): MLIR integers are
  /// signless, and Cast and DequantizeLinear need to know.
  bool isUnsigned = false;
};

class GraphImporter;

class NodeContext {
public:
  NodeContext(GraphImporter &importer, const onnx::NodeProto &node,
              OpBuilder &builder, Location loc, int64_t opset,
              SmallVector<TensorValue> inputs)
      : b(builder), loc(loc), opset(opset), node(node), importer(importer),
        inputs(std::move(inputs)) {}

  OpBuilder &b;
  Location loc;
  int64_t opset;
  const onnx::NodeProto &node;

  // Inputs. An omitted optional input ("" in the node) has no value.
  size_t numInputs() const { return inputs.size(); }
  bool hasInput(size_t i) const { return i < inputs.size() && inputs[i].value; }
  Value input(size_t i) const;
  RankedTensorType inputType(size_t i) const;
  /// The integer contents of input `i`, which must be known at import time.
  const IntConst &constInput(size_t i, llvm::StringRef what) const;
  const std::optional<IntConst> &maybeConstInput(size_t i) const {
    return inputs[i].ints;
  }
  bool isUnsignedInput(size_t i) const {
    return i < inputs.size() && inputs[i].isUnsigned;
  }
  /// The attribute of input `i` when it is an arith.constant (an
  /// initializer or Constant), else null.
  ElementsAttr constantAttr(size_t i) const;
  /// Requires between `min` and `max` inputs and `outputs` results.
  void expectArity(size_t min, size_t max) const;

  // Attributes.
  const onnx::AttributeProto *attr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t dflt) const;
  std::optional<int64_t> optIntAttr(llvm::StringRef name) const;
  float floatAttr(llvm::StringRef name, float dflt) const;
  std::string stringAttr(llvm::StringRef name, llvm::StringRef dflt) const;
  SmallVector<int64_t> intsAttr(llvm::StringRef name) const;
  std::optional<SmallVector<int64_t>> optIntsAttr(llvm::StringRef name) const;
  /// Rejects attributes the handler does not implement when they are set
  /// to something other than their default.
  void rejectAttr(llvm::StringRef name, llvm::StringRef why) const;

  /// Normalizes an axis in [-rank, rank).
  int64_t axis(int64_t a, int64_t rank) const;
  /// The normalized axes held by the optional constant input `i`, or
  /// std::nullopt when the input is omitted.
  std::optional<SmallVector<int64_t>> axesInput(size_t i, int64_t rank) const;

  // Results.
  size_t numOutputs() const { return node.output_size(); }
  void setResult(size_t i, Value v, std::optional<IntConst> ints = {});
  /// Records that result `i` holds an ONNX unsigned integer type.
  void markUnsigned(size_t i) { results[i].isUnsigned = true; }
  /// A result that is an integer tensor known at import time: emitted as a
  /// constant and remembered for shape computations.
  void setConstResult(size_t i, IntConst value, Type elementType);
  SmallVector<TensorValue> &getResults() { return results; }

  // Services.
  Type elementType(int32_t onnxType) const;
  ElementsAttr importTensor(const onnx::TensorProto &tensor) const;

private:
  GraphImporter &importer;
  SmallVector<TensorValue> inputs;
  SmallVector<TensorValue> results;
};

using OpHandler = std::function<void(NodeContext &)>;

/// Handlers keyed by (domain, op type, since-version), like ONNX's schema
/// registry: a node uses the handler with the largest since-version that is
/// not newer than the model's opset for the node's domain.
class OpTable {
public:
  OpTable();
  void add(llvm::StringRef domain, llvm::StringRef opType,
           int64_t sinceVersion, OpHandler handler);
  const OpHandler *lookup(llvm::StringRef domain, llvm::StringRef opType,
                          int64_t opset) const;
  /// Every registered "domain::OpType" with its lowest since-version.
  std::vector<std::pair<std::string, int64_t>> list() const;

private:
  llvm::StringMap<std::vector<std::pair<int64_t, OpHandler>>> handlers;
};

void registerElementwiseOps(OpTable &table);
void registerLinearOps(OpTable &table);
void registerShapeOps(OpTable &table);
void registerNNOps(OpTable &table);
void registerReductionOps(OpTable &table);
void registerQuantizationOps(OpTable &table);
void registerResizeOps(OpTable &table);

/// The elements of a constant (inline or resource; sub-byte integers one
/// byte each) as int64 (integers, sign-extended) or double (floats).
SmallVector<int64_t> readIntegers(ElementsAttr attr);
SmallVector<double> readFloats(ElementsAttr attr);

/// The contents of a small (<= 4096 elements) integer or boolean constant,
/// remembered for shape computations; booleans read as 0/1.
std::optional<IntConst> knownIntegers(ElementsAttr attr);

/// True for ONNX's unsigned integer element types.
bool isUnsignedType(int32_t onnxType);

/// "[2, 3]" for messages.
std::string shapeStr(ArrayRef<int64_t> shape);
/// Reshapes a static tensor to `shape` (same element count; any ranks).
Value reshapeStatic(OpBuilder &b, Location loc, Value v,
                    ArrayRef<int64_t> shape);

/// numpy broadcasting of static shapes; fails with both shapes named.
SmallVector<int64_t> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b);
/// An elementwise linalg.generic with numpy broadcasting of `inputs` to
/// `resultShape`; `body` maps the input elements to the result element.
Value buildBroadcastElementwise(
    OpBuilder &b, Location loc, ValueRange inputs,
    ArrayRef<int64_t> resultShape, Type resultElementType,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange)> body);

/// `v / divisor` elementwise for a float tensor (means, averages).
Value divideBy(OpBuilder &b, Location loc, Value v, double divisor);

/// Reduces `x` over `axes` (sorted, unique) keeping them as size-1
/// dimensions: `acc = combine(acc, x)` from `init`, in x's element type.
Value buildReduction(
    OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes,
    TypedAttr init,
    llvm::function_ref<Value(OpBuilder &, Location, Value acc, Value x)>
        combine);
/// Drops the size-1 `axes` of a keepdims reduction result.
Value dropAxes(OpBuilder &b, Location loc, Value v, ArrayRef<int64_t> axes);

} // namespace onnx_import
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_IMPORT_ONNX_IMPORTCONTEXT_H
