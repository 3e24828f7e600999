//===- Report.h - Per-weight compression report -----------------*- C++ -*-===//
//
// `qslc --report=FILE.json`: for every weight use (WeightUses.h) its
// encoding, bits per parameter including every side tensor, bytes, the
// relative Frobenius error ||W - Ŵ||_F / ||W||_F against the original data
// (qsl.source) and, when calibration statistics are attached, the output
// error ||(W - Ŵ) X|| / ||W X|| = sqrt(tr(E H Eᵀ) / tr(W H Wᵀ)) with
// H = XᵀX; then model totals over all constants. Ŵ is evaluated from the
// stored side tensors (denseApproximation), i.e. what the compiled model
// computes with.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_DIALECT_QSL_TRANSFORMS_REPORT_H
#define QSL_DIALECT_QSL_TRANSFORMS_REPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/JSON.h"

#include <optional>

namespace mlir {
namespace qsl {

/// The report as JSON: {"weights": [...], "totals": {...}}. With
/// `importedBytes` (modelConstantBytes of the module before compression),
/// totals.model_bytes_before is that size; without it, it is the module's
/// size with every compressed weight counted dense, which misses what a
/// structured pruning removed.
FailureOr<llvm::json::Value>
buildCompressionReport(ModuleOp module,
                       std::optional<int64_t> importedBytes = std::nullopt);

/// Bytes of all constants of `module`: encoded ones at their bit-packed
/// storage size, the rest dense.
int64_t modelConstantBytes(ModuleOp module);

/// Removes what compression passes leave for each other and for the report
/// (qsl.calibration statistics, qsl.source references) so that they are not
/// carried into the emitted module.
void stripCompressionMetadata(ModuleOp module);

} // namespace qsl
} // namespace mlir

#endif // QSL_DIALECT_QSL_TRANSFORMS_REPORT_H
