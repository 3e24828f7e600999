// RUN: qsl-opt %s -canonicalize -split-input-file | FileCheck %s

#e = #qsl.encoding<quant = <bits = 4, group = 4, scale = f16>>

// Re-encoding the exact approximation of %w into %w's own encoding is %w.
// CHECK-LABEL: func.func @pack_of_unpack
// CHECK-SAME: (%[[W:.*]]: tensor<8x8xf32, #qsl.encoding<{{.*}}>>)
// CHECK-NEXT: return %[[W]]
func.func @pack_of_unpack(%w: tensor<8x8xf32, #e>) -> tensor<8x8xf32, #e> {
  %d = qsl.unpack %w : tensor<8x8xf32, #e> -> tensor<8x8xf32>
  %p = qsl.pack %d : tensor<8x8xf32> -> tensor<8x8xf32, #e>
  return %p : tensor<8x8xf32, #e>
}

// -----

#e = #qsl.encoding<quant = <bits = 4, group = 4, scale = f16>>
#f = #qsl.encoding<quant = <bits = 8, group = 4, scale = f16>>

// Into another encoding it is a real (lossy) re-encoding and stays.
// CHECK-LABEL: func.func @pack_of_unpack_other_encoding
// CHECK: qsl.unpack
// CHECK: qsl.pack
func.func @pack_of_unpack_other_encoding(%w: tensor<8x8xf32, #e>) -> tensor<8x8xf32, #f> {
  %d = qsl.unpack %w : tensor<8x8xf32, #e> -> tensor<8x8xf32>
  %p = qsl.pack %d : tensor<8x8xf32> -> tensor<8x8xf32, #f>
  return %p : tensor<8x8xf32, #f>
}

// -----

#e = #qsl.encoding<sparse = <2:4>>

// Unpacking a packed value is lossy: it does not fold.
// CHECK-LABEL: func.func @unpack_of_pack
// CHECK: qsl.pack
// CHECK: qsl.unpack
func.func @unpack_of_pack(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %p = qsl.pack %x : tensor<8x8xf32> -> tensor<8x8xf32, #e>
  %d = qsl.unpack %p : tensor<8x8xf32, #e> -> tensor<8x8xf32>
  return %d : tensor<8x8xf32>
}

// -----

// Unused encoded constants are pure and go away.
// CHECK-LABEL: func.func @dead_constant
// CHECK-NOT: qsl.constant
func.func @dead_constant() {
  %w = qsl.constant values(dense<1.0> : tensor<2x4xf32>) meta(dense<0> : tensor<2x4xi2>)
       : tensor<4x4xf32, #qsl.encoding<sparse = <2:4>>>
  return
}

// -----

// Zero-valued outliers add nothing: they leave the list.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, outliers = <count = 3, type = f32>>
// CHECK-LABEL: func.func @zero_outliers_dropped
// CHECK: qsl.constant
// CHECK-SAME: outlier_indices(dense<[1, 6]> : tensor<2xi32>)
// CHECK-SAME: outlier_values(dense<[2.500000e-01, -5.000000e-01]> : tensor<2xf32>)
// CHECK-SAME: outliers = <count = 2, type = f32>
// CHECK: qsl.unpack
func.func @zero_outliers_dropped() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    outlier_indices(dense<[1, 3, 6]> : tensor<3xi32>)
                    outlier_values(dense<[0.25, 0.0, -0.5]> : tensor<3xf32>)
       : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// All outliers zero next to another facet: the facet goes.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, outliers = <count = 2, type = f16>>
// CHECK-LABEL: func.func @all_zero_outliers_facet_dropped
// CHECK: qsl.constant values({{.*}}) scales({{.*}}) : tensor<2x4xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
func.func @all_zero_outliers_facet_dropped(%x: tensor<3x2xf32>) -> tensor<3x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    outlier_indices(dense<[0, 5]> : tensor<2xi32>)
                    outlier_values(dense<0.0> : tensor<2xf16>)
       : tensor<2x4xf32, #e>
  %y = qsl.matmul %x, %w : tensor<3x2xf32>, tensor<2x4xf32, #e> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// A sole all-zero outliers facet keeps one entry: an encoding needs a facet.
#e = #qsl.encoding<outliers = <count = 3, type = f32>>
// CHECK-LABEL: func.func @sole_zero_outliers_keep_one
// CHECK: outlier_indices(dense<2> : tensor<1xi32>) outlier_values(dense<0.000000e+00> : tensor<1xf32>)
// CHECK-SAME: outliers = <count = 1, type = f32>
func.func @sole_zero_outliers_keep_one() -> tensor<2x4xf32> {
  %w = qsl.constant outlier_indices(dense<[2, 3, 4]> : tensor<3xi32>)
                    outlier_values(dense<0.0> : tensor<3xf32>)
       : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// Low-rank components with a zero factor are dropped (here the middle one
// has a zero column of U, the last a zero row of V).
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, lowrank = <rank = 3, type = f32>>
// CHECK-LABEL: func.func @zero_lowrank_components
// CHECK: u(dense<{{\[}}[1.000000e+00], [2.000000e+00], [3.000000e+00], [4.000000e+00]]> : tensor<4x1xf32>)
// CHECK-SAME: v(dense<{{\[}}[5.000000e-01, 1.000000e+00, 1.500000e+00, 2.000000e+00]]> : tensor<1x4xf32>)
// CHECK-SAME: lowrank = <rank = 1, type = f32>
func.func @zero_lowrank_components() -> tensor<4x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    u(dense<[[1.0, 0.0, 3.0], [2.0, 0.0, 4.0], [3.0, 0.0, 5.0], [4.0, 0.0, 6.0]]> : tensor<4x3xf32>)
                    v(dense<[[0.5, 1.0, 1.5, 2.0], [7.0, 7.0, 7.0, 7.0], [0.0, 0.0, 0.0, 0.0]]> : tensor<3x4xf32>)
       : tensor<4x4xf32, #e>
  %d = qsl.unpack %w : tensor<4x4xf32, #e> -> tensor<4x4xf32>
  return %d : tensor<4x4xf32>
}

// -----

// A zero factor next to an infinite one is not an exact zero (0 * inf is
// NaN): that component stays.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, lowrank = <rank = 1, type = f32>>
// CHECK-LABEL: func.func @zero_times_inf_kept
// CHECK: lowrank = <rank = 1, type = f32>
func.func @zero_times_inf_kept() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    u(dense<[[0.0], [0.0]]> : tensor<2x1xf32>)
                    v(dense<[[0x7F800000, 1.0, 1.0, 1.0]]> : tensor<1x4xf32>)
       : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// Smooth multipliers that are all 1 scale nothing; others stay.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, smooth = <axis = 0, type = f16>>
// CHECK-LABEL: func.func @unit_smooth
// CHECK: qsl.constant values({{.*}}) scales({{.*}}) : tensor<2x4xf32, #qsl.encoding<quant = <{{[^>]*}}>>>
// CHECK: qsl.constant {{.*}} smooth(dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf16>)
func.func @unit_smooth() -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    smooth(dense<1.0> : tensor<2xf16>) : tensor<2x4xf32, #e>
  %v = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    smooth(dense<[1.0, 2.0]> : tensor<2xf16>) : tensor<2x4xf32, #e>
  %a = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  %b = qsl.unpack %v : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %a, %b : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

// Quantized, unstructured sparsity that keeps every position: the codes
// become the dense matrix and the mask goes.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, sparse = <unstructured, nnz = 8>>
// CHECK-LABEL: func.func @full_unstructured
// CHECK: qsl.constant values(dense<{{\[}}[1, 2, 3, 4], [5, 6, 7, -8]]> : tensor<2x4xi4>) scales({{.*}}) : tensor<2x4xf32, #qsl.encoding<quant = <{{[^>]*}}>>>
func.func @full_unstructured() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<[1, 2, 3, 4, 5, 6, 7, -8]> : tensor<8xi4>)
                    scales(dense<1.0> : tensor<1x4xf32>)
                    mask(dense<true> : tensor<2x4xi1>) : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// Every 1x2 block kept: blocks are laid back onto the block grid.
#e = #qsl.encoding<quant = <bits = 4, scale = f32, zero = i4>, sparse = <block = 1x2, nnz = 4>>
// CHECK-LABEL: func.func @full_block
// CHECK: qsl.constant values(dense<{{\[}}[1, 2, 3, 4], [5, 6, 7, -8]]> : tensor<2x4xi4>)
// CHECK-NOT: mask
// CHECK-SAME: tensor<2x4xf32, #qsl.encoding<quant = <bits = 4, scale = f32, zero = i4>>>
func.func @full_block() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]]]> : tensor<4x1x2xi4>)
                    scales(dense<1.0> : tensor<1x4xf32>) zeros(dense<0> : tensor<1x4xi4>)
                    mask(dense<true> : tensor<2x2xi1>) : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// Without quant the sparse facet is the only spelling of the main term.
#e = #qsl.encoding<sparse = <unstructured, nnz = 8>>
// CHECK-LABEL: func.func @full_unstructured_float_kept
// CHECK: sparse = <unstructured, nnz = 8>
func.func @full_unstructured_float_kept() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<8xf32>)
                    mask(dense<true> : tensor<2x4xi1>) : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// One group as long as the axis is per-channel quantization (group = 0).
#e = #qsl.encoding<quant = <bits = 4, group = 2, scale = f32>>
// CHECK-LABEL: func.func @group_is_whole_axis
// CHECK: quant = <bits = 4, scale = f32>
func.func @group_is_whole_axis() -> tensor<2x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
       : tensor<2x4xf32, #e>
  %d = qsl.unpack %w : tensor<2x4xf32, #e> -> tensor<2x4xf32>
  return %d : tensor<2x4xf32>
}

// -----

// A user outside the qsl ops may depend on the exact type: no rewrite.
#e = #qsl.encoding<quant = <bits = 4, scale = f32>, outliers = <count = 1, type = f32>>
// CHECK-LABEL: func.func @returned_constant_kept
// CHECK: outliers = <count = 1, type = f32>
func.func @returned_constant_kept() -> tensor<2x4xf32, #e> {
  %w = qsl.constant values(dense<1> : tensor<2x4xi4>) scales(dense<1.0> : tensor<1x4xf32>)
                    outlier_indices(dense<0> : tensor<1xi32>) outlier_values(dense<0.0> : tensor<1xf32>)
       : tensor<2x4xf32, #e>
  return %w : tensor<2x4xf32, #e>
}
