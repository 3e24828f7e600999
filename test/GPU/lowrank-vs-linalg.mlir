// Factorized weights W = U.V (low rank alone) against the
// qsl-lower-to-linalg reference on the CPU: up to max-batch the fused
// low-rank chain (qsl_lrchain: t = x A_in^T in workgroup memory, then
// t B_out^T added to y atomically), alone and followed by the GEMV (f16
// result, fused ReLU), with warps=1 several rank components per warp;
// above max-batch two mma.sync GEMMs on f16 factor tables (qsl_lrgemm for
// t, then qsl_gemm with the epilogue). Module from Inputs/gen_lowrank.py. Runs on the
// GPU where lit finds one, else on the SIMT emulator (qsl-gpu-emulate;
// docs/codegen/gpu-emulator.md). printMemref prints 6 significant digits,
// hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_lowrank.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format warps=1" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu1
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu1 --rtol 1e-4 --atol 1e-5
// The launches: the chain alone for the f32 case, chain + GEMV for the
// others; 50 blocks at 4 warps, 100 of one warp (2 components each).
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu | FileCheck %s
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu="warps=1 device-weights=false" | FileCheck %s --check-prefix=W1
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s --check-prefix=ARGS
// ptxas accepts every kernel (sm_90 cubin).
// RUN: %if ptxas %{ qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=bin" -o %t.bin.mlir %}
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/../Conversion/QSLToGPU/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX
// CHECK-LABEL: func.func @lr200_t
// CHECK: gpu.memset
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_0 blocks in (%c50
// CHECK-NOT: gpu.launch_func
// CHECK-LABEL: func.func @lr130_f16
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_1 blocks in (%c33
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_1
// CHECK-LABEL: func.func @lr64_relu
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_2 blocks in (%c16
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_2
// W1-LABEL: func.func @lr200_t
// W1: gpu.launch_func @qsl_kernels::@qsl_lrchain_0 blocks in (%c100
// W1-LABEL: gpu.func @qsl_lrchain_0(
// W1-SAME: %{{.*}}: memref<5x256xf32>, %{{.*}}: memref<200x256xf32>, %{{.*}}: memref<200x264xf32>, %{{.*}}: memref<5x264xf32>) workgroup(%{{.*}} : memref<5x2xf32, #gpu.address_space<workgroup>>)
// Above max-batch: t [20, 24] f32 from x and A_in [24, 64] f16, then y from
// t and B_out [72, 24] f16; with f16 I/O the second GEMM stores f16.
// ARGS-LABEL: func.func @lr24_b20_t
// ARGS: gpu.launch_func @qsl_kernels::@qsl_lrgemm_3 {{.*}} args(%[[X:.*]] : memref<20x64xf32>, %{{.*}} : memref<24x64xf16>, %[[T:.*]] : memref<20x24xf32>)
// ARGS: gpu.launch_func @qsl_kernels::@qsl_gemm_3 {{.*}} args(%[[T]] : memref<20x24xf32>, %{{.*}} : memref<72x24xf16>, %{{.*}} : memref<20x72xf32>)
// ARGS-LABEL: func.func @lr40_b33_f16_relu
// ARGS: gpu.launch_func @qsl_kernels::@qsl_lrgemm_4 {{.*}} : memref<33x40xf32>)
// ARGS: gpu.launch_func @qsl_kernels::@qsl_gemm_4 {{.*}} : memref<33x50xf16>)
// ARGS-LABEL: gpu.func @qsl_lrgemm_3(
// ARGS: memref.load %arg1[%{{.*}}, %{{.*}}] : memref<24x64xf16>
// ARGS: nvgpu.mma.sync
// PTX-LABEL: .entry qsl_lrgemm_3(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry qsl_gemm_3(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
