// RUN: qsl-opt %s --qsl-lower-to-linalg -split-input-file | FileCheck %s

// Each side tensor becomes one arith.constant; resources stay resources.
// CHECK-LABEL: func.func @quant_constant
// CHECK-DAG: %[[CODES:.*]] = arith.constant dense_resource<codes> : tensor<4x8xi8>
// CHECK-DAG: %[[SCALES:.*]] = arith.constant dense<5.000000e-01> : tensor<1x8xf16>
// CHECK: %[[W:.*]] = linalg.generic
// CHECK-SAME: ins(%[[CODES]] : tensor<4x8xi8>)
// CHECK: tensor.extract %[[SCALES]]
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: arith.sitofp {{.*}} : i8 to f32
// CHECK: arith.mulf
// CHECK: return %[[W]] : tensor<4x8xf32>
// CHECK-NOT: qsl.
func.func @quant_constant() -> tensor<4x8xf32> {
  %w = qsl.constant values(dense_resource<codes> : tensor<4x8xi8>)
                    scales(dense<0.5> : tensor<1x8xf16>)
       : tensor<4x8xf32, #qsl.encoding<quant = <bits = 8, scale = f16>>>
  %d = qsl.unpack %w : tensor<4x8xf32, #qsl.encoding<quant = <bits = 8, scale = f16>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}
{-#
  dialect_resources: {
    builtin: {
      codes: "0x0400000001010101010101010101010101010101010101010101010101010101010101010101"
    }
  }
#-}

// -----

// Sub-byte resource blobs are read as bytes and truncated.
// CHECK-LABEL: func.func @sub_byte_resource
// CHECK: %[[BYTES:.*]] = arith.constant dense_resource<codes4> : tensor<2x2xi8>
// CHECK: linalg.generic {{.*}} ins(%[[BYTES]] : tensor<2x2xi8>)
// CHECK: arith.trunci {{.*}} : i8 to i4
func.func @sub_byte_resource() -> tensor<2x2xf32> {
  %w = qsl.constant values(dense_resource<codes4> : tensor<2x2xi4>)
                    scales(dense<0.5> : tensor<1x2xf32>)
       : tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
  %d = qsl.unpack %w : tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>> -> tensor<2x2xf32>
  return %d : tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      codes4: "0x0400000001FE0304"
    }
  }
#-}

// -----

// Encoded values crossing function boundaries become their side tensors.
#e = #qsl.encoding<quant = <bits = 4, group = 2, scale = f16, zero = i4>, lowrank = <rank = 1, type = f16>>
// CHECK-LABEL: func.func @callee
// CHECK-SAME: (%{{.*}}: tensor<4x4xi4>, %{{.*}}: tensor<2x4xf16>, %{{.*}}: tensor<2x4xi4>, %{{.*}}: tensor<4x1xf16>, %{{.*}}: tensor<1x4xf16>)
// CHECK-SAME: -> (tensor<4x4xi4>, tensor<2x4xf16>, tensor<2x4xi4>, tensor<4x1xf16>, tensor<1x4xf16>)
func.func @callee(%w: tensor<4x4xf32, #e>) -> tensor<4x4xf32, #e> {
  return %w : tensor<4x4xf32, #e>
}
// CHECK-LABEL: func.func @caller
// CHECK: %[[R:.*]]:5 = call @callee(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) : (tensor<4x4xi4>, tensor<2x4xf16>, tensor<2x4xi4>, tensor<4x1xf16>, tensor<1x4xf16>)
// CHECK: linalg.matmul
func.func @caller(%w: tensor<4x4xf32, #e>) -> tensor<4x4xf32> {
  %r = call @callee(%w) : (tensor<4x4xf32, #e>) -> tensor<4x4xf32, #e>
  %d = qsl.unpack %r : tensor<4x4xf32, #e> -> tensor<4x4xf32>
  return %d : tensor<4x4xf32>
}
