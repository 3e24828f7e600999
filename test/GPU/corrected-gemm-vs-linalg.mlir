// REQUIRES: cuda-runtime
// Composed weights above max-batch: the tensor-core kernels (mma.sync, and
// mma.sp for 2:4) compute the main term and add each column's outliers and
// the low-rank term t[row, :] . B_out[col, :] before the store, on the GPU
// against the qsl-lower-to-linalg reference on the CPU: int4 + outliers +
// rank 4 ([N, K]), 2:4 int4 + outliers + rank 3 with tile edges ([K, N]),
// int8 + rank 8 with f16 activations and output; f16 low-rank factors on
// the GEMM (batch 24) and on the composed GEMV (batch 3, with outliers).
// The module comes from
// Inputs/gen_corrected.py; printMemref prints 6 digits, hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_corrected.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=bin" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries" --gpu-async-region \
// RUN:   --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm \
// RUN:   --expand-strided-metadata --finalize-memref-to-llvm --lower-affine \
// RUN:   --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm \
// RUN:   --reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%qsl_cuda_runtime,%mlir_runner_libs > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
