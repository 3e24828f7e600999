// RUN: qsl-opt %s --qsl-lower-to-gpu="warps=1" -split-input-file | FileCheck %s
// 2:4 sparsity along K above max-batch becomes the sparse tensor-core GEMM
// (nvgpu.mma.sp.sync m16n8k32 with the weight as the sparse operand A).
// The tables below are worked by hand from the storage.

// Float 2:4 main term, [N = 3, K = 8] f16 weight, batch 9: the packed 2:4
// GEMM (one row block of two 8-row m-tiles; one chunk, so one warp). Row 0
// stores its second run as positions (2, 0): the kernel's order is
// ascending, so the values swap (4.0 before 3.0) and the metadata reads
// 1,3 | 0,2.
// Values in fragment order ([tiles, chunks, 32 lanes x 4 words], one f16
// pair per word): lane 4g + i holds, for register r, row g + 8 (r % 2),
// kept entries 8 (r / 2) + 2i + {0, 1}, low half first. With K = 8 only
// register 0 of lanes 4g and 4g + 1 of rows 0-2 holds values: lane 0 =
// (1.0, 2.0) = 0x40003C00, lane 1 = (4.0, 3.0) = 0x42004400, lane 4 =
// (-1.0, 0.5) = 0x3800BC00, lane 5 = (0.25, -2.0) = 0xC0003400, lanes 8
// and 9 = (0.125, 0.125) = 0x30003000; little-endian hex below.
// Metadata register of lane 4g + h: row g (bits 0-15) and g + 8 (16-31),
// kept entries 8h..8h+7, 2 bits each; padding runs read (0, 1) = 0x4:
//   slot 0 = 0x4444448D (row 0: 1,3,0,2 then padding)  = 1145324685
//   slot 2 = 0x444444E4 (row 1: 0,1,2,3)               = 1145324772
//   slot 4 = 0x4444449C (row 2: 0,3,1,2)               = 1145324700
//   all others 0x44444444                              = 1145324612
// CHECK-LABEL: func.func @f16_24(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_0 blocks in ({{.*}}) threads in (%c32{{.*}}) args(%{{.*}} : memref<9x8xf32>, %{{.*}} : memref<9x3xf32>)
// CHECK: memref.global @qsl_gpu_mma_meta_0 : memref<1x1x16xi32, #gpu.address_space<global>> = dense<{{\[\[\[}}1145324685, 1145324612, 1145324772, 1145324612, 1145324700, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612, 1145324612]]]>
// CHECK: memref.global @qsl_gpu_mma_codes_0 : memref<1x1x128xi32, #gpu.address_space<global>> = dense<"0x003C004000000000000000000000000000440042000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000BC0038000000000000000000000000003400C0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000300030000000000000000000000000003000300000000000000000000000000000
// CHECK: gpu.func @qsl_spmma_0(%{{.*}}: memref<9x8xf32>, %{{.*}}: memref<9x3xf32>) kernel
// Per chunk: the lane's four words in one 16-byte load, the metadata, the A
// fragment as the four f16 pairs, one mma.sp per 8-row m-tile.
// CHECK: vector.load %{{.*}} {alignment = 16 : i64} : memref<1x1x128xi32>, vector<4xi32>
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<1x1x16xi32>
// CHECK: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xi16>
// CHECK-COUNT-4: vector.bitcast %{{.*}} : vector<1xi32> to vector<2xf16>
// CHECK-COUNT-2: nvgpu.mma.sp.sync({{.*}}) metadata({{.*}}) {mmaShape = [16, 8, 32]} : (vector<4x2xf16>, vector<4x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sp.sync
// CHECK: scf.yield
// Rows past 9 and columns past 3 store nothing.
// CHECK: arith.cmpi ult, %{{.*}}, %c3
// CHECK: scf.if
// CHECK: memref.store %{{.*}} : memref<9x3xf32>
#f = #qsl.encoding<sparse = <2:4, axis = 1>>
func.func @f16_24(%x: tensor<9x8xf32>) -> tensor<9x3xf32> {
  %w = qsl.constant values(dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.25, -2.0], [0.125, 0.125, 0.125, 0.125]]> : tensor<3x4xf16>)
         meta(dense<[[1, 3, 2, 0], [0, 1, 2, 3], [0, 3, 1, 2]]> : tensor<3x4xi2>) : tensor<3x8xf16, #f>
  %y = qsl.matmul %x, %w transpose_w : tensor<9x8xf32>, tensor<3x8xf16, #f> -> tensor<9x3xf32>
  return %y : tensor<9x3xf32>
}

// -----

// int4 asymmetric group 8 with 2:4 on a [K = 16, N = 70] weight, f16
// activations [2, 20, 16] (40 rows) and output. Tables are padded to 80 rows
// (whole warps of 16 columns) and one K step: 16 kept codes (2 words), 4
// scale groups (groups 2 and 3 are padding with scale 0). Every column's
// runs are (0, 1), (2, 3), (0, 2), (1, 3): nibbles 4, E, 8, D, so lanes
// 4g hold 0xD8E4D8E4 (-656090908) and lanes 4g + 1 (entries 8-15: padding)
// 0x44444444 (1145324612); the other tables print as little-endian hex.
// CHECK-LABEL: func.func @int4_24(
// Grid 5 x 2: 80 padded columns in warps of 16, 40 rows in tiles of 32.
// CHECK-DAG: %[[C5:.*]] = arith.constant 5 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_0 blocks in (%[[C5]], %[[C2]], %{{[^)]*}}) threads in (%{{[^)]*}}) args(%{{.*}} : memref<40x16xf16>, %{{.*}} : memref<40x70xf16>)
// CHECK: memref.global @qsl_gpu_meta_0 : memref<5x1x16xi32, #gpu.address_space<global>> = dense<{{\[\[\[}}-656090908, 1145324612, -656090908, 1145324612,
// CHECK: memref.global @qsl_gpu_zeros_0 : memref<80x4xf32, #gpu.address_space<global>> = dense<"0x00000041000000410000000000000000
// CHECK: memref.global @qsl_gpu_scales_0 : memref<80x4xf32, #gpu.address_space<global>> = dense<"0x0000003F0000003F0000000000000000
// CHECK: memref.global @qsl_gpu_codes_0 : memref<80x2xi32, #gpu.address_space<global>> = dense<"0x3333333300000000
// The kept codes are dequantized into the A fragment: eight (q - z) * s per
// step, each with the scale group of its dense K position 2j.
// CHECK: gpu.func @qsl_spmma_0(
// CHECK: scf.for
// CHECK-COUNT-8: arith.truncf %{{.*}} : f32 to f16
// CHECK-COUNT-4: nvgpu.mma.sp.sync
// CHECK: scf.yield
// CHECK: memref.store %{{.*}} : memref<40x70xf16>
#q = #qsl.encoding<quant = <bits = 4, axis = 0, group = 8, scale = f32, zero = i8>, sparse = <2:4, axis = 0>>
func.func @int4_24(%x: tensor<2x20x16xf16>) -> tensor<2x20x70xf16> {
  %w = qsl.constant values(dense<3> : tensor<8x70xi4>) scales(dense<0.5> : tensor<2x70xf32>) zeros(dense<8> : tensor<2x70xi8>)
         meta(dense<[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2],[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3],[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2],[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3]]> : tensor<8x70xi2>) : tensor<16x70xf32, #q>
  %y = qsl.matmul %x, %w : tensor<2x20x16xf16>, tensor<16x70xf32, #q> -> tensor<2x20x70xf16>
  return %y : tensor<2x20x70xf16>
}
