// The sparse tensor-core GEMM of qsl-lower-to-gpu (2:4 along K, batch above
// max-batch: nvgpu.mma.sp.sync m16n8k32 on the transposed problem) on the
// GPU against the qsl-lower-to-linalg reference on the CPU, for int2/3/4/8
// codes (symmetric and asymmetric), a float 2:4 main term with f16
// activations and output, tile edges in M, N and K, N = 1 and batch 512.
// The module comes from Inputs/gen_sparse24.py (fixed seed, data exact in
// f16, kept positions in random order inside each run); printMemref prints
// 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: %python %S/Inputs/gen_sparse24.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
