//===- HostSide.h - Host code and weight tables of qsl-lower-to-gpu -*- C++ -*-//
//
// Internal to lib/Conversion/QSLToGPU. KernelEmitter builds the device side
// of one qsl.matmul on the host: it adds kernels parsed from their MLIR text
// to the shared `gpu.module @qsl_kernels`, turns weight tables into module
// globals (device-weights) or uploaded host globals, moves the activations
// in, launches, and hands the result back as a tensor. The table helpers
// repack a weight's storage into the [N, ...] rows the kernels read.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_CONVERSION_QSLTOGPU_HOSTSIDE_H
#define QSL_LIB_CONVERSION_QSLTOGPU_HOSTSIDE_H

#include "Kernels.h"

#include "qsl/Dialect/QSL/IR/QslOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

#include <optional>
#include <string>
#include <vector>

namespace mlir {
namespace qsl {
namespace gpu_kernels {

/// [N, G] f32 values of a group-shaped side tensor ([G, N] when not
/// transposed).
std::optional<std::vector<float>> groupTable(ElementsAttr attr, bool isInt,
                                             const KernelShape &s,
                                             bool transposed);

/// [N, G * E] f32 codebooks (entry q of group g of column n at g * E + q)
/// of a codebook tensor stored [N, G, E] (`transposed`) or [G, N, E].
std::optional<std::vector<float>>
codebookTable(ElementsAttr attr, const KernelShape &s, bool transposed);

/// A [rows, cols] row-major table as f32 [cols, rows] when `transpose`,
/// else as is.
std::vector<float> toF32(const std::vector<double> &v, int64_t rows,
                         int64_t cols, bool transpose);

/// One kernel operand: a host-side device buffer, or a constant weight table
/// that lives in the kernel module (device-weights).
struct KernelArg {
  Value value;            // a device memref, or null for a table
  DenseElementsAttr data; // the table's contents
  std::string name;       // the table's symbol
  KernelArg(Value v) : value(v) {}
  KernelArg(DenseElementsAttr d, std::string n) : data(d), name(std::move(n)) {}
};

/// Builds the device side of one matmul: kernels, constant tables, uploads
/// and launches, then the result as a tensor.
class KernelEmitter {
public:
  /// For `op` (a qsl.matmul or qsl.conv2d) with activation `input` and
  /// result type `resultType`.
  KernelEmitter(Operation *op, Value input, RankedTensorType resultType,
                ModuleOp module, SymbolTable &symbols,
                gpu::GPUModuleOp &kernels, unsigned index, bool resident)
      : op(op), input(input), resultType(resultType), module(module),
        symbols(symbols), kernels(kernels), index(index), resident(resident),
        b(op), loc(op->getLoc()) {}

  /// Parses `text` (a module holding a gpu.module with one gpu.func) and
  /// moves the function into the shared @qsl_kernels module.
  FailureOr<gpu::GPUFuncOp> addKernel(const std::string &text);

  /// A constant weight table (T: float or int32_t). Resident
  /// (device-weights): a global of the kernel module, bound inside the
  /// kernel at launch() and uploaded once, when the driver loads the
  /// module. Otherwise a private host global copied to device memory
  /// before every launch.
  template <typename T>
  KernelArg table(StringRef base, ArrayRef<int64_t> shape, ArrayRef<T> data);

  /// A table of `attr`'s contents (any element type), named `base`_<index>.
  KernelArg tableOf(StringRef base, DenseElementsAttr attr);

  /// An f16 table of `data` (values rounded to nearest even).
  KernelArg halfTable(StringRef base, ArrayRef<int64_t> shape,
                      const std::vector<float> &data);

  /// Code words of Compress/GpuLayout.h for a [k, n] (or, `transposed`,
  /// [n, k]) matrix of `bits`-bit codes, as an [n, W] i32 table.
  KernelArg wordTable(StringRef base, const std::vector<int64_t> &codes,
                      int64_t n, int64_t k, unsigned bits, bool transposed);

  Value upload(Value host, MemRefType type);
  /// Tensor `t` in device memory, reshaped to `deviceShape` by `collapse`
  /// (none: as it is).
  Value uploadTensor(Value t, ArrayRef<int64_t> deviceShape,
                     ArrayRef<ReassociationIndices> collapse);
  Value alloc(MemRefType type);
  /// A device buffer [images, C, H*W] viewed as the NCHW image
  /// [images, C, h, w] (no copy).
  Value asImage(Value buf, int64_t h, int64_t w);
  /// Fills the f32 device buffer `buf` with zeros (gpu.memset).
  void zero(Value buf);

  /// The activation as a device [M, K] buffer (a convolution's NCHW image
  /// as it is).
  Value activation(const KernelShape &s);

  /// A fused residual (a tensor of the result's shape and type) as a
  /// device buffer of the output buffer's shape `yType`.
  Value residual(Value r, MemRefType yType);

  unsigned getIndex() const { return index; }
  Value idx(int64_t v);

  /// Launches `func` with `args` in the order of its parameters; resident
  /// tables become globals of the kernel module that the kernel reads
  /// directly (the parameter is replaced and dropped).
  void launch(gpu::GPUFuncOp func, int64_t gridX, int64_t gridY,
              int64_t threads, ArrayRef<KernelArg> args);

  /// Copies the device result back, frees device memory, and replaces
  /// `replaced` (the op's result, or the last fused epilogue op's) with
  /// the result tensor. `yType` is [M, N], or [images, O, OH*OW] for a
  /// convolution.
  void finish(Value yDev, MemRefType yType, Value replaced);

  gpu::GPUModuleOp getKernels() const { return kernels; }

private:
  /// How the output buffer [M, N] (or [images, O, OH*OW]) groups the
  /// result's dimensions.
  SmallVector<ReassociationIndices>
  outputReassociation(MemRefType yType) const;

  Operation *op;
  Value input;
  RankedTensorType resultType;
  ModuleOp module;
  SymbolTable &symbols;
  gpu::GPUModuleOp &kernels;
  unsigned index;
  bool resident;
  OpBuilder b;
  Location loc;
  SmallVector<Value> toFree;
};

/// Where a kernel's result is copied out only to be copied back in as a
/// later kernel's activation or residual, the later kernel reads the
/// device buffer itself (DeviceResidency.cpp). Returns how many copies in
/// were removed.
unsigned keepResultsOnDevice(func::FuncOp func);

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir

#endif // QSL_LIB_CONVERSION_QSLTOGPU_HOSTSIDE_H
