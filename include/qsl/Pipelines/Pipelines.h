//===- Pipelines.h - QSL pass pipelines -------------------------*- C++ -*-===//
#ifndef QSL_PIPELINES_PIPELINES_H
#define QSL_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <string>

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
  /// The module holds GPU kernels and launches (after qsl-gpu-pipeline):
  /// lower the host side (gpu.alloc/memcpy/launch_func) to calls of the
  /// mgpu* runtime ABI with gpu-async-region and gpu-to-llvm.
  bool gpuHost = false;
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

/// What `qsl-compress-pipeline{preset=...}` runs: a recipe over qsl-prune,
/// qsl-quantize and qsl-compensate.
struct CompressPipelineOptions {
  /// '-'-separated steps in any order: w<bits>[g<group>] (quantize),
  /// <N>:<M> (sparsity), lr|svd|lqer|eora<rank> (low-rank correction of
  /// the error of the others); e.g. compressPresetNames().
  std::string preset;
  /// Use the data-aware method of each step (GPTQ, SparseGPT) instead of the
  /// data-free one; needs statistics from `qslc --calibrate`.
  bool dataAware = false;
  /// Passed to every step: weight name regexes and a size threshold.
  std::string include, exclude;
  int64_t minElements = 0;
  /// auto-<bits>bit: generations of qsl-allocate's end-to-end refinement
  /// (refine-generations); an error with any other preset.
  unsigned refineGenerations = 0;
};

/// Examples of presets, in documentation order (every recipe of the
/// grammar above is accepted).
llvm::ArrayRef<llvm::StringRef> compressPresetNames();

/// Adds the passes of `options.preset` to `pm`: pruning, then quantization,
/// then the low-rank correction. A bad preset fails with a message naming
/// the step and the grammar (written to `errorHandler`).
LogicalResult
buildCompressPipeline(OpPassManager &pm, const CompressPipelineOptions &options,
                      llvm::function_ref<LogicalResult(const llvm::Twine &)>
                          errorHandler);

/// Registers `qsl-cpu-pipeline`, `qsl-cpu-reference-pipeline` and
/// `qsl-compress-pipeline`.
void registerPipelines();

} // namespace qsl
} // namespace mlir

#endif // QSL_PIPELINES_PIPELINES_H
