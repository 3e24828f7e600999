// The packed GEMM on sm_90a's warpgroup MMA (WgmmaKernel.cpp: the decoded
// weight as wgmma's A from registers, the f16 activations staged in
// shared memory as core matrices and read through matrix descriptors),
// across its shape classes (Inputs/gen_wgmma.py), against the
// qsl-lower-to-linalg reference on the CPU, with the default 4 stages, 3
// (the ring lagging a chunk: one chunk copied ahead) and 2 (no overlap). Operands are exact in f16, so both sides agree to f32 summation
// order; printMemref prints 6 digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one (an H100: sm_90a code), else on the
// SIMT emulator, which also checks the ordering: a cp.async into a slot an
// unwaited wgmma reads, or a wgmma reading copies not fenced into the
// async proxy or not behind a barrier, stops it.
// RUN: %python %S/Inputs/gen_wgmma.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu="device-weights=false wgmma=true" | FileCheck %s
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90a format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90a format=%gpu_format mma-a-stages=2" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu2
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu2 --rtol 1e-4 --atol 1e-5
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90a format=%gpu_format mma-a-stages=3" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu3
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu3 --rtol 1e-4 --atol 1e-5

// 200 rows: blocks of 128 (wgmma n128, 64 accumulators per wgmma), 10
// warp tiles over 2 blocks of two warpgroups (the second block's last six
// warps store nothing); 4 stages, so the ring refills the
// slot of chunk c - 2 and one k-step's wgmma (a commit group each) stays
// in flight while the next is decoded. The accumulators start undefined:
// the first chunk's first wgmma has scale-d 0.
// CHECK-LABEL: gpu.func @qsl_gemm_0(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x512x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: memref.extract_aligned_pointer_as_index
// CHECK: nvgpu.device_async_copy
// CHECK: %[[U:.*]] = ub.poison : vector<2x2xf32>
// CHECK: scf.for %[[CH:.*]] = %c0 to %{{.*}} iter_args(%{{.*}} = %[[U]],
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 1 : i32}
// CHECK-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// CHECK-NEXT: gpu.barrier
// CHECK: %[[NF:.*]] = arith.cmpi ne, %[[CH]], %c0 : index
// CHECK: %[[SC:.*]] = arith.extui %[[NF]] : i1 to i32
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}, p, 1, 1, 0; }", {{.*}}, %[[SC]],
// CHECK: llvm.inline_asm has_side_effects {{.*}}wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16 {{.*}}" %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %{{[0-9]+}}, %c1_i32,
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK: scf.if
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK: scf.yield
// CHECK-NOT: nvgpu.mma.sync
// CHECK: gpu.return
// 130 rows of 2-bit codes: chunks of 4 k-steps, 8 wgmma per chunk; two
// 16 KiB stages, so the chunk's wgmma are one group, all waited for at
// its end. 72 columns: one warpgroup.
// CHECK-LABEL: gpu.func @qsl_gemm_1(
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16
// CHECK-NOT: wgmma.mma_async
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// CHECK-NEXT: scf.yield
// 90 rows: one block of 96 (wgmma n96).
// CHECK-LABEL: gpu.func @qsl_gemm_2(
// CHECK: wgmma.mma_async.sync.aligned.m64n96k16
// CHECK-LABEL: gpu.func @qsl_gemm_3(
// CHECK: wgmma.mma_async.sync.aligned.m64n80k16
// CHECK-LABEL: gpu.func @qsl_gemm_4(
// CHECK: wgmma.mma_async.sync.aligned.m64n128k16
// CHECK-LABEL: gpu.func @qsl_gemm_5(
// CHECK: wgmma.mma_async.sync.aligned.m64n112k16
// 64 rows fit one mma.sync block (warps split K): no wgmma.
// CHECK-LABEL: gpu.func @qsl_gemm_6(
// CHECK-NOT: wgmma
// CHECK: nvgpu.mma.sync
// CHECK: gpu.return
// 2:4 (wgmma.mma_async.sp m64nNk32, the metadata register after the
// descriptor): the ring's slots are k-steps of 32, each behind its own
// barrier; 19 tiles of 16 columns over blocks of two warpgroups.
// CHECK-LABEL: gpu.func @qsl_spmma_7(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x512x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK: scf.for
// CHECK: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: gpu.barrier
// CHECK: %[[MD:.*]] = memref.load %arg3[
// CHECK: nvvm.wgmma.fence.aligned
// CHECK: wgmma.mma_async.sp.sync.aligned.m64n128k32.f32.f16.f16 {{.*}}, $68, $69, 0, p, 1, 1, 0; }", {{.*}}, %[[MD]],
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// CHECK: gpu.barrier
// CHECK-COUNT-3: wgmma.mma_async.sp.sync.aligned.m64n128k32
// CHECK-NOT: mma.sp.sync
// CHECK: gpu.return
// Float 2:4 (one step per chunk): each step's wgmma waited for at its end.
// CHECK-LABEL: gpu.func @qsl_spmma_10(
// CHECK: wgmma.mma_async.sp.sync.aligned.m64n128k32
// CHECK-NEXT: llvm.extractvalue
// CHECK: nvvm.wgmma.commit.group.sync.aligned
// CHECK-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
