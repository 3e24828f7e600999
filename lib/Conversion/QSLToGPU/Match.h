//===- Match.h - Which kernel family takes an op --------------*- C++ -*-===//
//
// Internal to lib/Conversion/QSLToGPU. A qsl.matmul or qsl.conv2d seen as a
// GEMM (Target), the kernel family its encoding and batch go to, and the
// shapes the kernel texts are specialised to; or why it stays on the CPU.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_MATCH_H
#define QSL_LIB_CONVERSION_QSLTOGPU_MATCH_H

#include "Kernels.h"

#include "qsl/Dialect/QSL/IR/QslOps.h"

#include "mlir/IR/BuiltinTypes.h"

#include <string>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// The op a kernel replaces, seen as a GEMM: a qsl.matmul, or a qsl.conv2d
/// as an implicit GEMM over its filter's matrix view [O, C*kh*kw].
struct Target {
  Operation *op = nullptr;
  Value input, weight;
  RankedTensorType resultType;
  bool transposed = false; // the weight (matrix view) is [N, K]
  bool isConv = false;
  ConvGeometry conv;
};

/// The kernel families of qsl-lower-to-gpu.
enum class Family {
  Plain,     // weight-only quantization: GEMV, or the mma.sync GEMM (which
             // also adds outliers and low rank above max-batch)
  Composed,  // sparse / outlier / low-rank facets, batch <= max-batch
  SparseMma, // 2:4 along K above max-batch: the mma.sp GEMM (+ outliers,
             // low rank)
  LowRankMma, // a factorized weight (low rank alone) above max-batch: two
              // mma.sync GEMMs on its f16 factors
  CscSparse,  // unstructured sparsity and/or outliers, no main term: the
              // CSC kernel on CUDA cores (outliers without sparsity only
              // above max-batch; below it the composed GEMV takes them),
              // plus a low-rank term added to its stores
};

/// Which kernel family takes `op` (a qsl.matmul or qsl.conv2d): "" and
/// `t`, `c`, `family`, `weight` filled, else why the op stays on the CPU
/// path. A convolution has only the tensor-core families.
std::string match(Operation *op, int64_t warps, int64_t maxBatch,
                  bool tensorCores, Target &t, ComposedShape &c,
                  Family &family, ConstantOp &weight);

/// The kernel's output buffer: [M, N], or [images, N, OH*OW] for a
/// convolution (NCHW once expanded).
MemRefType outputType(const KernelShape &s);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_MATCH_H
