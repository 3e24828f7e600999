// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=4 group=0 symmetric=true" | FileCheck %s
// RUN: qsl-opt %s -split-input-file --qsl-prune="pattern=2:4" --qsl-quantize="bits=4 group=0 symmetric=true" | FileCheck %s --check-prefix=BOTH
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=4 group=2" | FileCheck %s --check-prefix=G2

// The importer's ONNX Conv (builders::buildConv2D) with strides [2, 1],
// dilations [1, 2] and pads [top 1, left 0, bottom 0, right 1] becomes one
// qsl.conv2d with those attributes on a qsl.constant; the bias add after it
// stays. The OIHW filter is the matrix [O = 2, K = 2*2*2] (columns in
// (c, kh, kw) order), quantized per output channel along K (axis = 1):
// row 0 (-7 .. 0) has scale 1, row 1 (14, 2, 4, .., 12, -14) scale 2.
// CHECK-LABEL: func.func @conv_strided_dilated_padded
// CHECK-NOT: tensor.pad
// CHECK: %[[W:.*]] = qsl.constant values(dense<{{\[}}[-7, -6, -5, -4, -3, -2, -1, 0], [7, 1, 2, 3, 4, 5, 6, -7]]> : tensor<2x8xi4>)
// CHECK-SAME: scales(dense<{{\[}}[1.000000e+00], [2.000000e+00]]> : tensor<2x1xf16>)
// CHECK-SAME: : tensor<2x2x2x2xf32, #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>>>
// CHECK-NEXT: %[[Y:.*]] = qsl.conv2d %arg0, %[[W]] {dilations = array<i64: 1, 2>, pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 2, 1>}
// CHECK-SAME: : tensor<1x2x5x5xf32>, tensor<2x2x2x2xf32, #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>>> -> tensor<1x2x3x4xf32>
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: tensor.collapse_shape
// CHECK: linalg.generic {{.*}} ins(%[[Y]], %{{.*}} : tensor<1x2x3x4xf32>, tensor<2x1x1xf32>)
// CHECK: arith.addf
// Pruned first (2 of every 4 along (c, kh, kw): -7, -6 | -3, -2 and
// 14, 6 | 12, -14), then quantized: the pruned qsl.conv2d is a weight too.
// BOTH-LABEL: func.func @conv_strided_dilated_padded
// BOTH: qsl.constant values(dense<{{\[}}[-7, -6, -3, -2], [7, 3, 6, -7]]> : tensor<2x4xi4>)
// BOTH-SAME: qsl.method = "magnitude 2:4 + rtn w4 per-channel sym"
// BOTH-SAME: : tensor<2x2x2x2xf32, #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>, sparse = <2:4, axis = 1>>>
// BOTH: qsl.conv2d %arg0, %{{.*}} {dilations = array<i64: 1, 2>, pads = array<i64: 1, 0, 0, 1>, strides = array<i64: 2, 1>}
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d6 * 2 + d4, d7 + d5 * 2)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
#y = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @conv_strided_dilated_padded(%arg0: tensor<1x2x5x5xf32>) -> tensor<1x2x3x4xf32> {
  %w = arith.constant dense<[[[[-7.0, -6.0], [-5.0, -4.0]], [[-3.0, -2.0], [-1.0, 0.0]]], [[[14.0, 2.0], [4.0, 6.0]], [[8.0, 10.0], [12.0, -14.0]]]]> : tensor<2x2x2x2xf32>
  %b = arith.constant dense<1.0> : tensor<2x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %padded = tensor.pad %arg0 low[0, 0, 1, 0] high[0, 0, 0, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f32
  } : tensor<1x2x5x5xf32> to tensor<1x2x6x6xf32>
  %xg = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [1, 1, 2, 6, 6] : tensor<1x2x6x6xf32> into tensor<1x1x2x6x6xf32>
  %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [1, 2, 2, 2, 2] : tensor<2x2x2x2xf32> into tensor<1x2x2x2x2xf32>
  %e = tensor.empty() : tensor<1x1x2x3x4xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x1x2x3x4xf32>) -> tensor<1x1x2x3x4xf32>
  %c = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%xg, %wg : tensor<1x1x2x6x6xf32>, tensor<1x2x2x2x2xf32>) outs(%f : tensor<1x1x2x3x4xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x1x2x3x4xf32>
  %m = tensor.collapse_shape %c [[0], [1, 2], [3], [4]] : tensor<1x1x2x3x4xf32> into tensor<1x2x3x4xf32>
  %e2 = tensor.empty() : tensor<1x2x3x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #bias, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%m, %b : tensor<1x2x3x4xf32>, tensor<2x1x1xf32>) outs(%e2 : tensor<1x2x3x4xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %s = arith.addf %a, %bb : f32
    linalg.yield %s : f32
  } -> tensor<1x2x3x4xf32>
  return %r : tensor<1x2x3x4xf32>
}

// -----

// A grouped f16 convolution (groups = 2, 1x4 kernels, pads left 1, right
// 2): f32 accumulation and the conversion back to f16 go into qsl.conv2d,
// which computes the same; each group's output channels keep their filters.
// G2-LABEL: func.func @grouped_f16
// G2: %[[W:.*]] = qsl.constant {{.*}} : tensor<4x1x1x4xf16, #qsl.encoding<quant = <bits = 4, axis = 1, group = 2, scale = f16, zero = i4>>>
// G2-NEXT: %[[Y:.*]] = qsl.conv2d %arg0, %[[W]] {groups = 2 : i64, pads = array<i64: 0, 1, 0, 2>} : tensor<1x2x3x3xf16>, {{.*}} -> tensor<1x4x3x3xf16>
// G2-NEXT: return %[[Y]]
#gx = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d4 + d6, d5 + d7)>
#gw = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
#gy = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
#gid = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @grouped_f16(%arg0: tensor<1x2x3x3xf16>) -> tensor<1x4x3x3xf16> {
  %w = arith.constant dense<[[[[-7.0, -6.0, -5.0, -4.0]]], [[[-3.0, -2.0, -1.0, 0.0]]], [[[1.0, 2.0, 3.0, 4.0]]], [[[5.0, 6.0, 7.0, 8.0]]]]> : tensor<4x1x1x4xf16>
  %zero = arith.constant 0.0 : f16
  %padded = tensor.pad %arg0 low[0, 0, 0, 1] high[0, 0, 0, 2] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %zero : f16
  } : tensor<1x2x3x3xf16> to tensor<1x2x3x6xf16>
  %xg = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [1, 2, 1, 3, 6] : tensor<1x2x3x6xf16> into tensor<1x2x1x3x6xf16>
  %wg = tensor.expand_shape %w [[0, 1], [2], [3], [4]] output_shape [2, 2, 1, 1, 4] : tensor<4x1x1x4xf16> into tensor<2x2x1x1x4xf16>
  %e = tensor.empty() : tensor<1x2x2x3x3xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2x2x3x3xf32>) -> tensor<1x2x2x3x3xf32>
  %c = linalg.generic {indexing_maps = [#gx, #gw, #gy], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%xg, %wg : tensor<1x2x1x3x6xf16>, tensor<2x2x1x1x4xf16>) outs(%f : tensor<1x2x2x3x3xf32>) {
  ^bb0(%a: f16, %bb: f16, %o: f32):
    %a32 = arith.extf %a : f16 to f32
    %b32 = arith.extf %bb : f16 to f32
    %p = arith.mulf %a32, %b32 : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x2x2x3x3xf32>
  %m = tensor.collapse_shape %c [[0], [1, 2], [3], [4]] : tensor<1x2x2x3x3xf32> into tensor<1x4x3x3xf32>
  %e2 = tensor.empty() : tensor<1x4x3x3xf16>
  %r = linalg.generic {indexing_maps = [#gid, #gid], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%m : tensor<1x4x3x3xf32>) outs(%e2 : tensor<1x4x3x3xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<1x4x3x3xf16>
  return %r : tensor<1x4x3x3xf16>
}

// -----

// Not the importer's convolution, so not a weight: a bare grouped
// contraction (no reshapes of input and filter around it) into a non-zero
// accumulator, whose grouped result is also read before the channels are
// merged.
// CHECK-LABEL: func.func @not_a_conv
// CHECK-NOT: qsl.
// CHECK: return
#nx = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d4 + d6, d5 + d7)>
#nw = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
#ny = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
func.func @not_a_conv(%x: tensor<1x1x2x3x3xf32>, %acc: tensor<1x1x2x3x3xf32>) -> (tensor<1x2x3x3xf32>, tensor<1x1x2x3x3xf32>) {
  %w = arith.constant dense<1.0> : tensor<1x2x2x1x1xf32>
  %c = linalg.generic {indexing_maps = [#nx, #nw, #ny], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction", "parallel", "parallel"]}
      ins(%x, %w : tensor<1x1x2x3x3xf32>, tensor<1x2x2x1x1xf32>) outs(%acc : tensor<1x1x2x3x3xf32>) {
  ^bb0(%a: f32, %bb: f32, %o: f32):
    %p = arith.mulf %a, %bb : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x1x2x3x3xf32>
  %m = tensor.collapse_shape %c [[0], [1, 2], [3], [4]] : tensor<1x1x2x3x3xf32> into tensor<1x2x3x3xf32>
  return %m, %c : tensor<1x2x3x3xf32>, tensor<1x1x2x3x3xf32>
}
