//===- Support.h - Shared pieces of the C API implementation ----*- C++ -*-===//
#ifndef QSL_LIB_CAPI_SUPPORT_H
#define QSL_LIB_CAPI_SUPPORT_H

#include "mlir/IR/DialectRegistry.h"

namespace mlir {
namespace qsl {
namespace capi {
/// Every dialect and extension that import, compression and compilation use.
void registerEverything(DialectRegistry &registry);
/// Upstream's and QSL's passes and pipelines, once per process.
void registerPassesOnce();
} // namespace capi
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CAPI_SUPPORT_H
