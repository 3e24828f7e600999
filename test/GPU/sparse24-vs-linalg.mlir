// The sparse tensor-core GEMM of qsl-lower-to-gpu (2:4 along K, batch above
// max-batch: nvgpu.mma.sp.sync m16n8k32 on the transposed problem) on the
// GPU against the qsl-lower-to-linalg reference on the CPU, for int2/3/4/8
// codes (symmetric and asymmetric), tile edges in M, N and K, N = 1 and
// batch 512; and float 2:4 weights on the packed 2:4 GEMM (f16 values in
// fragment order) at batch 1 to 100: K and N edges, several chunks per
// warp, N = 1, warps splitting K (one row block) or side by side with the
// activations staged in shared memory (f16 read by ldmatrix, f32 as pairs)
// or not (mma-a-stages=0).
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
// The same with the activations read from global memory (mma-a-stages=0).
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format mma-a-stages=0" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu0
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu0 --rtol 1e-4 --atol 1e-5
// The float cases take the packed 2:4 kernel (no group tables, the f16
// pairs used as loaded); int4 with groups of 8 does not.
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu=device-weights=false | FileCheck %s
// CHECK-LABEL: func.func @int4_asym
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_0 {{.*}} memref<64x{{[0-9]+}}xi32>
// CHECK-LABEL: func.func @f16_t
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_1 {{.*}} memref<5x2x128xi32>
// CHECK-LABEL: func.func @f16_b1_kedge
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_5 {{.*}} args(%{{.*}} : memref<1x200xf32>, %{{.*}} : memref<3x7x128xi32>, %{{.*}} : memref<3x7x16xi32>, %{{.*}} : memref<1x40xf32>)
// CHECK-LABEL: func.func @f16_b8_chunks
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_6 {{.*}} args(%{{.*}} : memref<8x1024xf16>, %{{.*}} : memref<1x32x128xi32>, %{{.*}} : memref<1x32x16xi32>, %{{.*}} : memref<8x16xf16>)
// CHECK-LABEL: func.func @f16_b100_staged
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_8 blocks in (%c2{{.*}}, %c2{{.*}}, %c1{{.*}}) threads in (%c128{{.*}}, %c1{{.*}}, %c1{{.*}})
// The [nPad, K/2] kernel's block of 4 warps shares its 32 rows: staged in
// shared memory too (f32: 8 granules of 4 per row and 32-wide step).
// CHECK-LABEL: gpu.func @qsl_spmma_0(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x256x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: nvgpu.device_async_wait
// CHECK-COUNT-4: nvgpu.mma.sp.sync
// CHECK-LABEL: gpu.func @qsl_spmma_5(
// CHECK-NOT: arith.ori
// CHECK-NOT: arith.subf
// CHECK: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xf16>
// CHECK: nvgpu.mma.sp.sync
// CHECK-LABEL: gpu.func @qsl_spmma_6(
// CHECK-LABEL: gpu.func @qsl_spmma_8(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x256x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: nvgpu.device_async_wait
// CHECK: gpu.barrier
// CHECK-COUNT-8: nvgpu.ldmatrix
// CHECK: nvgpu.mma.sp.sync
// f32 activations: staged too, read back as f32 pairs (no ldmatrix).
// CHECK-LABEL: gpu.func @qsl_spmma_9(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x512x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-NOT: ldmatrix
// CHECK: vector.load %{{.*}} : memref<4x512x4xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK-NOT: ldmatrix
// CHECK: gpu.return
