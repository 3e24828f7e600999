// Bad codebook options give one clear error each.
// RUN: not qsl-opt %s --qsl-quantize="bits=9 method=squeezellm" 2>&1 | FileCheck %s --check-prefix=BITS
// BITS: error: qsl-quantize: bits must be between 2 and 8, got 9
// RUN: not qsl-opt %s --qsl-quantize="bits=4 method=kmeans group=8" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: error: qsl-quantize: group 8 is smaller than the 16-entry codebook of bits=4
// RUN: not qsl-opt %s --qsl-quantize="bits=3 method=kmeans symmetric=false" 2>&1 | FileCheck %s --check-prefix=SYM
// SYM: error: qsl-quantize: symmetric=... does not apply to method=kmeans: codebook entries are absolute values without scales or zero points
// RUN: not qsl-opt %s --qsl-quantize="bits=3 method=squeezellm range=mse" 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: qsl-quantize: range=... does not apply to method=squeezellm: the table entries are k-means centroids
// RUN: not qsl-opt %s --qsl-quantize="bits=3 method=squeezellm act-order=true" 2>&1 | FileCheck %s --check-prefix=ACT
// ACT: error: qsl-quantize: act-order applies to method=gptq only
// RUN: not qsl-opt %s --qsl-quantize="bits=3 method=squeezellm" 2>&1 | FileCheck %s --check-prefix=CALIB
// CALIB: error: weight 'weight': method=squeezellm needs calibration statistics; compile with qslc --calibrate=INPUTS.npz (or use method=kmeans, its data-free form)
// A group that does not divide K skips the weight with a warning.
// RUN: qsl-opt %s --qsl-quantize="bits=2 method=kmeans group=12" 2>&1 | FileCheck %s --check-prefix=SKIP
// SKIP: warning: {{.*}}group 12 does not divide its reduction dimension K = 16
func.func @matmul(%x: tensor<1x16xf32>) -> tensor<1x2xf32> {
  %w = arith.constant dense<1.0> : tensor<16x2xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x2xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x2xf32>) -> tensor<1x2xf32>
  %y = linalg.matmul ins(%x, %w : tensor<1x16xf32>, tensor<16x2xf32>) outs(%f : tensor<1x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
