// The packed 2:4 GEMM (mma.sp with fragment-ordered code words,
// PackedMmaKernel.cpp): an int4 group-32 weight with 2:4 along K, at batch
// 1 (mma-gemv: the batch padded to an 8-row m-tile) and batch 20 (three
// m-tiles), in IR and in PTX for sm_80 and sm_90; ptxas assembles it.
// RUN: qsl-opt %s --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX
// RUN: %if ptxas %{ qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=bin" -o %t.bin.mlir %}
// RUN: %if ptxas %{ qsl-opt %s --qsl-gpu-pipeline="chip=sm_80 format=bin" -o %t.bin80.mlir %}
// With mma-gemv=false, batch 1 takes the composed GEMV on CUDA cores.
// RUN: qsl-opt %s --qsl-lower-to-gpu="mma-gemv=false" | FileCheck %s --check-prefix=SIMT

#s = #qsl.encoding<quant = <bits = 4, axis = 1, group = 32, scale = f32, zero = i8>, sparse = <2:4, axis = 1>>
func.func @sp_b1(%x: tensor<1x64xf16>) -> tensor<1x16xf16> {
  %w = qsl.constant values(dense<3> : tensor<16x32xi4>) scales(dense<0.5> : tensor<16x2xf32>) zeros(dense<8> : tensor<16x2xi8>) meta(dense<"0x0002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002"> : tensor<16x32xi2>) : tensor<16x64xf32, #s>
  %y = qsl.matmul %x, %w transpose_w : tensor<1x64xf16>, tensor<16x64xf32, #s> -> tensor<1x16xf16>
  return %y : tensor<1x16xf16>
}

func.func @sp_b20(%x: tensor<20x64xf32>) -> tensor<20x16xf32> {
  %w = qsl.constant values(dense<3> : tensor<16x32xi4>) scales(dense<0.5> : tensor<16x2xf32>) zeros(dense<8> : tensor<16x2xi8>) meta(dense<"0x0002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002000200020002"> : tensor<16x32xi2>) : tensor<16x64xf32, #s>
  %y = qsl.matmul %x, %w transpose_w : tensor<20x64xf32>, tensor<16x64xf32, #s> -> tensor<20x16xf32>
  return %y : tensor<20x16xf32>
}

// One 16-row tile, K = 64 is two steps of 32: one chunk (int4: 4 steps per
// chunk), so one warp. Tables: words [tiles, chunks, 128], the words of
// f16 s and 1024 + z [padded groups (128 / 32), 16 columns], metadata
// [tiles, steps (padded to the chunk), 16 lanes].
// CHECK-LABEL: func.func @sp_b1
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_0 blocks in (%c1{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c32, %c1{{.*}}, %c1{{.*}}) args({{.*}} : memref<1x64xf16>, {{.*}} : memref<1x1x128xi32>, {{.*}} : memref<4x16xi32>, {{.*}} : memref<1x4x16xi32>, {{.*}} : memref<1x16xf16>)
// Batch 20: three m-tiles of 8 rows in one block.
// CHECK-LABEL: func.func @sp_b20
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_1 blocks in (%c1{{.*}}, %c1{{.*}}, %c1{{.*}})

// Per step: the metadata register, four code pairs decoded in f16x2 into
// the A fragment, activation pairs as B, one mma.sp per m-tile.
// CHECK-LABEL: gpu.func @qsl_spmma_0(
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1x128xi32>, vector<4xi32>
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<1x4x16xi32>
// CHECK: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xi16>
// CHECK-COUNT-4: arith.mulf %{{.*}} : vector<2xf16>
// CHECK: vector.load %{{.*}} {alignment = 4 : i64} : memref<1x64xf16>, vector<2xf16>
// CHECK: nvgpu.mma.sp.sync
// CHECK-NOT: nvgpu.mma.sp.sync
// CHECK: scf.yield
// CHECK-LABEL: gpu.func @qsl_spmma_1(
// CHECK: scf.for
// CHECK-COUNT-3: nvgpu.mma.sp.sync
// CHECK-NOT: nvgpu.mma.sp.sync
// CHECK: scf.yield
// CHECK-COUNT-3: nvgpu.mma.sp.sync
// CHECK-NOT: nvgpu.mma.sp.sync
// CHECK: scf.yield

// PTX-LABEL: .entry qsl_spmma_0(
// PTX: ld.global.v4.b32
// PTX: mul.rn.f16x2
// PTX: mma.sp
// PTX-NOT: __local_depot
// PTX-LABEL: .entry qsl_spmma_1(
// PTX: cvt.rn.f16x2.f32
// PTX: mma.sp
// PTX-NOT: __local_depot

// SIMT-LABEL: func.func @sp_b1
// SIMT: gpu.launch_func @qsl_kernels::@qsl_gemv_0
// SIMT-LABEL: func.func @sp_b20
// SIMT: gpu.launch_func @qsl_kernels::@qsl_spmma_1
