// RUN: qsl-opt %s --qsl-quantize="bits=3 group=0 method=awq" | FileCheck %s
// RUN: qsl-opt %s --qsl-quantize="bits=3 group=0 method=awq" --qsl-lower-to-linalg | FileCheck %s --check-prefix=LOWER

#x = affine_map<(m, n, k) -> (m, k)>
#w = affine_map<(m, n, k) -> (n, k)>
#y = affine_map<(m, n, k) -> (m, n)>

// AWQ: two weights read the same activation, whose feature 0 is 10x larger
// (calibrated Gram diag(100, 1, 1, 1)); they get one shared set of smooth
// multipliers. Scales are normalised by sqrt(max * min), so with the other
// three features equal, feature 0's multiplier is below 1 (finer steps for
// its weights) and the rest are above 1; a search that fell back to
// RTN would give all ones.
// CHECK-LABEL: func.func @awq_shared
// CHECK: qsl.constant {{.*}} smooth(dense<[[M:\[[0-9.]+e-01, ([1-9]\.[0-9]+e\+00, ){2}[1-9]\.[0-9]+e\+00\]]]> : tensor<4xf16>)
// CHECK-SAME: qsl.method = "awq w3 per-channel asym, alpha {{.*}}, 2 weights share the scales"
// CHECK-SAME: #qsl.encoding<quant = <bits = 3, scale = f16, zero = i3>, smooth = <type = f16>>
// CHECK: qsl.constant {{.*}} smooth(dense<[[M]]> : tensor<4xf16>)
// The Gemm-style (transposed) weight's multipliers run along its axis 1.
// CHECK: qsl.constant {{.*}} #qsl.encoding<quant = <bits = 3, axis = 1, scale = f16, zero = i3>, smooth = <axis = 1, type = f16>>

// The lowering multiplies every dequantized element by its channel's
// multiplier (numerics: test/Integration/numpy-reference.py).
// LOWER-LABEL: func.func @awq_shared
// LOWER: %[[SM:.*]] = arith.constant dense<{{.*}}> : tensor<4xf16>
// LOWER: linalg.generic
// LOWER: tensor.extract %[[SM]]
// LOWER: arith.mulf
// LOWER-NOT: qsl.
func.func @awq_shared(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 2.0], [3.0, -0.2, 0.0, 4.0], [0.0, 0.0, 0.0, 6.0]]> : tensor<4x4xf32>
  %v = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [-1.0, 0.5, 0.25, 2.0], [3.0, -2.0, 1.0, 4.0], [0.5, 0.0, -1.0, 6.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul {qsl.calibration = {gram = dense<[[100.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf64>, sum = dense<0.0> : tensor<4xf64>, tokens = 4 : i64}} ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y2 = linalg.matmul {qsl.calibration = {gram = dense<[[100.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf64>, sum = dense<0.0> : tensor<4xf64>, tokens = 4 : i64}} ins(%x, %v : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y3 = linalg.generic {indexing_maps = [#x, #w, #y], iterator_types = ["parallel", "parallel", "reduction"], qsl.calibration = {gram = dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 100.0]]> : tensor<4x4xf64>, sum = dense<0.0> : tensor<4xf64>, tokens = 4 : i64}}
      ins(%y2, %v : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<2x4xf32>
  return %y, %y2, %y3 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
