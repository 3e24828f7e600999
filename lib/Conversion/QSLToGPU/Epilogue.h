//===- Epilogue.h - Elementwise ops fused into the kernels' stores -*- C++ -*-//
//
// Internal to lib/Conversion/QSLToGPU. The elementwise chain that consumes a
// matmul's result on the CPU path (a bias add from an ONNX Gemm or MatMul +
// Add, then activations such as Relu, Gelu, Sigmoid/SiLU as the importer
// writes them: linalg.generic ops over arith and math) is applied to each
// output value inside the kernel, just before its store, so the result
// leaves the GPU finished and the CPU never runs those ops.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_EPILOGUE_H
#define QSL_LIB_CONVERSION_QSLTOGPU_EPILOGUE_H

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

#include "Kernels.h"

#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// One fused step: a bias add (`bias` set: y[m, n] += bias[n]), a residual
/// add of a run-time tensor of the result's shape (`residual` set: the
/// kernel gets it as an extra argument, before y), an elementwise unary
/// function (`unary`'s body, applied to the value), or the final rounding
/// of the result to f16 (`toF16`: the kernel stores f16).
struct EpilogueStep {
  std::vector<float> bias;
  Value residual;
  linalg::GenericOp unary;
  bool toF16 = false;
  linalg::GenericOp op; // the CPU-path op it replaces
};

struct Epilogue {
  std::vector<EpilogueStep> steps;
  /// The value the kernel's result replaces: the last fused op's result, or
  /// the matmul's when nothing is fused.
  Value result;
  /// The residual operand, if a step adds one.
  Value residual;
  /// A pure op defining the residual after the matmul, that must move
  /// before it (its operands already dominate the matmul).
  Operation *hoist = nullptr;
  /// The stores round to f16 (the chain ends with a cast).
  bool toF16 = false;
};

/// The chain of single-use f32 elementwise linalg.generic ops after
/// `anchor`'s result (a qsl.matmul or qsl.conv2d) that can run in the
/// kernel: at most one bias add of a constant vector along `channelDim`
/// (the last dimension when negative; 1 for an NCHW convolution), at most
/// one residual add of a tensor of the result's shape that is available
/// before `anchor` (or computed by one pure op from such values), any unary
/// op whose body uses only arith and math ops and scalar constants, and,
/// last, a rounding to f16.
Epilogue matchEpilogue(Operation *anchor, int64_t channelDim = -1);

/// Rewrites every store of `func` to its output (the last argument; the
/// bias is indexed by the store's second index) to store epilogue(value); a
/// bias becomes a global `<biasName>` of `kernels` (global address space,
/// uploaded with the module); a residual becomes a new argument just before
/// the output, of the output buffer's shape in f32, read at the store's
/// indices.
void applyEpilogue(gpu::GPUFuncOp func, gpu::GPUModuleOp kernels,
                   const Epilogue &epilogue, const std::string &biasName);

/// The correction terms of a composed weight on a tensor-core kernel (batch
/// above max-batch), added to every value `func` stores to its output,
/// before any epilogue: the column's outliers, sum over its CSC range of
/// x[row, rows[p]] * values[p], and the low-rank term t[row, :] .
/// B_out[col, :]. Adds the parameters the composed GEMV takes, just before
/// the output: colptr [N+1] i32, rows [nnz] i32, values [nnz] f32 (with
/// outliers), then t [M, rank] f32 and B_out [N, rank] f32 (with low rank).
/// `func`'s first argument is the [M, K] activation.
void applyCorrectionTerms(gpu::GPUFuncOp func, const ComposedShape &c);

/// Erases the fused ops once their result has been replaced.
void eraseEpilogue(const Epilogue &epilogue);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_EPILOGUE_H
