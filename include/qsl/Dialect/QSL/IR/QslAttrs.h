//===- QslAttrs.h - QSL encoding attributes ---------------------*- C++ -*-===//
#ifndef QSL_DIALECT_QSL_IR_QSLATTRS_H
#define QSL_DIALECT_QSL_IR_QSLATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/TensorEncoding.h"

namespace mlir {
namespace qsl {
/// Which elements of a sparse facet are kept.
enum class SparseKind : uint32_t { Unstructured = 0, NM = 1, Block = 2 };
} // namespace qsl
} // namespace mlir

#define GET_ATTRDEF_CLASSES
#include "qsl/Dialect/QSL/IR/QslAttrs.h.inc"

#endif // QSL_DIALECT_QSL_IR_QSLATTRS_H
