// Codebook (non-uniform) quantized weights, w = codebook[group][q], on the
// GEMV and the mma.sync GEMM, on the GPU against the qsl-lower-to-linalg
// reference on the CPU: 3-bit codes with f16 entries (GEMV, [N, K]), 4-bit
// with every GEMM tile edge ([K, N]), 2-bit per column with f16 activations
// and output. The module comes from Inputs/gen_codebook.py (fixed seed,
// entries exact in f16); printMemref prints 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: %python %S/Inputs/gen_codebook.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
