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
