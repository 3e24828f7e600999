// Convolution weights the passes cannot compress as asked: one clear
// diagnostic naming the weight and the reason, never a silent change.
//
// Data-aware methods need statistics: a plain conv without them is an error.
// RUN: not qsl-opt %s --qsl-quantize="group=0 method=gptq" 2>&1 | FileCheck %s --check-prefix=NOSTATS
// NOSTATS: error: {{.*}}weight 'w1': method=gptq needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=rtn)
// RUN: not qsl-opt %s --qsl-prune="method=sparsegpt" 2>&1 | FileCheck %s --check-prefix=PNOSTATS
// PNOSTATS: error: {{.*}}weight 'w1': method=sparsegpt needs calibration statistics
//
// A grouped convolution never gets statistics (each group reads other input
// channels): data-aware methods leave it dense with a warning, data-free
// methods compress it.
// RUN: not qsl-opt %s --qsl-quantize="group=2 method=awq" 2>&1 | FileCheck %s --check-prefix=GROUPED
// GROUPED: warning: {{.*}}weight 'wg' left as it is: method=awq needs calibration statistics, which are not collected for grouped convolutions (groups = 2: each group reads other input channels); data-free methods (rtn, mse, magnitude) compress it
// RUN: qsl-opt %s --qsl-prune="method=wanda include=wg" 2>&1 | FileCheck %s --check-prefix=PGROUPED
// PGROUPED: warning: {{.*}}weight 'wg' left as it is: method=wanda needs calibration statistics, which are not collected for grouped convolutions (groups = 2
// PGROUPED-NOT: qsl.conv2d
// RUN: qsl-opt %s --qsl-prune="method=magnitude include=wg" 2>&1 | FileCheck %s --check-prefix=PMAG
// PMAG: qsl.conv2d %arg0, %{{.*}} {groups = 2 : i64
//
// Group sizes and N:M runs run along K = C/groups*kh*kw; a weight whose K
// they do not divide stays dense.
// RUN: qsl-opt %s --qsl-quantize="group=3" 2>&1 | FileCheck %s --check-prefix=DIVIDE
// DIVIDE: warning: {{.*}}weight 'w1' left as it is: group 3 does not divide its reduction dimension K = 8 (C/groups*kh*kw of the convolution filter)
// DIVIDE: warning: {{.*}}weight 'wg' left as it is: group 3 does not divide its reduction dimension K = 4 (C/groups*kh*kw of the convolution filter)
// DIVIDE-NOT: qsl.conv2d
// RUN: qsl-opt %s --qsl-prune="pattern=4:8" 2>&1 | FileCheck %s --check-prefix=NM
// NM: warning: {{.*}}weight 'wg' left as it is: N:M pattern 4:8 needs the column count (4) to be a multiple of M
#x = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d6 * 2 + d4, d7 + d5 * 2)>
#w = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
#y = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @conv(%arg0: tensor<1x2x5x5xf32>) -> tensor<1x2x3x4xf32> {
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
  } -> tensor<1x1x2x3x4xf32> loc(fused<"Conv">["w1"])
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


#gx = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d3, d4 + d6, d5 + d7)>
#gw = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d1, d2, d3, d4, d5)>
#gy = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d6, d7)>
#gid = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @grouped(%arg0: tensor<1x2x3x3xf16>) -> tensor<1x4x3x3xf16> {
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
  } -> tensor<1x2x2x3x3xf32> loc(fused<"Conv">["wg"])
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

