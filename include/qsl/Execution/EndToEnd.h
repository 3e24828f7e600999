//===- EndToEnd.h - The JIT-backed end-to-end evaluator ---------*- C++ -*-===//
//
// Implements the EndToEndEvaluator of qsl/Dialect/QSL/Transforms/EndToEnd.h:
// a copy of the model in which every varied weight constant is replaced by
// a new argument of the entry function is compiled once with the CPU
// pipeline; each score() runs it on the calibration inputs with the given
// weight buffers (no copy, no recompilation) and compares its outputs with
// those of the model as given, computed once at creation.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_EXECUTION_ENDTOEND_H
#define QSL_EXECUTION_ENDTOEND_H

#include "qsl/Dialect/QSL/Transforms/EndToEnd.h"
#include "qsl/Pipelines/Pipelines.h"

namespace mlir {
namespace qsl {

llvm::Expected<std::unique_ptr<EndToEndEvaluator>>
createEndToEndEvaluator(const EndToEndRequest &request,
                        const CpuPipelineOptions &cpu = {});

/// Makes createEndToEndEvaluator (default CPU options) the factory passes
/// get from getEndToEndEvaluatorFactory.
void registerEndToEndEvaluator();

} // namespace qsl
} // namespace mlir

#endif // QSL_EXECUTION_ENDTOEND_H
