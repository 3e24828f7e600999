// RUN: qsl-opt %s --qsl-outliers="bits=4 group=0 symmetric=true max-fraction=0.0625 data-free=true" | FileCheck %s
// RUN: qsl-opt %s --qsl-outliers="bits=4 group=0 symmetric=true max-fraction=0.0625 data-free=true threshold=inf" | FileCheck %s --check-prefix=NONE
// RUN: qsl-opt %s --qsl-outliers="bits=4 group=2 max-fraction=0.0625 data-free=true outlier-type=bf16" | FileCheck %s --check-prefix=ASYM
// RUN: qsl-opt %s --qsl-outliers="bits=4 group=0 symmetric=true max-fraction=0.0625 data-free=true include=nomatch" | FileCheck %s --check-prefix=SKIP

// Data-free (H = I, no error propagation), per-channel symmetric 4-bit,
// worked by hand. Columns 0-2 of the [K, N] weight quantize exactly
// (scales 1, 0.2, 1); column 3 (-14, 1, 2, 3) has scale 2 and errors
// (0, 1, 0, 1). Without -14 the scale is 3/7, 1 and 2 are off by 1/7, so
// -14 (linear index 3) is the one outlier (max-fraction 1/16): its code is
// that of 0 and its residual is its whole value; 1, 2, 3 get codes 2, 5, 7.
// CHECK-LABEL: func.func @matmul
// CHECK: %[[W:.*]] = qsl.constant values(dense<{{\[}}[7, 7, 0, 0], [-7, 3, 0, 2], [3, -1, 0, 5], [0, 0, 0, 7]]> : tensor<4x4xi4>)
// CHECK-SAME: scales(dense<{{\[}}[1.000000e+00, 1.999510e-01, 1.000000e+00, 4.284670e-01]]> : tensor<1x4xf16>)
// CHECK-SAME: outlier_indices(dense<3> : tensor<1xi32>) outlier_values(dense<-1.400000e+01> : tensor<1xf16>)
// CHECK-SAME: qsl.method = "spqr w4 per-channel sym, outliers <= 6.25% f16, data-free (1 kept)"
// CHECK-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, outliers = <count = 1, type = f16>>>
// CHECK: qsl.matmul %{{.*}}, %[[W]] : tensor<2x4xf32>, tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, outliers = <count = 1, type = f16>>> -> tensor<2x4xf32>

// threshold=inf: plain GPTQ (here RTN), no outlier facet.
// NONE: qsl.constant values(dense<{{\[}}[7, 7, 0, -7], [-7, 3, 0, 0], [3, -1, 0, 1], [0, 0, 0, 2]]> : tensor<4x4xi4>)
// NONE-SAME: qsl.method = "spqr w4 per-channel sym, outliers <= 6.25% f16, data-free (0 kept)"
// NONE-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>

// Groups of 2, asymmetric, bf16 outliers.
// ASYM: qsl.constant
// ASYM-SAME: outlier_values(dense<{{.*}}> : tensor<1xbf16>)
// ASYM-SAME: : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, group = 2, scale = f16, zero = i4>, outliers = <count = 1, type = bf16>>>

// SKIP-NOT: qsl.constant
// SKIP: linalg.matmul
func.func @matmul(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[7.0, 1.4, 0.0, -14.0], [-7.0, 0.6, 0.0, 1.0], [3.0, -0.2, 0.0, 2.0], [0.0, 0.0, 0.0, 3.0]]> : tensor<4x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x4xf32>, tensor<4x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
