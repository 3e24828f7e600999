// qsl-compress-pipeline expands each preset to the passes it names: the
// output is the same as running those passes by hand.
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=w8" > %t.w8
// RUN: qsl-opt %s --qsl-quantize="bits=8 group=0 symmetric=true method=rtn" > %t.w8.ref
// RUN: diff %t.w8 %t.w8.ref
// RUN: FileCheck %s --check-prefix=W8 < %t.w8
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=w4g128" > %t.w4
// RUN: qsl-opt %s --qsl-quantize="bits=4 group=128 method=mse" > %t.w4.ref
// RUN: diff %t.w4 %t.w4.ref
// RUN: FileCheck %s --check-prefix=W4 < %t.w4
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=2:4" > %t.s24
// RUN: qsl-opt %s --qsl-prune="pattern=2:4 method=magnitude" > %t.s24.ref
// RUN: diff %t.s24 %t.s24.ref
// RUN: FileCheck %s --check-prefix=S24 < %t.s24
// RUN: qsl-opt %s --pass-pipeline="builtin.module(qsl-compress-pipeline{preset=2:4-w4g128})" > %t.both
// RUN: qsl-opt %s --qsl-prune="pattern=2:4 method=magnitude" --qsl-quantize="bits=4 group=128 method=mse" > %t.both.ref
// RUN: diff %t.both %t.both.ref
// RUN: FileCheck %s --check-prefix=BOTH < %t.both
// Passthrough options reach every step: this weight has 512 elements and,
// not imported from ONNX, is named "weight".
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=2:4-w4g128 min-elements=1000" | FileCheck %s --check-prefix=SKIP
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=w8 exclude=^weight$" | FileCheck %s --check-prefix=SKIP
//
// Unknown presets are an error that lists the valid ones.
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w3" 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: not qsl-opt %s --qsl-compress-pipeline 2>&1 | FileCheck %s --check-prefix=NONE
// BAD: unknown preset 'w3'; valid presets: w8, w4g128, 2:4, 2:4-w4g128, w4g128-lr32, 2:4-w4g128-lr32
// NONE: unknown preset ''; valid presets: w8, w4g128, 2:4, 2:4-w4g128, w4g128-lr32, 2:4-w4g128-lr32

// W8-LABEL: func.func @matmul
// W8: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 8, scale = f16>>>
// W4-LABEL: func.func @matmul
// W4: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 4, group = 128, scale = f16, zero = i4>>>
// S24-LABEL: func.func @matmul
// S24: qsl.matmul {{.*}} #qsl.encoding<sparse = <2:4>>>
// BOTH-LABEL: func.func @matmul
// BOTH: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 4, group = 128, scale = f16, zero = i4>, sparse = <2:4>>>
// SKIP-LABEL: func.func @matmul
// SKIP-NOT: qsl.
// SKIP: linalg.matmul
// SKIP-NOT: qsl.
func.func @matmul(%x: tensor<2x128xf32>) -> tensor<2x4xf32> {
  %w = arith.constant dense<[[-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50], [1.00, 1.75, -1.75, -1.00], [-1.50, -0.75, 0.00, 0.75], [0.25, 1.00, 1.75, -1.75], [2.00, -1.50, -0.75, 0.00], [-0.50, 0.25, 1.00, 1.75], [1.25, 2.00, -1.50, -0.75], [-1.25, -0.50, 0.25, 1.00], [0.50, 1.25, 2.00, -1.50], [-2.00, -1.25, -0.50, 0.25], [-0.25, 0.50, 1.25, 2.00], [1.50, -2.00, -1.25, -0.50], [-1.00, -0.25, 0.50, 1.25], [0.75, 1.50, -2.00, -1.25], [-1.75, -1.00, -0.25, 0.50], [0.00, 0.75, 1.50, -2.00], [1.75, -1.75, -1.00, -0.25], [-0.75, 0.00, 0.75, 1.50]]> : tensor<128x4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = linalg.matmul ins(%x, %w : tensor<2x128xf32>, tensor<128x4xf32>) outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
