// RUN: qsl-opt %s --qsl-lower-to-linalg -split-input-file | FileCheck %s

// Loops batch, m, k, n: n innermost walks W's and the result's rows.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @batched
// CHECK: %[[DIM:.*]] = tensor.dim %{{.*}}, %c0 : tensor<?x7x64xf16>
// CHECK: tensor.empty(%[[DIM]]) : tensor<?x7x16xf32>
// CHECK: linalg.fill
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[O]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK: arith.extf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: arith.truncf {{.*}} : f32 to f16
#q = #qsl.encoding<quant = <bits = 4, group = 32, scale = f16>>
func.func @batched(%x: tensor<?x7x64xf16>, %w: tensor<64x16xf16, #q>) -> tensor<?x7x16xf16> {
  %y = qsl.matmul %x, %w : tensor<?x7x64xf16>, tensor<64x16xf16, #q> -> tensor<?x7x16xf16>
  return %y : tensor<?x7x16xf16>
}

// -----

// CHECK-DAG: #[[WT:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @transposed
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[WT]], #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]}
#q = #qsl.encoding<quant = <bits = 4, axis = 1, group = 32, scale = f16>>
func.func @transposed(%x: tensor<3x64xf32>, %w: tensor<16x64xf32, #q>) -> tensor<3x16xf32> {
  %y = qsl.matmul %x, %w transpose_w : tensor<3x64xf32>, tensor<16x64xf32, #q> -> tensor<3x16xf32>
  return %y : tensor<3x16xf32>
}

// -----

// Pad, split channels into groups, one 8-loop generic (output pixels
// innermost), merge groups.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d6 * 2 + d4, d7 * 2 + d5)>
// CHECK-DAG: #[[F:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
// CHECK-LABEL: func.func @grouped
// CHECK: tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 2, 10, 10] : tensor<1x4x10x10xf32> into tensor<1x2x2x10x10xf32>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2], [3], [4]] output_shape [2, 3, 2, 3, 3] : tensor<6x2x3x3xf32> into tensor<2x3x2x3x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[F]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x3x4x4xf32> into tensor<1x6x4x4xf32>
#c = #qsl.encoding<sparse = <1:2, axis = 1>>
func.func @grouped(%x: tensor<1x4x8x8xf32>, %w: tensor<6x2x3x3xf32, #c>) -> tensor<1x6x4x4xf32> {
  %y = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}
       : tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32, #c> -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}
