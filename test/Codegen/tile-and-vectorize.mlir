// RUN: qsl-opt %s --split-input-file --qsl-cpu-tile-and-vectorize | FileCheck %s
// RUN: qsl-opt %s --split-input-file --qsl-cpu-tile-and-vectorize="tile-m=2 tile-n=8" | FileCheck %s --check-prefix=SMALL
// RUN: not qsl-opt %s --split-input-file --qsl-cpu-tile-and-vectorize="tile-m=0" 2>&1 | FileCheck %s --check-prefix=BAD

// A batched MatMul [1,10,24] x [24,40] as the importer writes it. M = 10
// and N = 40 do not divide by 4 and 16: the N loop runs two full tiles and
// one 8-wide remainder, the M loop two full tiles and one 2-row remainder;
// all of them are static after peeling and become vector.contract with the
// accumulator carried in registers through the K loop.

#a = affine_map<(b, m, k, n) -> (b, m, k)>
#w = affine_map<(b, m, k, n) -> (k, n)>
#o = affine_map<(b, m, k, n) -> (b, m, n)>
// CHECK-LABEL: func.func @matmul
// BAD: error: qsl-cpu-tile-and-vectorize: tile-m and tile-n must be positive (got 0, 16)
func.func @matmul(%x: tensor<1x10x24xf32>, %w: tensor<24x40xf32>) -> tensor<1x10x40xf32> {
  %e = tensor.empty() : tensor<1x10x40xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<1x10x40xf32>) -> tensor<1x10x40xf32>
  // CHECK: scf.for %[[N:.*]] = %{{.*}} to %c32 step %c16
  // CHECK:   scf.for %[[M:.*]] = %{{.*}} to %c8 step %c4
  // CHECK:     %[[ACC:.*]] = vector.transfer_read {{.*}} vector<4x16xf32>
  // CHECK:     scf.for {{.*}} to %c24 step %c1 iter_args({{.*}}, %[[A:.*]] = %[[ACC]]) -> ({{.*}}vector<4x16xf32>)
  // CHECK:       vector.contract {{.*}} : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
  // CHECK:     vector.transfer_write {{.*}} : vector<4x16xf32>
  // CHECK:   vector.contract {{.*}} : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
  // CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<1x8xf32> into vector<4x8xf32>
  // CHECK: vector.contract {{.*}} : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
  // CHECK-NOT: linalg.generic
  // SMALL: vector.contract {{.*}} : vector<2x1xf32>, vector<1x8xf32> into vector<2x8xf32>
  %r = linalg.generic {indexing_maps = [#a, #w, #o], iterator_types = ["parallel", "parallel", "reduction", "parallel"]} ins(%x, %w : tensor<1x10x24xf32>, tensor<24x40xf32>) outs(%f : tensor<1x10x40xf32>) {
  ^bb0(%i: f32, %j: f32, %acc: f32):
    %p = arith.mulf %i, %j : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<1x10x40xf32>
  return %r : tensor<1x10x40xf32>
}

// -----

// Attention scores Q·Kᵀ (reduction innermost, K transposed) with f16
// operands accumulated in f32: the operand tiles are extended to f32 in
// registers, so the contraction the outer-product lowering sees is f32.
#q = affine_map<(b, h, m, n, k) -> (b, h, m, k)>
#k = affine_map<(b, h, m, n, k) -> (b, h, n, k)>
#s = affine_map<(b, h, m, n, k) -> (b, h, m, n)>
// CHECK-LABEL: func.func @scores
func.func @scores(%q: tensor<1x2x8x16xf16>, %k: tensor<1x2x32x16xf16>, %init: tensor<1x2x8x32xf32>) -> tensor<1x2x8x32xf32> {
  // CHECK-DAG: arith.extf %{{.*}} : vector<4x1xf16> to vector<4x1xf32>
  // CHECK-DAG: arith.extf %{{.*}} : vector<16x1xf16> to vector<16x1xf32>
  // CHECK: vector.contract {{.*}} : vector<4x1xf32>, vector<16x1xf32> into vector<4x16xf32>
  // CHECK-NOT: linalg.generic
  %r = linalg.generic {indexing_maps = [#q, #k, #s], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%q, %k : tensor<1x2x8x16xf16>, tensor<1x2x32x16xf16>) outs(%init : tensor<1x2x8x32xf32>) {
  ^bb0(%a: f16, %b: f16, %acc: f32):
    %a32 = arith.extf %a : f16 to f32
    %b32 = arith.extf %b : f16 to f32
    %p = arith.mulf %a32, %b32 : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<1x2x8x32xf32>
  return %r : tensor<1x2x8x32xf32>
}

// -----

// Elementwise ops become rows of 16-lane vectors. A transpose (its input
// is not contiguous along the innermost loop) and booleans (bit-packed as
// vectors, one byte each in memory) stay scalar.
#id = affine_map<(m, n) -> (m, n)>
#tr = affine_map<(m, n) -> (n, m)>
// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%x: tensor<8x16xf32>, %b: tensor<8x16xi1>) -> (tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xi1>) {
  // CHECK: scf.for
  // CHECK:   vector.transfer_read {{.*}} vector<16xf32>
  // CHECK:   arith.mulf {{.*}} : vector<16xf32>
  // CHECK-COUNT-2: linalg.generic
  // CHECK-NOT: vector.
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x16xf32>) outs(%x : tensor<8x16xf32>) {
  ^bb0(%i: f32, %o: f32):
    %m = arith.mulf %i, %i : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  %t0 = tensor.empty() : tensor<16x8xf32>
  %t = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<8x16xf32>) outs(%t0 : tensor<16x8xf32>) {
  ^bb0(%i: f32, %o: f32):
    linalg.yield %i : f32
  } -> tensor<16x8xf32>
  %n = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<8x16xi1>) outs(%b : tensor<8x16xi1>) {
  ^bb0(%i: i1, %o: i1):
    %true = arith.constant true
    %x1 = arith.xori %i, %true : i1
    linalg.yield %x1 : i1
  } -> tensor<8x16xi1>
  return %e, %t, %n : tensor<8x16xf32>, tensor<16x8xf32>, tensor<8x16xi1>
}

// -----

// Row reductions (softmax, layer norm) keep the whole row in one vector.
#in = affine_map<(m, n) -> (m, n)>
#out = affine_map<(m, n) -> (m)>
// CHECK-LABEL: func.func @row_sum
func.func @row_sum(%x: tensor<4x384xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: vector.multi_reduction <add>, {{.*}} : vector<1x384xf32> to vector<1xf32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x384xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%i: f32, %o: f32):
    %s = arith.addf %o, %i : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
