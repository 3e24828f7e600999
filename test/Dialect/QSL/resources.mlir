// RUN: qsl-opt %s | FileCheck %s
// RUN: qsl-opt %s -emit-bytecode | qsl-opt | FileCheck %s
// Side tensors held as dense_resource blobs survive text and bytecode.

// CHECK: qsl.constant values(dense_resource<layer0.codes> : tensor<2x4xi4>) scales(dense_resource<layer0.scales> : tensor<1x4xf16>)
// CHECK: dialect_resources
// CHECK: layer0.codes: "0x010000000102030405060708"
// CHECK: layer0.scales: "0x02000000003C003C003C003C"
func.func @weights() -> tensor<2x4xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>> {
  %w = qsl.constant values(dense_resource<layer0.codes> : tensor<2x4xi4>)
                    scales(dense_resource<layer0.scales> : tensor<1x4xf16>)
       : tensor<2x4xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>>
  return %w : tensor<2x4xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>>
}

{-#
  dialect_resources: {
    builtin: {
      layer0.codes: "0x010000000102030405060708",
      layer0.scales: "0x02000000003C003C003C003C"
    }
  }
#-}
