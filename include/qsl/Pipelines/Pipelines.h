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
  /// Register-block and vectorize contractions (qsl-cpu-tile-and-vectorize)
  /// and lower vector ops; off gives the reference pipeline.
  bool vectorize = true;
  /// Register block of the vectorized contractions (rows x columns).
  int64_t tileM = 4, tileN = 16;
};

/// The CPU pipeline: qsl-lower-to-linalg, (with `vectorize`) contractions
/// tiled into register blocks and vectorized, bufferization, loops for
/// everything else and conversion to the LLVM dialect, ready for mlir-runner
/// or translation to LLVM IR.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options);

/// The reference CPU pipeline: the same without vectorization, so every
/// op is a plain loop nest. Correct but not fast: the oracle for numerics.
void buildCpuReferencePipeline(OpPassManager &pm,
                               const CpuPipelineOptions &options = {});

/// Registers `qsl-cpu-pipeline` and `qsl-cpu-reference-pipeline`.
void registerPipelines();

} // namespace qsl
} // namespace mlir

#endif // QSL_PIPELINES_PIPELINES_H
