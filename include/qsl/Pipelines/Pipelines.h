//===- Pipelines.h - QSL pass pipelines -------------------------*- C++ -*-===//
#ifndef QSL_PIPELINES_PIPELINES_H
#define QSL_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir {
namespace qsl {

struct CpuPipelineOptions {
  /// Return memref results through caller-allocated out-parameters (the
  /// calling convention qsl-run uses); off for mlir-runner style programs.
  bool resultsAsOutParams = false;
};

/// The reference CPU pipeline: qsl-lower-to-linalg, bufferization, loops and
/// conversion to the LLVM dialect, ready for mlir-runner or translation to
/// LLVM IR. Correct but not fast: the oracle for numerics.
void buildCpuReferencePipeline(OpPassManager &pm,
                               const CpuPipelineOptions &options = {});

/// Registers `qsl-cpu-reference-pipeline`.
void registerPipelines();

} // namespace qsl
} // namespace mlir

#endif // QSL_PIPELINES_PIPELINES_H
