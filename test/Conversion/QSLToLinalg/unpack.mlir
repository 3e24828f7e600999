// RUN: qsl-opt %s --qsl-lower-to-linalg -split-input-file | FileCheck %s
// The structure of the dense approximation, facet by facet.

// N:M: one generic over the dense matrix with two results (values, keep
// mask); each of the N slots of a run is compared with the position.
// CHECK-LABEL: func.func @nm
// CHECK: %[[S:.*]]:2 = linalg.generic
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xi1>)
// CHECK: arith.divui
// CHECK: arith.remui
// CHECK-COUNT-2: arith.cmpi eq
// CHECK: linalg.yield
// CHECK: return %[[S]]#0
func.func @nm(%w: tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>) -> tensor<4x8xf32> {
  %d = qsl.unpack %w : tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// Quantized + N:M: dequantization selects 0 where the mask is clear.
// CHECK-LABEL: func.func @nm_quant
// CHECK: %[[S:.*]]:2 = linalg.generic
// CHECK: linalg.generic {{.*}} ins(%[[S]]#0, %[[S]]#1 : tensor<4x8xi4>, tensor<4x8xi1>)
// CHECK: arith.uitofp
// CHECK: arith.subf
// CHECK: arith.select
func.func @nm_quant(%w: tensor<4x8xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 4, scale = f16, zero = i4>, sparse = <2:4, axis = 1>>>) -> tensor<4x8xf32> {
  %d = qsl.unpack %w : tensor<4x8xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 4, scale = f16, zero = i4>, sparse = <2:4, axis = 1>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

// -----

// Unstructured: a loop over the flattened mask with a running count.
// CHECK-LABEL: func.func @unstructured
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<4x4xi1> into tensor<16xi1>
// CHECK: scf.for {{.*}} iter_args
// CHECK: scf.if
// CHECK: tensor.insert
// CHECK: tensor.expand_shape
func.func @unstructured(%w: tensor<4x4xf16, #qsl.encoding<sparse = <unstructured, nnz = 5>>>) -> tensor<4x4xf16> {
  %d = qsl.unpack %w : tensor<4x4xf16, #qsl.encoding<sparse = <unstructured, nnz = 5>>> -> tensor<4x4xf16>
  return %d : tensor<4x4xf16>
}

// -----

// Outliers and low-rank on a conv filter: the matrix view [8, 18], a
// scatter-add loop, linalg.matmul for U·V, and one reshape at the end.
// CHECK-LABEL: func.func @outliers_lowrank
// CHECK: scf.for
// CHECK: tensor.extract
// CHECK: arith.addf
// CHECK: tensor.insert
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x2xf16>, tensor<2x18xf16>) outs(%{{.*}} : tensor<8x18xf32>)
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2, 3]] output_shape [8, 2, 3, 3] : tensor<8x18xf32> into tensor<8x2x3x3xf32>
func.func @outliers_lowrank(%w: tensor<8x2x3x3xf32, #qsl.encoding<outliers = <count = 4, type = f16>, lowrank = <rank = 2, type = f16>>>) -> tensor<8x2x3x3xf32> {
  %d = qsl.unpack %w : tensor<8x2x3x3xf32, #qsl.encoding<outliers = <count = 4, type = f16>, lowrank = <rank = 2, type = f16>>> -> tensor<8x2x3x3xf32>
  return %d : tensor<8x2x3x3xf32>
}

// -----

// f16 tensors are computed in f32 and truncated once, at the end.
// CHECK-LABEL: func.func @f16_rounding
// CHECK: arith.mulf {{.*}} : f32
// CHECK: linalg.generic
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @f16_rounding(%w: tensor<4x4xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>>) -> tensor<4x4xf16> {
  %d = qsl.unpack %w : tensor<4x4xf16, #qsl.encoding<quant = <bits = 4, scale = f16>>> -> tensor<4x4xf16>
  return %d : tensor<4x4xf16>
}
