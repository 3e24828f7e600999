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

/// Where an input of a fused op comes from, per output element.
struct EpilogueInput {
  enum class Kind {
    Value,    // the matmul's result (value 0) or an earlier step's (i + 1)
    Scalar,   // a splat constant (e.g. a 0-D tensor broadcast)
    Bias,     // the constant vector along the channel dimension
    Residual, // the run-time tensor of the result's shape
  } kind = Kind::Value;
  unsigned value = 0;
  float scalar = 0.0f;
};

/// One fused elementwise op: its body is cloned before each store, with
/// its inputs taken from `inputs`. `toF16` marks the final rounding to f16
/// (an output cast), which is not cloned: the kernel then stores f16.
struct EpilogueStep {
  linalg::GenericOp op;
  std::vector<EpilogueInput> inputs;
  bool toF16 = false;
};

struct Epilogue {
  /// The fused ops in program order: they form a DAG over the matmul's
  /// result whose only value used outside it is `result`.
  std::vector<EpilogueStep> steps;
  /// The value the kernel's result replaces: the last fused op's result, or
  /// the matmul's when nothing is fused.
  Value result;
  /// The bias vector (a module global in the kernel), if a step reads it.
  std::vector<float> bias;
  /// The residual operand, if a step reads one.
  Value residual;
  /// A pure op defining the residual after the matmul, that must move
  /// before it (its operands already dominate the matmul).
  Operation *hoist = nullptr;
  /// The stores round to f16 (the DAG ends with a cast).
  bool toF16 = false;
  /// The fused ops' element type: the matmul's result's (f32 or f16).
  Type elem;
};

/// The elementwise ops after `anchor` (a qsl.matmul or qsl.conv2d) that can
/// run in its kernel: all-parallel linalg.generic ops in the result's
/// element type (f32, or f16 computed in f16 as on the CPU) with identity
/// output maps whose bodies are arith/math ops and scalar constants, whose
/// inputs are the result, earlier fused values, splat constants, one
/// constant vector along `channelDim` (the bias: the last dimension when
/// negative, 1 for an NCHW convolution; also ONNX's [C, 1, 1] broadcast
/// form), and one tensor of the result's type available before `anchor`
/// (the residual, or computed by one pure op from such values), and for an
/// f32 result optionally a final cast to f16. The largest such set, in program
/// order, in which only the last op's result is used elsewhere: single-use
/// chains (bias, ReLU, SiLU) as well as DAGs such as the exported
/// x * 0.5 * (1 + erf(x / sqrt 2)), which reads x twice.
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
/// outliers), then t [M, rank] f32 and B_out [N, rank] (f32, or f16 for f16
/// factors, with low rank).
/// `func`'s first argument is the [M, K] activation.
void applyCorrectionTerms(gpu::GPUFuncOp func, const ComposedShape &c);

/// Erases the fused ops once their result has been replaced.
void eraseEpilogue(const Epilogue &epilogue);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_EPILOGUE_H
