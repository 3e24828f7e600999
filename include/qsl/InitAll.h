//===- InitAll.h - Register every QSL dialect and pass ----------*- C++ -*-===//
#ifndef QSL_INITALL_H
#define QSL_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir {
namespace qsl {
/// Adds the qsl dialect (and what its lowerings create) to `registry`.
void registerAllDialects(DialectRegistry &registry);
/// Registers QSL's passes and pipelines with the global registry.
void registerAllPasses();
} // namespace qsl
} // namespace mlir

#endif // QSL_INITALL_H
