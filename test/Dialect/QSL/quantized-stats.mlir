// Quantized statistics (SpQR): scales stored as stat_bits-bit codes with a
// second level per stat_group channels along the other axis.
// (The storage report's remark is an expected diagnostic below.)
// RUN: qsl-opt %s -split-input-file -verify-diagnostics --qsl-storage-report | FileCheck %s
// The lowering decodes the scales: scale = stat_scale * (code - stat_zero).
// RUN: qsl-opt %s -split-input-file -verify-diagnostics --qsl-storage-report --qsl-lower-to-linalg | FileCheck %s --check-prefix=LOWER

// [K = 32, N = 8] weight, groups of 16 along K (axis 0): scales [2, 8] as
// 3-bit codes, second level along N in runs of 4: [2, 2] f16 each.
#s = #qsl.encoding<quant = <bits = 3, group = 16, scale = f16, zero = i3, stat_bits = 3, stat_group = 4>>
// CHECK-LABEL: func.func @stats
// CHECK: qsl.constant values({{.*}} : tensor<32x8xi3>) scales({{.*}} : tensor<2x8xi3>) zeros({{.*}} : tensor<2x8xi3>) stat_scales({{.*}} : tensor<2x2xf16>) stat_zeros({{.*}} : tensor<2x2xf16>)
// CHECK-SAME: stat_bits = 3, stat_group = 4
// 32x8 codes x 3 + 2x8 scale codes x 3 + 2x8 zeros x 3 + 2x2x2 x 16 bits
// = 768 + 48 + 48 + 128 = 992 bits = 3.875 bits/parameter.
// LOWER-LABEL: func.func @stats
// LOWER: linalg.generic
// LOWER: arith.divui %{{.*}}, %c4 : index
// LOWER: arith.uitofp %{{.*}} : i3 to f32
// LOWER: arith.subf
// LOWER: arith.mulf
func.func @stats() -> tensor<32x8xf32> {
  // expected-remark @below {{tensor<32x8xf32>: 992 bits, 3.875 bits/parameter}}
  %w = qsl.constant values(dense<3> : tensor<32x8xi3>)
                    scales(dense<[[0, 1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1, 0]]> : tensor<2x8xi3>)
                    zeros(dense<4> : tensor<2x8xi3>)
                    stat_scales(dense<[[0.5, 0.25], [1.0, 2.0]]> : tensor<2x2xf16>)
                    stat_zeros(dense<[[-1.0, -0.5], [-2.0, -1.0]]> : tensor<2x2xf16>)
       : tensor<32x8xf32, #s>
  %d = qsl.unpack %w : tensor<32x8xf32, #s> -> tensor<32x8xf32>
  return %d : tensor<32x8xf32>
}

// -----

// stat_group must divide the axis it runs along (N = 8 here).
// expected-error @below {{quant stat_group 3 does not divide axis 1 of size 8 (matrix view 32x8)}}
func.func @bad_stat_group(%w: tensor<32x8xf32, #qsl.encoding<quant = <bits = 3, group = 16, scale = f16, stat_bits = 3, stat_group = 3>>>) {
  return
}

// -----

// expected-error @below {{quantized statistics need group-wise scales (group > 0)}}
func.func @per_channel(%w: tensor<32x8xf32, #qsl.encoding<quant = <bits = 3, scale = f16, stat_bits = 3, stat_group = 4>>>) {
  return
}

// -----

// expected-error @below {{quant stat_bits must be in [2, 8], got 9}}
func.func @bad_stat_bits(%w: tensor<32x8xf32, #qsl.encoding<quant = <bits = 3, group = 16, scale = f16, stat_bits = 9, stat_group = 4>>>) {
  return
}

// -----

#s = #qsl.encoding<quant = <bits = 3, group = 16, scale = f16, stat_bits = 3, stat_group = 4>>
func.func @float_scales() {
  // expected-error @+1 {{'scales' storage has type 'tensor<2x8xf16>'}}
  %w = qsl.constant values(dense<3> : tensor<32x8xi3>) scales(dense<1.0> : tensor<2x8xf16>)
                    stat_scales(dense<1.0> : tensor<2x2xf16>) stat_zeros(dense<0.0> : tensor<2x2xf16>)
       : tensor<32x8xf32, #s>
  return
}
