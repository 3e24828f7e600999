// RUN: qsl-opt %s -split-input-file --qsl-factorize="rank=1 type=f16" | FileCheck %s
// RUN: qsl-opt %s -split-input-file --qsl-quantize="bits=2 group=0 symmetric=true" --qsl-compensate="rank=1 method=svd type=f32" | FileCheck %s --check-prefix=COMP

// W = [[1, 2], [2, 4]] (stored [K, N]) is 5 · u uᵀ with u = [1, 2]/√5; the
// singular value is split evenly, so both factors are ±[1, 2] (the sign of
// an SVD is arbitrary, but the same on both). In f16 the factors take
// 64 bits against the dense 128.
// CHECK-LABEL: func.func @rank_one
// CHECK: qsl.constant u(dense<{{\[}}[[[S:-?]]1.000000e+00], [[[S]]2.000000e+00]]> : tensor<2x1xf16>) v(dense<{{\[}}[[[S]]1.000000e+00, [[S]]2.000000e+00]]> : tensor<1x2xf16>)
// CHECK-SAME: qsl.method = "svd r1"
// CHECK-SAME: tensor<2x2xf32, #qsl.encoding<lowrank = <rank = 1, type = f16>>>
// CHECK: qsl.matmul
//
// Compensation of a symmetric 2-bit per-channel quantization (codes in
// [-2, 1], scale max|w| / 2 per output column of the stored [K, N]
// weight): column [1, 2] gets scale 2 and codes [0, 1], column [2, 4] scale
// 4 and codes [0, 1], so Ŵ = [[0, 0], [2, 4]] and E = [[1, 2], [0, 0]] =
// √5 · [1, 0] ⊗ [1, 2]/√5. With the singular value split evenly:
// U = ±5^(1/4) [1, 0] = ±[1.4953, 0], V = ±5^(-1/4) [1, 2] = ±[0.6687, 1.3375].
// COMP-LABEL: func.func @rank_one
// COMP: qsl.constant values(dense<{{\[}}[0, 0], [1, 1]]> : tensor<2x2xi2>) scales(dense<{{\[}}[2.000000e+00, 4.000000e+00]]> : tensor<1x2xf16>)
// COMP-SAME: u(dense<{{\[}}[[[S:-?]]1.4953{{[0-9]*}}], [0.000000e+00]]> : tensor<2x1xf32>) v(dense<{{\[}}[[[S]]0.66874{{[0-9]*}}, [[S]]1.33748{{[0-9]*}}]]> : tensor<1x2xf32>)
// COMP-SAME: qsl.method = "rtn w2 per-channel sym + svd r1"
// COMP-SAME: #qsl.encoding<quant = <bits = 2, scale = f16>, lowrank = <rank = 1, type = f32>>
func.func @rank_one(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = arith.constant dense<[[1.0, 2.0], [2.0, 4.0]]> : tensor<2x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3x2xf32>) -> tensor<3x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<3x2xf32>, tensor<2x2xf32>) outs(%f : tensor<3x2xf32>) -> tensor<3x2xf32>
  return %y : tensor<3x2xf32>
}
