// RUN: qsl-opt %s -split-input-file --qsl-prune-structured="target=heads ratio=0.5 method=magnitude" -verify-diagnostics | FileCheck %s

// Two heads of dimension 1 over two tokens, split with expand_shape and
// merged with collapse_shape. Magnitude scores by hand (canonical rows of
// Wq, Wk, Wv are the stored columns; Wo's input column h is its stored
// row h):
//   head 0: ||Wo[0, :]|| * sqrt(1 + 1 + 4)    = sqrt(2) * sqrt(6) ~ 3.46
//   head 1: ||Wo[1, :]|| * sqrt(1 + 1 + 0.01) = 3 * sqrt(2.01)    ~ 4.25
// Head 1 stays: every projection keeps its column 1, Wo its row 1, and
// every tensor between them has one head.
// CHECK-LABEL: func.func @attention
// CHECK: %[[WQ:.*]] = arith.constant {qsl.weight = "weight"} dense<{{\[}}[0.000000e+00], [1.000000e+00]]> : tensor<2x1xf32>
// CHECK: %[[Q:.*]] = linalg.matmul ins(%{{.*}}, %[[WQ]] : {{.*}}) {{.*}} -> tensor<2x1xf32>
// CHECK: %[[WV:.*]] = arith.constant {qsl.weight = "weight"} dense<{{\[}}[0.000000e+00], [1.000000e-01]]> : tensor<2x1xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[WV]] : {{.*}}) {{.*}} -> tensor<2x1xf32>
// CHECK: tensor.expand_shape %[[Q]] {{\[}}[0], [1, 2]] output_shape [2, 1, 1] : tensor<2x1xf32> into tensor<2x1x1xf32>
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x2xf32>)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x1xf32>)
// CHECK: %[[CTX:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<2x1x1xf32> into tensor<2x1xf32>
// CHECK: %[[WO:.*]] = arith.constant {qsl.weight = "weight"} dense<{{\[}}[3.000000e+00, 0.000000e+00]]> : tensor<1x2xf32>
// CHECK: linalg.matmul ins(%[[CTX]], %[[WO]] : tensor<2x1xf32>, tensor<1x2xf32>) {{.*}} -> tensor<2x2xf32>
// CHECK-NOT: tensor<2x2x1xf32>
#q = affine_map<(h, s, t, d) -> (h, s, d)>
#k = affine_map<(h, s, t, d) -> (h, t, d)>
#s = affine_map<(h, s, t, d) -> (h, s, t)>
#p = affine_map<(h, s, d, t) -> (h, s, t)>
#v = affine_map<(h, s, d, t) -> (h, t, d)>
#c = affine_map<(h, s, d, t) -> (h, s, d)>
func.func @attention(%x: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %wq = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wk = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wv = arith.constant dense<[[2.0, 0.0], [0.0, 0.1]]> : tensor<2x2xf32>
  %wo = arith.constant dense<[[1.0, 1.0], [3.0, 0.0]]> : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %k = linalg.matmul ins(%x, %wk : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %v = linalg.matmul ins(%x, %wv : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [2, 2, 1] : tensor<2x2xf32> into tensor<2x2x1xf32>
  %k3 = tensor.expand_shape %k [[0], [1, 2]] output_shape [2, 2, 1] : tensor<2x2xf32> into tensor<2x2x1xf32>
  %v3 = tensor.expand_shape %v [[0], [1, 2]] output_shape [2, 2, 1] : tensor<2x2xf32> into tensor<2x2x1xf32>
  %eq = tensor.empty() : tensor<2x2x1xf32>
  %qt = linalg.transpose ins(%q3 : tensor<2x2x1xf32>) outs(%eq : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %ek = tensor.empty() : tensor<2x2x1xf32>
  %kt = linalg.transpose ins(%k3 : tensor<2x2x1xf32>) outs(%ek : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %ev = tensor.empty() : tensor<2x2x1xf32>
  %vt = linalg.transpose ins(%v3 : tensor<2x2x1xf32>) outs(%ev : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %es = tensor.empty() : tensor<2x2x2xf32>
  %fs = linalg.fill ins(%z : f32) outs(%es : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%qt, %kt : tensor<2x2x1xf32>, tensor<2x2x1xf32>) outs(%fs : tensor<2x2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2xf32>
  %ec = tensor.empty() : tensor<2x2x1xf32>
  %fc = linalg.fill ins(%z : f32) outs(%ec : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %ctx = linalg.generic {indexing_maps = [#p, #v, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%scores, %vt : tensor<2x2x2xf32>, tensor<2x2x1xf32>) outs(%fc : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %eb = tensor.empty() : tensor<2x2x1xf32>
  %back = linalg.transpose ins(%ctx : tensor<2x2x1xf32>) outs(%eb : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %back [[0], [1, 2]] : tensor<2x2x1xf32> into tensor<2x2xf32>
  // expected-warning @+1 {{weight 'weight': no calibration statistics, so the removed heads are not compensated}}
  %y = linalg.matmul ins(%merged, %wo : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

// -----

// The scores are also returned, so the heads cannot change.
// CHECK-LABEL: func.func @escapes
// CHECK: tensor<2x2x1xf32>
#q = affine_map<(h, s, t, d) -> (h, s, d)>
#k = affine_map<(h, s, t, d) -> (h, t, d)>
#s = affine_map<(h, s, t, d) -> (h, s, t)>
#p = affine_map<(h, s, d, t) -> (h, s, t)>
#v = affine_map<(h, s, d, t) -> (h, t, d)>
#c = affine_map<(h, s, d, t) -> (h, s, d)>
// expected-warning @+1 {{qsl-prune-structured: found no attention block to prune}}
module {
func.func @escapes(%x: tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<2x2x2xf32>) {
  %wq = arith.constant dense<[[1.0, 0.0], [0.0, 1.0]]> : tensor<2x2xf32>
  %wo = arith.constant dense<[[1.0, 1.0], [3.0, 0.0]]> : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q = linalg.matmul ins(%x, %wq : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  %q3 = tensor.expand_shape %q [[0], [1, 2]] output_shape [2, 2, 1] : tensor<2x2xf32> into tensor<2x2x1xf32>
  %eq = tensor.empty() : tensor<2x2x1xf32>
  %qt = linalg.transpose ins(%q3 : tensor<2x2x1xf32>) outs(%eq : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %es = tensor.empty() : tensor<2x2x2xf32>
  %fs = linalg.fill ins(%z : f32) outs(%es : tensor<2x2x2xf32>) -> tensor<2x2x2xf32>
  %scores = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%qt, %qt : tensor<2x2x1xf32>, tensor<2x2x1xf32>) outs(%fs : tensor<2x2x2xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x2xf32>
  %ec = tensor.empty() : tensor<2x2x1xf32>
  %fc = linalg.fill ins(%z : f32) outs(%ec : tensor<2x2x1xf32>) -> tensor<2x2x1xf32>
  %ctx = linalg.generic {indexing_maps = [#p, #v, #c], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%scores, %qt : tensor<2x2x2xf32>, tensor<2x2x1xf32>) outs(%fc : tensor<2x2x1xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %o, %m : f32
    linalg.yield %r : f32
  } -> tensor<2x2x1xf32>
  %eb = tensor.empty() : tensor<2x2x1xf32>
  %back = linalg.transpose ins(%ctx : tensor<2x2x1xf32>) outs(%eb : tensor<2x2x1xf32>) permutation = [1, 0, 2]
  %merged = tensor.collapse_shape %back [[0], [1, 2]] : tensor<2x2x1xf32> into tensor<2x2xf32>
  %y = linalg.matmul ins(%merged, %wo : tensor<2x2xf32>, tensor<2x2xf32>) outs(%f : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %y, %scores : tensor<2x2xf32>, tensor<2x2x2xf32>
}
}
