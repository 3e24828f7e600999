// The packed GEMM with warps side by side along N stages its block's
// activation rows in shared memory (ActivationStaging.h): cp.async copies
// of 16 bytes into a ring of mma-a-stages tiles (default 4), a wait and a
// barrier per chunk, and (f16) one ldmatrix.x4 per m-tile and k-step in
// place of every warp's own 32-bit activation loads.
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-lower-to-gpu="device-weights=false mma-a-stages=0" \
// RUN:   | FileCheck %s --check-prefix=OFF
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-lower-to-gpu="device-weights=false mma-a-stages=8" \
// RUN:   | FileCheck %s --check-prefix=EIGHT
// RUN: qsl-opt %S/Inputs/gemm-staged.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX
// The [N, W] GEMM (int4 with groups of 8, f32, 33 rows): its 4 warps share
// 16 rows, staged one k-step at a time (16 rows x 4 granules of 4 f32,
// padded to the 128 threads).
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="device-weights=false" \
// RUN:   | FileCheck %s --check-prefix=NW
// NW-LABEL: gpu.func @qsl_gemm_0(%{{.*}}: memref<33x40xf32>
// NW-SAME: workgroup(%[[NWS:.*]] : memref<4x128x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// NW: scf.for %{{.*}} = %c0 to %c48 step %c16
// NW: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// NW-NEXT: gpu.barrier
// NW-COUNT-4: vector.load %[[NWS]]{{.*}} : memref<4x128x4xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// NW: nvgpu.mma.sync

// int4, f16 activations: 64 rows x 4 granules of 16 bytes per 32-wide chunk
// over 4 warps (128 threads): two copies per thread and chunk; chunks 0-2
// issued before the loop, chunk c + 3 inside it after the wait for c.
// CHECK-LABEL: gpu.func @qsl_gemm_0(%{{.*}}: memref<130x256xf16>
// CHECK-SAME: workgroup(%[[AS:.*]] : memref<4x256x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-NOT: vector.load %{{.*}} : memref<130x256xf16>
// CHECK-COUNT-2: nvgpu.device_async_copy %{{.*}}, %[[AS]][%c0{{.*}}], 8, %{{.*}} {bypassL1} : memref<130x256xf16>
// CHECK-NEXT: %[[G0:.*]] = nvgpu.device_async_create_group
// CHECK-COUNT-2: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
// CHECK-COUNT-2: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %[[G0]] {numGroups = 2 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-2: nvgpu.device_async_copy
// CHECK: nvgpu.device_async_create_group
// CHECK-COUNT-4: nvgpu.ldmatrix %[[AS]][{{.*}}] {numTiles = 4 : i32, transpose = false}
// CHECK: nvgpu.mma.sync
// CHECK-NOT: vector.load %{{.*}} : memref<130x256xf16>
// CHECK: gpu.return
// f32 activations: granules of 4 (8 per 32-wide chunk: 8 KiB stages); as
// ldmatrix moves 16-bit elements, each A register is an f32 pair loaded
// from shared memory and rounded, 16 per m-tile and chunk.
// CHECK-LABEL: gpu.func @qsl_gemm_1(
// CHECK-SAME: workgroup(%[[AS32:.*]] : memref<4x512x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK-COUNT-4: nvgpu.device_async_copy %{{.*}}, %[[AS32]][%c0{{.*}}], 4, %{{.*}} {bypassL1} : memref<130x256xf32>
// CHECK: scf.for
// CHECK: nvgpu.device_async_wait %{{.*}} {numGroups = 2 : i32}
// CHECK-NEXT: gpu.barrier
// CHECK-NOT: ldmatrix
// CHECK-COUNT-4: vector.load %[[AS32]]{{.*}} {alignment = 8 : i64} : memref<4x512x4xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK-NOT: vector.load %{{.*}} : memref<130x256xf32>
// CHECK: gpu.return
// int2: 64-wide chunks, 8 KiB stages (8 granules per row).
// CHECK-LABEL: gpu.func @qsl_gemm_2(
// CHECK-SAME: workgroup(%{{.*}} : memref<4x512x8xf16, #gpu.address_space<workgroup>>

// 1x1 convolution, f16 image: the channel planes seen as [2, 64, 64]; each
// copy takes 8 pixels of one channel into a K-major tile (32 channels x 8
// granules, 3 copies per thread of 96); fragments by ldmatrix.trans.
// CHECK-LABEL: gpu.func @qsl_gemm_3(%{{.*}}: memref<2x64x8x8xf16>
// CHECK-SAME: workgroup(%[[ASC:.*]] : memref<4x288x8xf16, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: %[[PLANES:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] : memref<2x64x8x8xf16> into memref<2x64x64xf16>
// CHECK-COUNT-3: nvgpu.device_async_copy %[[PLANES]][%{{.*}}, %{{.*}}, %{{.*}}], %[[ASC]][%c0{{.*}}], 8, %{{.*}} {bypassL1}
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: nvgpu.ldmatrix %[[ASC]][{{.*}}] {numTiles = 4 : i32, transpose = true}
// CHECK: gpu.return
// The same with an f32 image: 16 granules of 4 pixels per channel, each
// element of a fragment its own load.
// CHECK-LABEL: gpu.func @qsl_gemm_4(%{{.*}}: memref<2x64x8x8xf32>
// CHECK-SAME: workgroup(%[[ASD:.*]] : memref<4x576x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: memref.collapse_shape %{{.*}} : memref<2x64x8x8xf32> into memref<2x64x64xf32>
// CHECK-NOT: ldmatrix
// CHECK: memref.load %[[ASD]][{{.*}}] : memref<4x576x4xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.return

// A 3x3 convolution with padding, f32 image, two warps: the implicit
// im2col tile gathered one 4-byte element per cp.async (64 rows x 32 taps
// over 64 threads: 32 copies each), the taps' pixels tested against the
// image (signed) and clamped into it, read back as f32 pairs.
// CHECK-LABEL: gpu.func @qsl_gemm_5(%{{.*}}: memref<2x16x8x8xf32>
// CHECK-SAME: workgroup(%[[ASG:.*]] : memref<4x512x4xf32, #gpu.address_space<workgroup>> {llvm.align = 16 : i64})
// CHECK: arith.cmpi sge
// CHECK: arith.maxsi
// CHECK: nvgpu.device_async_copy %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}], %[[ASG]][%c0{{.*}}, %{{.*}}, %{{.*}}], 1, %{{.*}} : memref<2x16x8x8xf32>
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: vector.load %[[ASG]]{{.*}} : memref<4x512x4xf32, #gpu.address_space<workgroup>>, vector<2xf32>
// CHECK: gpu.return

// OFF-NOT: ldmatrix
// OFF-NOT: device_async

// Eight stages of the int4 tile fit, of the f32 int4 tile five, of the int2
// tile five (40 KiB).
// EIGHT: workgroup(%{{.*}} : memref<8x256x8xf16
// EIGHT: nvgpu.device_async_wait %{{.*}} {numGroups = 6 : i32}
// EIGHT: workgroup(%{{.*}} : memref<5x512x4xf32
// EIGHT: nvgpu.device_async_wait %{{.*}} {numGroups = 3 : i32}
// EIGHT: workgroup(%{{.*}} : memref<5x512x8xf16
// EIGHT: nvgpu.device_async_wait %{{.*}} {numGroups = 3 : i32}

// PTX-LABEL: .entry qsl_gemm_0(
// PTX: .shared .align 16 .b8
// PTX: cp.async.cg.shared.global [%{{.*}}], [%{{.*}}], 16, %r{{[0-9]+}};
// PTX: cp.async.commit_group;
// PTX: cp.async.wait_group 2;
// PTX-NEXT: bar.sync 0;
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-LABEL: .entry qsl_gemm_1(
// PTX: cp.async.cg.shared.global
// PTX-NOT: ldmatrix
// PTX: ld.shared.v2.b32
// PTX: cvt.rn.f16x2.f32
// PTX-LABEL: .entry qsl_gemm_2(
// PTX-LABEL: .entry qsl_gemm_3(
// PTX: ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16
// PTX-LABEL: .entry qsl_gemm_5(
// PTX: cp.async.ca.shared.global [%{{.*}}], [%{{.*}}], 4, %r{{[0-9]+}};
