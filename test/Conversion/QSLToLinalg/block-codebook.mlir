// RUN: qsl-opt %s --qsl-lower-to-linalg -split-input-file | FileCheck %s

// Block sparsity: a loop numbers the kept blocks (-1 for pruned ones), then
// one generic over the matrix looks every element up in its block.
// CHECK-LABEL: func.func @block
// CHECK: %[[NONE:.*]] = arith.constant dense<-1> : tensor<8xi64>
// CHECK: %[[SLOTS:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[NONE]], %{{.*}} = %{{.*}}) -> (tensor<8xi64>, index)
// CHECK: %[[GRID:.*]] = tensor.expand_shape %[[SLOTS]]#0 {{\[}}[0, 1]] output_shape [2, 4] : tensor<8xi64> into tensor<2x4xi64>
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xi1>)
// CHECK: tensor.extract %[[GRID]]
// CHECK: arith.cmpi sge
func.func @block(%w: tensor<4x8xf32, #qsl.encoding<sparse = <block = 2x2, nnz = 3>>>) -> tensor<4x8xf32> {
  %d = qsl.unpack %w : tensor<4x8xf32, #qsl.encoding<sparse = <block = 2x2, nnz = 3>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// Codebook: codes are unsigned indices into the group's table.
// CHECK-LABEL: func.func @codebook
// CHECK-SAME: (%[[CODES:.*]]: tensor<8x4xi3>, %[[TABLE:.*]]: tensor<2x4x8xf16>)
// CHECK: linalg.generic {{.*}} ins(%[[CODES]] : tensor<8x4xi3>)
// CHECK: ^bb0(%[[Q:.*]]: i3
// CHECK: %[[G:.*]] = arith.divui
// CHECK: %[[I:.*]] = arith.index_castui %[[Q]] : i3 to index
// CHECK: tensor.extract %[[TABLE]][%[[G]], %{{.*}}, %[[I]]]
// CHECK: arith.extf {{.*}} : f16 to f32
func.func @codebook(%w: tensor<8x4xf32, #qsl.encoding<quant = <bits = 3, group = 4, scale = f16, codebook = 8>>>) -> tensor<8x4xf32> {
  %d = qsl.unpack %w : tensor<8x4xf32, #qsl.encoding<quant = <bits = 3, group = 4, scale = f16, codebook = 8>>> -> tensor<8x4xf32>
  return %d : tensor<8x4xf32>
}
