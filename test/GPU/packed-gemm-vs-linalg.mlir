// The packed tensor-core GEMMs (fragment-ordered code words decoded with
// f16x2 arithmetic, warps splitting K; PackedMmaKernel.cpp), dense and
// 2:4, across their shape classes (Inputs/gen_packed.py: 2 to 8 bits,
// groups shorter and longer than a chunk, per-channel, 1 to 4 m-tiles,
// edges in M, N and K, several chunks per warp, batch 1 to 100, 2:4 with
// outliers and low rank), against the qsl-lower-to-linalg reference on
// the CPU: with the default 4 warps per block, with 1 (no workgroup sum)
// and with 8 (seven partial tiles, or 8 tiles side by side); f16
// activations over several row blocks staged in shared memory in 4 stages
// (default), 2, or not at all (mma-a-stages=0). Operands are exact in f16, so both sides agree to
// f32 summation order; printMemref prints 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator.
// RUN: %python %S/Inputs/gen_packed.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu=device-weights=false | FileCheck %s
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format warps=1 mma-prefetch=1 mma-a-stages=0" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu1
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu1 --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format warps=8 mma-prefetch=8 mma-a-stages=2" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu8
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu8 --rtol 1e-4 --atol 1e-5

// Every case takes a packed GEMM: [tiles, chunks, 128] words; the 2:4
// ones with outliers and low rank after t = x . A_in^T (qsl_lrgemm).
// CHECK-COUNT-12: gpu.launch_func @qsl_kernels::@qsl_gemm_{{[0-9]+}} {{.*}} memref<{{[0-9]+}}x{{[0-9]+}}x128xi32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_12 {{.*}} memref<3x4x128xi32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_13 {{.*}} memref<2x2x128xi32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_14
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_14 {{.*}} memref<3x2x128xi32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_15 {{.*}} memref<1x2x128xi32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_16 {{.*}} memref<3x1x128xi32>
// Batch 1: per k-step only the A registers of rows 0-7 (r = 0, 2) load,
// two pairs per step, two steps per int4 chunk.
// CHECK-LABEL: gpu.func @qsl_gemm_7(
// CHECK-COUNT-4: vector.load %arg0
// CHECK-NOT: vector.load %arg0
// CHECK: gpu.return
// Two row blocks: warps side by side along N, each over all of K for its
// own tile (the loads clamped to the last tile), no workgroup sum; the f32
// activations staged in shared memory (granules of 4), read back as pairs.
// CHECK-LABEL: gpu.func @qsl_gemm_8(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x512x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: %[[WT:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK: arith.minui %[[WT]], %c5
// CHECK: nvgpu.device_async_copy %{{.*}}, 4, %{{.*}} {bypassL1} : memref<80x64xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1
// CHECK: gpu.barrier
// CHECK: vector.load %{{.*}} {alignment = 8 : i64} : memref<4x512x4xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK-NOT: vector.load %{{.*}} : memref<80x64xf32>
// CHECK: gpu.return
