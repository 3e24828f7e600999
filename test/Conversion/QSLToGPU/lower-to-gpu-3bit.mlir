// Code widths that do not divide 32 (3, 5, 6, 7 bits): floor(32 / b) codes
// per word, the top bits padding, so every kernel family decodes them with
// one shift and mask. 3 bits: 10 codes per word.
// RUN: qsl-opt %s --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %s --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX

// Row 0 holds the 3-bit patterns 0..7, 0..3 (the signed codes 0, 1, 2, 3,
// -4, ..., -1, 0, 1, 2, 3): word 0 = sum of pattern_i << 3i for i < 10 =
// 150652552 (octal 1076543210), word 1 = 2 + (3 << 3) = 26. Row 1, all 3s:
// 3 (8^10 - 1) / 7 = 460175067 and 27.
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_0 : memref<2x2xi32> = dense<{{\[}}[150652552, 26], [460175067, 27]]>
// CHECK-LABEL: gpu.func @qsl_gemv_0
// CHECK: arith.constant 10 : index
// CHECK: arith.andi %{{.*}}, %c7_i32
// Sign extension of 3-bit codes: shift left by 29, arithmetic right by 29.
// CHECK: arith.shli %{{.*}}, %c29_i32
// CHECK: arith.shrsi %{{.*}}, %c29_i32
// CHECK-LABEL: gpu.func @qsl_gemm_1
// CHECK: nvgpu.mma.sync
// PTX: .entry qsl_gemv_0(
// PTX: .entry qsl_gemm_1(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

#q = #qsl.encoding<quant = <bits = 3, axis = 1, group = 4, scale = f32>>
func.func @int3_gemv(%x: tensor<2x12xf32>) -> tensor<2x2xf32> {
  %w = qsl.constant values(dense<[[0, 1, 2, 3, -4, -3, -2, -1, 0, 1, 2, 3], [3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3]]> : tensor<2x12xi3>)
         scales(dense<1.0> : tensor<2x3xf32>) : tensor<2x12xf32, #q>
  %y = qsl.matmul %x, %w transpose_w : tensor<2x12xf32>, tensor<2x12xf32, #q> -> tensor<2x2xf32>
  return %y : tensor<2x2xf32>
}

#r = #qsl.encoding<quant = <bits = 3, axis = 1, group = 4, scale = f32>>
func.func @int3_gemm(%x: tensor<16x12xf32>) -> tensor<16x2xf32> {
  %w = qsl.constant values(dense<2> : tensor<2x12xi3>)
         scales(dense<1.0> : tensor<2x3xf32>) : tensor<2x12xf32, #r>
  %y = qsl.matmul %x, %w transpose_w : tensor<16x12xf32>, tensor<2x12xf32, #r> -> tensor<16x2xf32>
  return %y : tensor<16x2xf32>
}
