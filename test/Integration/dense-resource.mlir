// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Side tensors kept as dense_resource blobs (how imported weights are held)
// lower and run like inline constants. Blobs start with a 4-byte alignment;
// sub-byte codes take one byte each.

func.func private @printMemrefF32(tensor<*xf32>)

#q = #qsl.encoding<quant = <bits = 4, scale = f32>>

func.func @main() {
  // codes [[1, -2], [3, 4]] (bytes 01 FE 03 04), column scales [0.5, 2.0]
  // => [[0.5, -4], [1.5, 8]]
  %w = qsl.constant values(dense_resource<codes> : tensor<2x2xi4>)
                    scales(dense_resource<scales> : tensor<1x2xf32>) : tensor<2x2xf32, #q>
  %d = qsl.unpack %w : tensor<2x2xf32, #q> -> tensor<2x2xf32>
  %p = tensor.cast %d : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%p) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[0.5, -4],
  // CHECK-NEXT: [1.5, 8]]

  // 2:4 metadata (i2, bytes 01 03) and an unstructured mask (i1, bytes 00 01 01 00)
  // from blobs: values [1, 2] at row positions 1 and 3; values [7, 9] at 1 and 2.
  %n = qsl.constant values(dense<[[1.0, 2.0]]> : tensor<1x2xf32>)
                    meta(dense_resource<meta> : tensor<1x2xi2>)
       : tensor<1x4xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
  %dn = qsl.unpack %n : tensor<1x4xf32, #qsl.encoding<sparse = <2:4, axis = 1>>> -> tensor<1x4xf32>
  %pn = tensor.cast %dn : tensor<1x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pn) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[0, 1, 0, 2]]
  %u = qsl.constant values(dense<[7.0, 9.0]> : tensor<2xf32>)
                    mask(dense_resource<mask> : tensor<1x4xi1>)
       : tensor<1x4xf32, #qsl.encoding<sparse = <unstructured, nnz = 2>>>
  %du = qsl.unpack %u : tensor<1x4xf32, #qsl.encoding<sparse = <unstructured, nnz = 2>>> -> tensor<1x4xf32>
  %pu = tensor.cast %du : tensor<1x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pu) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[0, 7, 9, 0]]
  return
}

{-#
  dialect_resources: {
    builtin: {
      codes: "0x0400000001FE0304",
      scales: "0x040000000000003F00000040",
      meta: "0x010000000103",
      mask: "0x0100000000010100"
    }
  }
#-}
