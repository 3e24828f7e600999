//===- LinalgBuilders.h - Small IR-building helpers -------------*- C++ -*-===//
//
// IR-building helpers shared by the reference lowering and the ONNX
// importer: scalar conversions, elementwise linalg.generic construction,
// reshapes between a tensor and its matrix or flat views, and the f32-
// accumulating contraction and convolution both of them emit.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_UTILS_LINALGBUILDERS_H
#define QSL_UTILS_LINALGBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace mlir {
namespace qsl {
namespace builders {

Value indexConst(OpBuilder &b, Location loc, int64_t v);
/// A scalar zero of an integer, index or float type.
Value zeroScalar(OpBuilder &b, Location loc, Type type);
/// A constant splat tensor.
Value splatTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  Attribute value);
/// A tensor of `shape` filled with zero by linalg.fill; dynamic sizes are
/// taken from `dynamicSizes` in order.
Value zeroFilledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       Type elementType, ValueRange dynamicSizes = {});
/// Converts a float scalar to `to` (extf/truncf; via f32 between two types
/// of the same width).
Value convertFloat(OpBuilder &b, Location loc, Value v, FloatType to);

using ElementwiseBody = function_ref<SmallVector<Value>(
    OpBuilder &, Location, ValueRange inputs, ValueRange indices)>;
/// An all-parallel linalg.generic over the shape of `shapeSource` (which
/// may be dynamic) with identity-indexed `inputs`; `body` receives the
/// input elements and the loop indices and returns one value per result
/// element type.
SmallVector<Value> buildElementwise(OpBuilder &b, Location loc,
                                    Value shapeSource, ValueRange inputs,
                                    TypeRange resultElementTypes,
                                    ElementwiseBody body);
/// Elementwise conversion of a float tensor to element type `to`.
Value convertFloatTensor(OpBuilder &b, Location loc, Value tensor,
                         FloatType to);

/// Reshapes a static tensor to 1-D and back.
Value flatten(OpBuilder &b, Location loc, Value tensor);
Value unflatten(OpBuilder &b, Location loc, Value flat,
                RankedTensorType type);
/// Reshapes a static tensor to its [dim0, rest] matrix view ([n, 1] for a
/// vector) and
/// back.
Value toMatrix(OpBuilder &b, Location loc, Value tensor);
Value fromMatrix(OpBuilder &b, Location loc, Value matrix,
                 RankedTensorType type);

/// Contractions accumulate in f32 (f64 for f64 results).
FloatType accumulatorType(Builder &b, Type resultElementType);

/// `init += x * w` over `maps`/`iterators` in init's (accumulator) element
/// type, then rounded once to `resultElementType`.
Value buildContraction(OpBuilder &b, Location loc, Value x, Value w,
                       Value init, ArrayRef<AffineMap> maps,
                       ArrayRef<utils::IteratorType> iterators,
                       Type resultElementType);

/// ONNX Conv on NCHW `x` and OIHW `w` (dense tensors): zero padding
/// `pads = [top, left, bottom, right]`, grouped channels, f32 accumulation,
/// one rounding to `resultType`'s element type. The batch may be dynamic.
Value buildConv2D(OpBuilder &b, Location loc, Value x, Value w,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                  ArrayRef<int64_t> pads, int64_t groups,
                  RankedTensorType resultType);

} // namespace builders
} // namespace qsl
} // namespace mlir

#endif // QSL_UTILS_LINALGBUILDERS_H
