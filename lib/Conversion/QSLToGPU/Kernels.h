//===- Kernels.h - Kernel text builders of qsl-lower-to-gpu -----*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. Each kernel family is MLIR text
// specialised to the shapes of one qsl.matmul and parsed by the pass, so that
// it reads like the kernel it is (docs/codegen/gpu.md). All families take
// the same operands: activations [M, K], the [N, W] i32 code words of
// Compress/GpuLayout.h, [N, G] f32 scales, [N, G] f32 zeros (asymmetric
// only) and the output [M, N].
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H
#define QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H

#include "mlir/IR/Types.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <map>
#include <string>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// What one kernel is specialised to.
struct KernelShape {
  int64_t m, n, k;  // batch rows, output columns, reduction length
  int64_t groups;   // scale groups along K
  int64_t groupLen; // K elements per group
  unsigned bits;
  bool symmetric;
  Type inType, outType; // f32 or f16
  int64_t warps;        // warps per block
};

/// Replaces every `@@NAME@@` in `text` by its value.
std::string substitute(std::string text,
                       const std::map<std::string, std::string> &vars);

/// "f16" or "f32".
std::string typeName(Type t);

/// The bandwidth-bound GEMV (batch 1-8): a warp per output column, lanes
/// striding over code words, warp shuffle reduction. Grid: ceil(N / warps)
/// blocks of 32 * warps threads.
std::string buildGemvKernelText(llvm::StringRef name, const KernelShape &s);

/// Output columns one warp of the tensor-core GEMM covers (n-tiles of 8).
constexpr int64_t kMmaTilesN = 4;
constexpr int64_t kMmaColsPerWarp = 8 * kMmaTilesN;

/// The tensor-core GEMM (batch > max-batch): each warp computes a 16-row by
/// kMmaColsPerWarp-column tile with nvgpu.mma.sync m16n8k16 (f16 operands,
/// f32 accumulators). Weight fragments are dequantized from the code words
/// straight into registers inside the K loop; no dense weight exists in any
/// memory. Grid: (ceil(N / (kMmaColsPerWarp * warps)), ceil(M / 16)).
std::string buildMmaGemmKernelText(llvm::StringRef name, const KernelShape &s);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_KERNELS_H
