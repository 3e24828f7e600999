// The GEMV's lanes load their kGemvWordsInFlight (4) code words, 32 words
// apart, back to back before decoding any: four independent 128-byte warp
// loads in flight per round, held in registers (no local memory). K = 2048 int4 is 256 words per row, two whole
// rounds, so no guard.
// (mma-gemv=false: the CUDA-core GEMV rather than the packed tensor-core
// GEMM this weight would take by default.)
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=isa device-weights=false mma-gemv=false" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s

#q = #qsl.encoding<quant = <bits = 4, axis = 1, group = 128, scale = f32, zero = i8>>
func.func @gemv(%x: tensor<1x2048xf32>) -> tensor<1x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x2048xi4>) scales(dense<1.0> : tensor<4x16xf32>) zeros(dense<1> : tensor<4x16xi8>) : tensor<4x2048xf32, #q>
  %y = qsl.matmul %x, %w transpose_w : tensor<1x2048xf32>, tensor<4x2048xf32, #q> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// CHECK-LABEL: .entry qsl_gemv_0(
// CHECK-NOT: .local
// CHECK: ld.global.b32 {{.*}}[[ADDR:%rd[0-9]+]]+-256];
// CHECK-NEXT: ld.global.b32 {{.*}}[[ADDR]]+-128];
// CHECK-NEXT: ld.global.b32 {{.*}}[[ADDR]]];
// CHECK-NEXT: ld.global.b32 {{.*}}[[ADDR]]+128];
// CHECK-NOT: ld.local
// CHECK: bfe.u32
