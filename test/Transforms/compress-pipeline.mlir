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
// Presets are steps in any order: pruning runs first, then quantization,
// then the low-rank correction.
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=svd2-w3g64-2:4" > %t.any
// RUN: qsl-opt %s --qsl-prune="pattern=2:4 method=magnitude" --qsl-quantize="bits=3 group=64 method=mse" --qsl-compensate="rank=2 method=svd" > %t.any.ref
// RUN: diff %t.any %t.any.ref
// RUN: FileCheck %s --check-prefix=ANY < %t.any
// RUN: qsl-opt %s --qsl-compress-pipeline="preset=w4-1:4" > %t.pc
// RUN: qsl-opt %s --qsl-prune="pattern=1:4 method=magnitude" --qsl-quantize="bits=4 group=0 method=mse" > %t.pc.ref
// RUN: diff %t.pc %t.pc.ref
//
// Bad presets name the step and say what a step is.
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w9" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: qsl-compress-pipeline: step 'w9' of 'w9': expected w<bits>[g<group>] with 2 <= bits <= 8 (presets are '-'-separated steps w<bits>[g<group>], <N>:<M>, lr|svd|lqer|eora<rank>, or auto-<bits>bit; e.g. w8, w4g128, 2:4, 2:4-w4g128, w4g128-lr32, 2:4-w4g128-lr32)
// RUN: not qsl-opt %s --qsl-compress-pipeline 2>&1 | FileCheck %s --check-prefix=NONE
// NONE: error: qsl-compress-pipeline: the preset is empty
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w4g0" 2>&1 | FileCheck %s --check-prefix=GROUP
// GROUP: step 'w4g0' of 'w4g0': expected a positive group size after 'g'
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=4:2" 2>&1 | FileCheck %s --check-prefix=NM
// NM: step '4:2' of '4:2': expected N:M with 0 < N < M, e.g. 2:4
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w4-lr0" 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: step 'lr0' of 'w4-lr0': expected lr<rank> with rank >= 1
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w4-w8" 2>&1 | FileCheck %s --check-prefix=TWICE
// TWICE: step 'w8' of 'w4-w8': a second quantization step
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=w4--2:4" 2>&1 | FileCheck %s --check-prefix=EMPTY
// EMPTY: empty step in 'w4--2:4'
// RUN: not qsl-opt %s --qsl-compress-pipeline="preset=int4" 2>&1 | FileCheck %s --check-prefix=WHAT
// WHAT: step 'int4' of 'int4': expected w<bits>[g<group>], <N>:<M>, lr<rank>, svd<rank>, lqer<rank> or eora<rank>

// W8-LABEL: func.func @matmul
// W8: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 8, scale = f16>>>
// W4-LABEL: func.func @matmul
// W4: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 4, group = 128, scale = f16, zero = i4>>>
// S24-LABEL: func.func @matmul
// S24: qsl.matmul {{.*}} #qsl.encoding<sparse = <2:4>>>
// BOTH-LABEL: func.func @matmul
// BOTH: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 4, group = 128, scale = f16, zero = i4>, sparse = <2:4>>>
// ANY-LABEL: func.func @matmul
// ANY: qsl.matmul {{.*}} #qsl.encoding<quant = <bits = 3, group = 64, scale = f16, zero = i3>, sparse = <2:4>, lowrank = <rank = 2, type = f16>>>
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
