//===- CscSparseKernel.cpp - Unstructured sparse weights ------------------===//
//
// A weight kept as scattered entries, at any batch: unstructured or block
// sparsity (SparseGPT / Wanda masks; blocks expand to their entries),
// outliers without a main term, or both. At
// compile time its entries become a CSC table by output column (colptr
// [N+1], rows [nnz] i32, values [nnz] f32); one thread per output element
// y[m, n] walks column n's entries and sums x[m, rows[p]] * values[p]. The
// threads of a warp take consecutive columns of one row, so the activation
// row they read stays in L1; nothing dense exists anywhere.
// A convolution's kernel stores a zero main term for each output element
// (threads over consecutive pixels of one channel, so that a warp walks the
// same column's entries); its entries are the correction terms' outliers
// (Epilogue.cpp), which gather each activation through the implicit im2col.
//
//===----------------------------------------------------------------------===//
#include "Kernels.h"

namespace mlir {
namespace qsl {
namespace gpu_kernels {

std::string buildCscSparseKernelText(llvm::StringRef name,
                                     const KernelShape &s, int64_t nnz) {
  std::map<std::string, std::string> v = shapeVars(name, s);
  v["TOTAL"] = std::to_string(s.m * s.n);
  v["NP1"] = std::to_string(s.n + 1);
  v["NNZ"] = std::to_string(std::max<int64_t>(nnz, 1));
  v["THREADS"] = std::to_string(kCscThreads);
  std::string text = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: memref<@@M@@x@@K@@x@@TI@@>, %colptr: memref<@@NP1@@xi32>,
        %rows: memref<@@NNZ@@xi32>, %vals: memref<@@NNZ@@xf32>,
        %y: memref<@@M@@x@@N@@x@@TO@@>)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
      %c1 = arith.constant 1 : index
      %cN = arith.constant @@N@@ : index
      %cTOTAL = arith.constant @@TOTAL@@ : index
      %cTHREADS = arith.constant @@THREADS@@ : index
      %zero = arith.constant 0.0 : f32
)" + threadPerElementPrologue("%e") + R"(      scf.if %inb {
        %m = arith.divui %e, %cN : index
        %n = arith.remui %e, %cN : index
        %n1 = arith.addi %n, %c1 : index
        %p0i = memref.load %colptr[%n] : memref<@@NP1@@xi32>
        %p1i = memref.load %colptr[%n1] : memref<@@NP1@@xi32>
        %p0 = arith.index_cast %p0i : i32 to index
        %p1 = arith.index_cast %p1i : i32 to index
        %sum = scf.for %p = %p0 to %p1 step %c1 iter_args(%s = %zero) -> (f32) {
          %ki = memref.load %rows[%p] : memref<@@NNZ@@xi32>
          %k = arith.index_cast %ki : i32 to index
          %w = memref.load %vals[%p] : memref<@@NNZ@@xf32>
)" + loadAsF32("%xv", "%x", "%m, %k", "@@M@@x@@K@@", s.inType.isF16(),
                                "          ") +
                     R"(          %xw = arith.mulf %xv, %w : f32
          %s1 = arith.addf %s, %xw : f32
          scf.yield %s1 : f32
        }
)" + storeFromF32("%sum", "%y", "%m, %n", "@@YT@@", s.outType.isF16(),
                                   "        ") +
                     R"(      }
      gpu.return
    }
  }
}
)";
  return substitute(text, v);
}

std::string buildCscConvKernelText(llvm::StringRef name, const KernelShape &s) {
  std::map<std::string, std::string> v = shapeVars(name, s);
  const ConvGeometry &g = *s.conv;
  int64_t pixels = g.outH * g.outW;
  v["TOTAL"] = std::to_string(g.images * s.n * pixels);
  v["PIX"] = std::to_string(pixels);
  v["THREADS"] = std::to_string(kCscThreads);
  std::string text = R"(
module {
  gpu.module @qsl_kernels {
    gpu.func @@@NAME@@(%x: @@XT@@, %y: @@YT@@)
        kernel attributes {known_block_size = array<i32: @@THREADS@@, 1, 1>} {
      %cN = arith.constant @@N@@ : index
      %cPIX = arith.constant @@PIX@@ : index
      %cTOTAL = arith.constant @@TOTAL@@ : index
      %cTHREADS = arith.constant @@THREADS@@ : index
      %zero = arith.constant 0.0 : f32
)" + threadPerElementPrologue("%e") + R"(      scf.if %inb {
        %pix = arith.remui %e, %cPIX : index
        %plane = arith.divui %e, %cPIX : index
        %n = arith.remui %plane, %cN : index
        %img = arith.divui %plane, %cN : index
)" + storeFromF32("%zero", "%y", "%img, %n, %pix", "@@YT@@",
                                   s.outType.isF16(), "        ") +
                     R"(      }
      gpu.return
    }
  }
}
)";
  return substitute(text, v);
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
