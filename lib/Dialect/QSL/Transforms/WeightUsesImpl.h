//===- WeightUsesImpl.h - Pieces shared by the weight-use matchers -*- C++ -*-===//
//
// Private to lib/Dialect/QSL/Transforms: WeightUses.cpp recognises
// contractions, ConvWeightUses.cpp convolutions.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_DIALECT_QSL_TRANSFORMS_WEIGHTUSESIMPL_H
#define QSL_LIB_DIALECT_QSL_TRANSFORMS_WEIGHTUSESIMPL_H

#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Dialect/QSL/Transforms/WeightUses.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir {
namespace qsl {
namespace detail {

/// The op type the importer recorded as the metadata of the op's FusedLoc,
/// else the MLIR op name.
std::string opTypeOf(Operation *op);
/// The node an op came from: the importer's NameLoc, else "".
std::string nodeName(Location loc);
/// The name of a dense weight held by `constant`: its qsl.weight attribute
/// (set when a pass rewrote the constant, e.g. structured pruning), else
/// its resource key (the initializer name), else `node`, else "weight".
std::string denseWeightName(Operation *constant, ElementsAttr data,
                            StringRef node);
/// Fills what a use on an already encoded weight knows from its op and its
/// qsl.constant: encoded, source, node, op type and name.
void setEncodedWeight(WeightUse &use, Operation *op, ConstantOp constant);
/// True when `v` is a tensor of zeros (linalg.fill of 0 or a zero splat).
bool isZeroTensor(Value v);

/// The importer's convolution (builders::buildConv2D) rooted at its grouped
/// contraction `op`, with a constant dense OIHW filter.
std::optional<WeightUse> matchConvGeneric(linalg::GenericOp op);
/// A qsl.conv2d whose filter is a qsl.constant.
std::optional<WeightUse> matchEncodedConv(Conv2DOp op);
/// Replaces the convolution of `use` (the importer's chain or a qsl.conv2d)
/// with a qsl.conv2d on `filter`, erasing what only it used; returns the
/// new op.
FailureOr<Operation *> replaceConv(const WeightUse &use, ConstantOp filter);

} // namespace detail
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_DIALECT_QSL_TRANSFORMS_WEIGHTUSESIMPL_H
