// The fused low-rank chain (qsl_lrchain: t = x A_in^T in workgroup memory,
// then t B_out^T added to y atomically) on factorized weights, alone and
// followed by the GEMV (f16 result, fused ReLU), against the
// qsl-lower-to-linalg reference on the CPU; with warps=1 each warp takes
// several rank components. Module from Inputs/gen_lowrank.py. Runs on the
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
