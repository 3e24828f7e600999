// RUN: qsl-opt %s --qsl-lower-to-gpu -split-input-file | FileCheck %s
// Codebook (non-uniform) quantization: w = codebook[group][q]. The codes
// use the same word layout as scale-quantized weights; the codebooks become
// one [N, G*E] f32 table, entry q of group g of column n at g*E + q, read
// by the GEMV and the mma.sync GEMM in place of (q - z) * s.

// [K = 4, N = 2] weight (axis 0), groups of 2 along K, 4 entries: the
// codebook is stored [G, N, E] with entry g*100 + n*10 + q, so the table's
// row n is g = 0's entries, then g = 1's.
// CHECK-LABEL: func.func @gemv_cb(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_0
// CHECK: memref.global @qsl_gpu_codebook_0 : memref<2x8xf32, #gpu.address_space<global>> = dense<{{\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 1.000000e+02, 1.010000e+02, 1.020000e+02, 1.030000e+02], [1.000000e+01, 1.100000e+01, 1.200000e+01, 1.300000e+01, 1.100000e+02, 1.110000e+02, 1.120000e+02, 1.130000e+02]]>
// CHECK: gpu.func @qsl_gemv_0(
// CHECK: %[[Q:.*]] = arith.andi
// CHECK: %[[G:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK: %[[BASE:.*]] = arith.muli %[[G]], %{{.*}} : index
// CHECK: %[[QI:.*]] = arith.index_cast %[[Q]] : i32 to index
// CHECK: %[[CI:.*]] = arith.addi %[[BASE]], %[[QI]] : index
// CHECK: memref.load %{{.*}}[%{{.*}}, %[[CI]]] : memref<2x8xf32>
// CHECK-NOT: arith.sitofp
// CHECK: gpu.return
#q = #qsl.encoding<quant = <bits = 2, axis = 0, group = 2, scale = f32, codebook = 4>>
func.func @gemv_cb(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = qsl.constant values(dense<[[0, 1], [-2, -1], [1, 0], [-1, -2]]> : tensor<4x2xi2>)
         codebook(dense<[[[0.0, 1.0, 2.0, 3.0], [10.0, 11.0, 12.0, 13.0]], [[100.0, 101.0, 102.0, 103.0], [110.0, 111.0, 112.0, 113.0]]]> : tensor<2x2x4xf32>)
       : tensor<4x2xf32, #q>
  %y = qsl.matmul %x, %w : tensor<1x4xf32>, tensor<4x2xf32, #q> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Above max-batch the mma.sync GEMM decodes each B-fragment value the same
// way (4 per n-tile and step: 16 codebook loads per step).
// CHECK-LABEL: func.func @gemm_cb(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0
// CHECK: gpu.func @qsl_gemm_0(
// CHECK: scf.for
// CHECK-COUNT-16: memref.load %{{.*}} : memref<8x16xf32>
// CHECK: nvgpu.mma.sync
#q = #qsl.encoding<quant = <bits = 3, axis = 1, group = 8, scale = f16, codebook = 8>>
func.func @gemm_cb(%x: tensor<16x16xf32>) -> tensor<16x8xf32> {
  %w = qsl.constant values(dense<1> : tensor<8x16xi3>)
         codebook(dense<[[[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]], [[-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0], [-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0]]]> : tensor<8x2x8xf16>)
       : tensor<8x16xf32, #q>
  %y = qsl.matmul %x, %w transpose_w : tensor<16x16xf32>, tensor<8x16xf32, #q> -> tensor<16x8xf32>
  return %y : tensor<16x8xf32>
}
