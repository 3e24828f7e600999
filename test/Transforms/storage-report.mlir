// RUN: qsl-opt %s --qsl-storage-report -verify-diagnostics -split-input-file | FileCheck %s --check-prefix=IR
// Sizes worked out by hand from the side tensor shapes; bits are bit-packed.

// All four facets on 256x512 f16 (131072 parameters, 2097152 dense bits):
//   values 128x512 x 4 = 262144, scales 4x512 x 16 = 32768, zeros 4x512 x 4 = 8192,
//   meta 128x512 x 2 = 131072, outlier indices 128 x 32 = 4096, values 128 x 16 = 2048,
//   U 256x16 x 16 = 65536, V 16x512 x 16 = 131072            => 636928 bits,
//   636928 / 131072 = 4.859 bits/parameter, 2097152 / 636928 = 3.29x.
// expected-remark @+1 {{argument #0 tensor<256x512xf16>: 636928 bits, 4.859 bits/parameter, 3.29x smaller than dense; values tensor<128x512xi4>, scales tensor<4x512xf16>, zeros tensor<4x512xi4>, meta tensor<128x512xi2>, outlier_indices tensor<128xi32>, outlier_values tensor<128xf16>, u tensor<256x16xf16>, v tensor<16x512xf16>}}
func.func @all(%w: tensor<256x512xf16, #qsl.encoding<quant = <bits = 4, group = 64, scale = f16, zero = i4>, sparse = <2:4>, outliers = <count = 128, type = f16>, lowrank = <rank = 16, type = f16>>>) {
  return
}
// IR-LABEL: func.func @all

// -----
// W4 g128 (symmetric, f16 scales) on a 768x3072 weight: 768*3072*4 + 6*3072*16
// = 9437184 + 294912 = 9732096 bits = 4.125 bits/parameter, 16 / 4.125 = 3.88x.
// expected-remark @+1 {{argument #0 tensor<768x3072xf16>: 9732096 bits, 4.125 bits/parameter, 3.88x smaller than dense; values tensor<768x3072xi4>, scales tensor<6x3072xf16>}}
func.func @w4g128(%w: tensor<768x3072xf16, #qsl.encoding<quant = <bits = 4, group = 128, scale = f16>>>) {
  return
}

// -----
func.func @constants() {
  // 2:4 f16 on 64x64: values 32x64 x 16 = 32768, meta 32x64 x 2 = 4096
  // => 36864 bits = 9.000 bits/parameter, 65536 / 36864 = 1.78x.
  // expected-remark @+1 {{tensor<64x64xf16>: 36864 bits, 9.000 bits/parameter, 1.78x smaller than dense; values tensor<32x64xf16>, meta tensor<32x64xi2>}}
  %a = qsl.constant values(dense<1.0> : tensor<32x64xf16>) meta(dense<0> : tensor<32x64xi2>)
       : tensor<64x64xf16, #qsl.encoding<sparse = <2:4>>>
  // Rank-8 f32 factors of a 64x128 f32 matrix: (64*8 + 8*128) * 32 = 49152 bits
  // = 6.000 bits/parameter, 32 / 6 = 5.33x.
  // expected-remark @+1 {{tensor<64x128xf32>: 49152 bits, 6.000 bits/parameter, 5.33x smaller than dense; u tensor<64x8xf32>, v tensor<8x128xf32>}}
  %b = qsl.constant u(dense<0.5> : tensor<64x8xf32>) v(dense<0.5> : tensor<8x128xf32>)
       : tensor<64x128xf32, #qsl.encoding<lowrank = <rank = 8, type = f32>>>
  return
}
// The report leaves the IR alone.
// IR-LABEL: func.func @constants
// IR: qsl.constant
// IR: qsl.constant
