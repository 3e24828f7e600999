//===- Passes.h - QSL dialect passes ----------------------------*- C++ -*-===//
#ifndef QSL_DIALECT_QSL_TRANSFORMS_PASSES_H
#define QSL_DIALECT_QSL_TRANSFORMS_PASSES_H

#include "qsl/Dialect/QSL/IR/QslDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qsl {

#define GEN_PASS_DECL
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qsl/Dialect/QSL/Transforms/Passes.h.inc"

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_TRANSFORMS_PASSES_H
