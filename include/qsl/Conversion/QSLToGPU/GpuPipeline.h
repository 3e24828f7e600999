//===- GpuPipeline.h - qsl-gpu-pipeline -------------------------*- C++ -*-===//
#ifndef QSL_CONVERSION_QSLTOGPU_GPUPIPELINE_H
#define QSL_CONVERSION_QSLTOGPU_GPUPIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace mlir {
namespace qsl {

/// sm_90a: the H100 with its arch-specific instructions (wgmma); its PTX
/// runs on sm_90 devices only.
enum class GpuChip { sm_80, sm_90, sm_90a };

/// "sm_80", "sm_90" or "sm_90a".
const char *gpuChipName(GpuChip chip);
enum class GpuBinaryFormat { isa, bin, fatbin, emulator };

struct GpuPipelineOptions {
  GpuChip chip = GpuChip::sm_90;
  /// isa: PTX text; bin: cubin (runs ptxas); fatbin: both; emulator: no
  /// binary, the kernels stay NVVM-dialect LLVM for qsl-gpu-emulate.
  GpuBinaryFormat format = GpuBinaryFormat::isa;
  int64_t warps = 4;
  int64_t maxBatch = 8;
  /// Batches above maxBatch use the mma.sync GEMM (else stay on the CPU).
  bool tensorCores = true;
  /// Batches up to maxBatch use the packed tensor-core GEMM where the
  /// weight allows (else the CUDA-core GEMV).
  bool mmaGemv = true;
  int64_t mmaPrefetch = 0;
  int64_t mmaAStages = 4;
  /// Weight tables as globals of the kernel module (uploaded once, when the
  /// driver loads it) rather than copied to the device at every call.
  bool deviceWeights = true;
  /// Elementwise ops after a matmul run in its kernel, before the store.
  bool fuseEpilogue = true;
  /// Results that a later kernel reads stay in device memory.
  bool keepOnDevice = true;
};

/// qsl-lower-to-gpu, then the kernels through NVVM to a gpu.binary
/// (gpu-module-to-binary). The host side is left as gpu.launch_func.
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options);

/// Registers `qsl-gpu-pipeline{chip=sm_80|sm_90|sm_90a format=...}`.
void registerGpuPipeline();

/// Declares the memory effects of `gpu.launch_func` (reads and writes of its
/// memref operands) as an external model, so that host code holding kernel
/// launches goes through MLIR's ownership-based buffer deallocation (which
/// rejects ops with memref operands and unknown effects) as part of the CPU
/// pipeline: what `qslc --target=cuda` compiles.
void registerGpuLaunchEffects(DialectRegistry &registry);

} // namespace qsl
} // namespace mlir

#endif // QSL_CONVERSION_QSLTOGPU_GPUPIPELINE_H
