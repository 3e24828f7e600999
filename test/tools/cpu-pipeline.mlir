// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | FileCheck %s
// The reference CPU pipeline leaves only the LLVM dialect.

// CHECK: llvm.mlir.global private constant
// CHECK: llvm.func @forward
// CHECK-NOT: qsl.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
#e = #qsl.encoding<quant = <bits = 4, group = 4, scale = f16, zero = i4>, sparse = <2:4>>
func.func @forward(%x: tensor<3x8xf32>) -> tensor<3x4xf32> {
  %w = qsl.constant values(dense<3> : tensor<4x4xi4>) scales(dense<0.5> : tensor<2x4xf16>)
                    zeros(dense<1> : tensor<2x4xi4>) meta(dense<[[0, 1, 2, 3], [1, 0, 3, 2], [2, 3, 0, 1], [3, 2, 1, 0]]> : tensor<4x4xi2>)
       : tensor<8x4xf32, #e>
  %y = qsl.matmul %x, %w : tensor<3x8xf32>, tensor<8x4xf32, #e> -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}
