// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=4 group=0 symmetric=true" | FileCheck %s
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=4 group=2" | FileCheck %s --check-prefix=ASYM
// RUN: qsl-opt %s -split-input-file --qsl-prune="pattern=2:4" --qsl-quantize="bits=4 group=0 symmetric=true" | FileCheck %s --check-prefix=BOTH
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=4 group=0 symmetric=true outliers=0.0625" | FileCheck %s --check-prefix=OUT

// Per-channel symmetric 4-bit, worked out by hand: column n of the [K, N]
// weight has scale max|w[:, n]| / 7 (1, 0.2, 1 for the zero column, 2) and
// codes round(w / scale).
// CHECK-LABEL: func.func @matmul
// CHECK-NOT: arith.constant dense<{{.*}}> : tensor<4x4xf32>
// CHECK: %[[W:.*]] = qsl.constant values(dense<{{\[}}[7, 7, 0, -7], [-7, 3, 0, 1], [3, -1, 0, 2], [0, 0, 0, 3]]> : tensor<4x4xi4>)
// CHECK-SAME: scales(dense<{{\[}}[1.000000e+00, 1.999510e-01, 1.000000e+00, 2.000000e+00]]> : tensor<1x4xf16>)
// CHECK-SAME: qsl.method = "rtn w4 per-channel sym"
// CHECK-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>
// CHECK: qsl.matmul %{{.*}}, %[[W]] : tensor<2x4xf32>, tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>> -> tensor<2x4xf32>

// Asymmetric 4-bit in groups of 2 along K: column 3 (-14, 2 | 4, 6) has
// ranges [-14, 2] (scale 16/15, zero 13) and [0, 6] (0 included: scale 0.4,
// zero 0), so its codes are 0, 15 | 10, 15.
// ASYM-LABEL: func.func @matmul
// ASYM: qsl.constant values(dense<{{\[}}[{{.*}}, {{.*}}, {{.*}}, 0], [{{.*}}, {{.*}}, {{.*}}, -1], [{{.*}}, {{.*}}, {{.*}}, -6], [{{.*}}, {{.*}}, {{.*}}, -1]]> : tensor<4x4xi4>)
// ASYM-SAME: zeros(dense<{{\[}}[{{.*}}, {{.*}}, {{.*}}, -3], [{{.*}}, {{.*}}, {{.*}}, 0]]> : tensor<2x4xi4>)
// ASYM-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, group = 2, scale = f16, zero = i4>>>

// Prune then quantize: one encoding with both facets; only kept codes are
// stored (2 of every 4 along K).
// BOTH-LABEL: func.func @matmul
// BOTH: qsl.constant values(dense<{{\[}}[7, 7, 0, -7], [-7, 3, 0, 3]]> : tensor<2x4xi4>)
// BOTH-SAME: qsl.method = "magnitude 2:4 + rtn w4 per-channel sym"
// BOTH-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, sparse = <2:4>>>
// One outlier in 16 (outliers=0.0625): -14 at [0, 3] (linear index 3)
// leaves the matrix; column 3 is then (0, 2, 4, 6) with scale 6/7 and codes
// 0, 2, 5, 7, and the outlier stores its whole value as the residual.
// OUT-LABEL: func.func @matmul
// OUT: qsl.constant values(dense<{{\[}}[7, 7, 0, 0], [-7, 3, 0, 2], [3, -1, 0, 5], [0, 0, 0, 7]]> : tensor<4x4xi4>)
// OUT-SAME: outlier_indices(dense<3> : tensor<1xi32>) outlier_values(dense<-1.400000e+01> : tensor<1xf16>)
// OUT-SAME: qsl.method = "rtn w4 per-channel sym + 6.25% f16 outliers"
// OUT-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, outliers = <count = 1, type = f16>>>
func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The importer's form of a Gemm with transB: a generic whose weight map is
// (n, k); the encoding's axis follows the reduction axis (1 here), and a
// contraction whose accumulator is not zero is left alone.
// CHECK-LABEL: func.func @transposed
// CHECK: qsl.constant {{.*}} : tensor<2x4xf32, #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>>>
// CHECK: qsl.matmul %{{.*}}, %{{.*}} transpose_w
// CHECK: linalg.generic
// CHECK-NOT: qsl.matmul
// CHECK: return
#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>
func.func @transposed(%x: tensor<3x4xf32>, %acc: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.25, 2.0]]> : tensor<2x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<3x4xf32>, tensor<2x4xf32>) outs(%f : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  %y2 = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<3x4xf32>, tensor<2x4xf32>) outs(%acc : tensor<3x2xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x2xf32>
  return %y, %y2 : tensor<3x2xf32>, tensor<3x2xf32>
}
