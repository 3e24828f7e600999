// RUN: qsl-opt %s --qsl-lower-to-gpu -split-input-file | FileCheck %s
// The fused ops must be closed: only the last fused value may be used
// outside them. Otherwise the largest closed prefix is fused.

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
#map = affine_map<(d0, d1) -> (d0, d1)>

// The matmul's result is also returned: fusing the ReLU would lose it, so
// nothing moves into the kernel.
// CHECK-LABEL: func.func @escapes(
// CHECK: gpu.launch_func
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK-NOT: qsl_gpu_bias
func.func @escapes(%x: tensor<2x8xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = qsl.constant values(dense<1> : tensor<4x8xi8>) scales(dense<0.5> : tensor<4x1xf32>) : tensor<4x8xf32, #q>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x8xf32>, tensor<4x8xf32, #q> -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x4xf32>
  return %y, %r : tensor<2x4xf32>, tensor<2x4xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
#map = affine_map<(d0, d1) -> (d0, d1)>

// A reshape reads the biased value: the bias add is fused (its result is
// the one value leaving the kernel), the op after the reshape is not.
// CHECK-LABEL: func.func @stops_at_reshape(
// CHECK: gpu.launch_func
// CHECK-NEXT: memref.alloc
// CHECK: tensor.collapse_shape
// CHECK: linalg.generic
// CHECK: arith.negf
// CHECK: memref.global @qsl_gpu_bias_0
func.func @stops_at_reshape(%x: tensor<2x8xf32>) -> tensor<8xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x8xi8>) scales(dense<0.5> : tensor<4x1xf32>) : tensor<4x8xf32, #q>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x8xf32>, tensor<4x8xf32, #q> -> tensor<2x4xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %yb = linalg.generic {indexing_maps = [#map, affine_map<(d0, d1) -> (d1)>, #map], iterator_types = ["parallel", "parallel"]}
      ins(%y, %b : tensor<2x4xf32>, tensor<4xf32>) outs(%e : tensor<2x4xf32>) {
  ^bb0(%in: f32, %bv: f32, %out: f32):
    %s = arith.addf %in, %bv : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  %c = tensor.collapse_shape %yb [[0, 1]] : tensor<2x4xf32> into tensor<8xf32>
  %e1 = tensor.empty() : tensor<8xf32>
  %n = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%c : tensor<8xf32>) outs(%e1 : tensor<8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %n : tensor<8xf32>
}
