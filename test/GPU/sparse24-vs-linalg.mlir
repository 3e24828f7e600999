// REQUIRES: cuda-runtime
// The sparse tensor-core GEMM of qsl-lower-to-gpu (2:4 along K, batch above
// max-batch: nvgpu.mma.sp.sync m16n8k32 on the transposed problem) on the
// GPU against the qsl-lower-to-linalg reference on the CPU, for int2/3/4/8
// codes (symmetric and asymmetric), a float 2:4 main term with f16
// activations and output, tile edges in M, N and K, N = 1 and batch 512.
// The module comes from Inputs/gen_sparse24.py (fixed seed, data exact in
// f16, kept positions in random order inside each run); printMemref prints
// 6 digits, hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_sparse24.py > %t.mlir
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
