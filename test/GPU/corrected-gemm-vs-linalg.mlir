// Composed weights above max-batch: the tensor-core kernels (mma.sync, and
// mma.sp for 2:4) compute the main term and add each column's outliers and
// the low-rank term t[row, :] . B_out[col, :] before the store, on the GPU
// against the qsl-lower-to-linalg reference on the CPU: int4 + outliers +
// rank 4 ([N, K]), 2:4 int4 + outliers + rank 3 with tile edges ([K, N]),
// int8 + rank 8 with f16 activations and output; f16 low-rank factors on
// the GEMM (batch 24) and on the composed GEMV (batch 3, with outliers).
// The module comes from
// Inputs/gen_corrected.py; printMemref prints 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: %python %S/Inputs/gen_corrected.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
