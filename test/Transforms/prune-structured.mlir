// RUN: qsl-opt %s -split-input-file --qsl-prune-structured="ratio=0.5 method=magnitude multiple-of=1" -verify-diagnostics | FileCheck %s

// Magnitude scores ||W2[:, j]|| * ||W1[j, :]|| by hand (W1 [K=2, H=4] as
// stored, W2 [H=4, N=2]): channel 0: 1 * 1, 1: 3 * 2, 2: 0.5 * 4, 3: 4 * 0.1.
// Channels 1 and 2 stay: fc1 keeps columns 1, 2, the bias elements 1, 2,
// fc2 rows 1, 2; every tensor in between is 4 -> 2 wide. No calibration,
// so no compensation (a warning says so).
// CHECK-LABEL: func.func @mlp
// CHECK: %[[W1:.*]] = arith.constant {qsl.weight = "weight"} dense<{{\[}}[2.000000e+00, 0.000000e+00], [0.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: %[[H:.*]] = linalg.matmul ins(%{{.*}}, %[[W1]] : {{.*}}) {{.*}} -> tensor<3x2xf32>
// CHECK: %[[B1:.*]] = arith.constant dense<[2.000000e+01, 3.000000e+01]> : tensor<2xf32>
// CHECK: %[[HB:.*]] = linalg.generic {{.*}} ins(%[[H]], %[[B1]] : tensor<3x2xf32>, tensor<2xf32>)
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[HB]] : tensor<3x2xf32>)
// CHECK: %[[W2:.*]] = arith.constant {qsl.weight = "weight"} dense<{{\[}}[3.000000e+00, 0.000000e+00], [0.000000e+00, 5.000000e-01]]> : tensor<2x2xf32>
// CHECK: linalg.matmul ins(%[[R]], %[[W2]] : tensor<3x2xf32>, tensor<2x2xf32>) {{.*}} -> tensor<3x2xf32>
// CHECK-NOT: tensor<3x4xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#ch = affine_map<(d0, d1) -> (d1)>
func.func @mlp(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w1 = arith.constant dense<[[1.0, 2.0, 0.0, 0.1], [0.0, 0.0, 4.0, 0.0]]> : tensor<2x4xf32>
  %b1 = arith.constant dense<[10.0, 20.0, 30.0, 40.0]> : tensor<4xf32>
  %w2 = arith.constant dense<[[1.0, 0.0], [3.0, 0.0], [0.0, 0.5], [0.0, 4.0]]> : tensor<4x2xf32>
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<3x4xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<3x2xf32>, tensor<2x4xf32>) outs(%f1 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %e2 = tensor.empty() : tensor<3x4xf32>
  %hb = linalg.generic {indexing_maps = [#id, #ch, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h, %b1 : tensor<3x4xf32>, tensor<4xf32>) outs(%e2 : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  %e3 = tensor.empty() : tensor<3x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%hb : tensor<3x4xf32>) outs(%e3 : tensor<3x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.maximumf %a, %z : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  %e4 = tensor.empty() : tensor<3x2xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<3x2xf32>) -> tensor<3x2xf32>
  // expected-warning @+1 {{weight 'weight': no calibration statistics, so the removed channels are not compensated}}
  %y = linalg.matmul ins(%r, %w2 : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f4 : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}

// -----

// The hidden activation is also returned, so its width cannot change.
// CHECK-LABEL: func.func @escapes
// CHECK: tensor<3x4xf32>
// expected-warning @+1 {{qsl-prune-structured: found no channel group to prune}}
module {
func.func @escapes(%x: tensor<3x2xf32>) -> (tensor<3x2xf32>, tensor<3x4xf32>) {
  %w1 = arith.constant dense<[[1.0, 2.0, 0.0, 0.1], [0.0, 0.0, 4.0, 0.0]]> : tensor<2x4xf32>
  %w2 = arith.constant dense<[[1.0, 0.0], [3.0, 0.0], [0.0, 0.5], [0.0, 4.0]]> : tensor<4x2xf32>
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<3x4xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %h = linalg.matmul ins(%x, %w1 : tensor<3x2xf32>, tensor<2x4xf32>) outs(%f1 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %e4 = tensor.empty() : tensor<3x2xf32>
  %f4 = linalg.fill ins(%z : f32) outs(%e4 : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%h, %w2 : tensor<3x4xf32>, tensor<4x2xf32>) outs(%f4 : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y, %h : tensor<3x2xf32>, tensor<3x4xf32>
}
}
