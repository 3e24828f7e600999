// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=2 method=kmeans" | FileCheck %s
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=2 method=kmeans outliers=0.0625" | FileCheck %s --check-prefix=OUT
// RUN: qsl-opt %s -split-input-file --qsl-prune="pattern=2:4" --qsl-quantize="bits=2 method=kmeans" | FileCheck %s --check-prefix=BOTH
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=3 method=kmeans group=8" | FileCheck %s --check-prefix=GROUP
// The reader and the lowering accept what the pass built.
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=2 method=kmeans" --qsl-lower-to-linalg | FileCheck %s --check-prefix=LOWER

// Codebook (SqueezeLLM-style) quantization, data-free k-means: every
// column n of the [K, N] weight (an output channel) gets a table of
// 2^bits = 4 sorted f16 centroids; its 4 elements take at most 4 distinct
// values, so the tables are exact: column 0 (7, -7, 3, 0) has the table
// (-7, 0, 3, 7) and codes 3, 0, 2, 1 (i2 prints 3 as -1, 2 as -2), the
// all-zero column 2 a table of zeros.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[W:.*]] = qsl.constant values(dense<{{\[}}[-1, -1, 0, 0], [0, -2, 0, 1], [-2, 0, 0, -2], [1, 1, 0, -1]]> : tensor<4x4xi2>)
// CHECK-SAME: codebook(dense<{{\[\[}}[-7.000000e+00, 0.000000e+00, 3.000000e+00, 7.000000e+00], [-1.999510e-01, 0.000000e+00, 6.000980e-01, 1.400390e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [-1.400000e+01, 2.000000e+00, 4.000000e+00, 6.000000e+00]]]> : tensor<1x4x4xf16>)
// CHECK-NOT: scales(
// CHECK-SAME: qsl.method = "kmeans w2 per-channel 4-entry tables"
// CHECK-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 2, scale = f16, codebook = 4>>>
// CHECK: qsl.matmul %{{.*}}, %[[W]]

// Dense-and-sparse: -14 (linear index 3) leaves the matrix with weight 0 in
// the k-means; column 3 is then (2, 4, 6) with table (2, 4, 6, 6), the
// outlier's code 0 (entry 2) and residual -14 - 2 = -16.
// OUT-LABEL: func.func @matmul
// OUT: qsl.constant values(dense<{{\[}}[-1, -1, 0, 0], [0, -2, 0, 0], [-2, 0, 0, 1], [1, 1, 0, -2]]> : tensor<4x4xi2>)
// OUT-SAME: [2.000000e+00, 4.000000e+00, 6.000000e+00, 6.000000e+00]]]> : tensor<1x4x4xf16>)
// OUT-SAME: outlier_indices(dense<3> : tensor<1xi32>) outlier_values(dense<-1.600000e+01> : tensor<1xf16>)
// OUT-SAME: qsl.method = "kmeans w2 per-channel 4-entry tables + 6.25% f16 outliers"
// OUT-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 2, scale = f16, codebook = 4>, outliers = <count = 1, type = f16>>>

// Prune then quantize: the tables are fit on the kept elements only
// (column 0 keeps 7 and -7: table (-7, 7, 7, 7)).
// BOTH-LABEL: func.func @matmul
// BOTH: qsl.constant values(dense<{{\[}}[1, 1, 0, 0], [0, 0, 0, 1]]> : tensor<2x4xi2>) codebook(dense<{{\[\[}}[-7.000000e+00, 7.000000e+00, 7.000000e+00, 7.000000e+00],
// BOTH-SAME: qsl.method = "magnitude 2:4 + kmeans w2 per-channel 4-entry tables"
// BOTH-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 2, scale = f16, codebook = 4>, sparse = <2:4>>>

// LOWER-LABEL: func.func @matmul
// LOWER-NOT: qsl.
// LOWER: tensor.extract %{{.*}} : tensor<1x4x4xf16>
// LOWER: return
func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Groups: a [16, 2] weight in groups of 8 along K has tables of shape
// [K/8 = 2, N = 2, 8]: one 8-entry table per (group, output channel).
// GROUP-LABEL: func.func @grouped
// GROUP: qsl.constant values({{.*}} : tensor<16x2xi3>) codebook({{.*}} : tensor<2x2x8xf16>)
// GROUP-SAME: qsl.method = "kmeans w3 g8 8-entry tables"
// GROUP-SAME: #qsl.encoding<quant = <bits = 3, group = 8, scale = f16, codebook = 8>>
func.func @grouped(%x: tensor<1x16xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0], [9.0, 10.0], [11.0, 12.0], [13.0, 14.0], [15.0, 16.0], [-1.0, -2.0], [-3.0, -4.0], [-5.0, -6.0], [-7.0, -8.0], [-9.0, -10.0], [-11.0, -12.0], [-13.0, -14.0], [-15.0, -16.0]]> : tensor<16x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x16xf32>, tensor<16x2xf32>) outs(%f : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
