// The packed tensor-core GEMM (fragment-ordered code words decoded with
// f16x2 arithmetic, warps splitting K; PackedMmaKernel.cpp) across its
// shape classes (Inputs/gen_packed.py: 2 to 8 bits, groups shorter and
// longer than a chunk, per-channel, 1 to 4 m-tiles, edges in M, N and K,
// several chunks per warp), against the qsl-lower-to-linalg reference on
// the CPU: with the default 4 warps per block, with 1 (no workgroup sum)
// and with 8 (seven partial tiles; m-tiles capped at 3 by the 48 KiB of
// static shared memory). Operands are exact in f16, so both sides agree to
// f32 summation order; printMemref prints 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator.
// RUN: %python %S/Inputs/gen_packed.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu=device-weights=false | FileCheck %s
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format warps=1" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu1
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu1 --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format warps=8" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu8
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu8 --rtol 1e-4 --atol 1e-5

// Every case takes the packed GEMM: [tiles, chunks, 128] words.
// CHECK-COUNT-7: gpu.launch_func @qsl_kernels::@qsl_gemm_{{[0-9]+}} {{.*}} memref<{{[0-9]+}}x{{[0-9]+}}x128xi32>
