//===- Passes.h - QSL code generation passes --------------------*- C++ -*-===//
#ifndef QSL_CODEGEN_PASSES_H
#define QSL_CODEGEN_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir {
namespace qsl {

#define GEN_PASS_DECL
#include "qsl/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "qsl/Codegen/Passes.h.inc"

} // namespace qsl
} // namespace mlir

#endif // QSL_CODEGEN_PASSES_H
