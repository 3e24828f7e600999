// The kernels' own gathers (mma-a-stages=0; staged convolutions are
// checked in lower-to-gpu-staged.mlir).
// RUN: qsl-opt %s --qsl-lower-to-gpu="mma-a-stages=0" -split-input-file | FileCheck %s
// qsl.conv2d on an encoded filter becomes an implicit GEMM on the
// tensor-core kernels: rows are output pixels (image, oh, ow), the
// reduction runs over the filter's matrix view [O, C*kh*kw], activations
// are read from the NCHW image where im2col would put them (zero in the
// padding) and results are stored as [images, O, OH*OW], then expanded to
// NCHW on the host. No patch matrix exists anywhere.

// int4, stride 2, padding 1 on every side: M = 2*5*5 = 50 rows, K = 27,
// N = 8; the ONNX bias (a [8, 1, 1] reshape broadcast along the channels)
// is fused into the kernel's stores.
// CHECK-LABEL: func.func @conv_bias(
// CHECK: gpu.alloc () {{.*}} : memref<2x3x9x9xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0 {{.*}} args(%{{.*}} : memref<2x3x9x9xf32>, %{{.*}} : memref<2x8x25xf32>)
// CHECK: memref.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [2, 8, 5, 5] : memref<2x8x25xf32> into memref<2x8x5x5xf32>
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK: memref.global @qsl_gpu_bias_0 : memref<8xf32, #gpu.address_space<global>> = dense<[1.000000e+00, 2.000000e+00
// CHECK: gpu.func @qsl_gemm_0(%{{.*}}: memref<2x3x9x9xf32>, %{{.*}}: memref<2x8x25xf32>)
// Each A-fragment value: row -> (image, oh, ow), k -> (c, i, j), the pixel
// (2 oh + i - 1, 2 ow + j - 1) checked against the image on all sides.
// CHECK: scf.for
// CHECK: arith.subi %{{.*}}, %[[ONE:.*]] : index
// CHECK: arith.cmpi sge
// CHECK: arith.cmpi slt
// CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<2x3x9x9xf32>
// CHECK-COUNT-4: nvgpu.mma.sync
// Stores at [row / 25, channel, row % 25], after the bias.
// CHECK: scf.yield
// CHECK: memref.load %{{.*}}[%{{.*}}] : memref<8xf32>
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : memref<2x8x25xf32>
#q = #qsl.encoding<quant = <bits = 4, axis = 1, group = 9, scale = f32, zero = i8>>
func.func @conv_bias(%x: tensor<2x3x9x9xf32>) -> tensor<2x8x5x5xf32> {
  %w = qsl.constant values(dense<3> : tensor<8x27xi4>) scales(dense<0.5> : tensor<8x3xf32>) zeros(dense<8> : tensor<8x3xi8>) : tensor<8x3x3x3xf32, #q>
  %y = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : tensor<2x3x9x9xf32>, tensor<8x3x3x3xf32, #q> -> tensor<2x8x5x5xf32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]> : tensor<8xf32>
  %s = arith.constant dense<[8, 1, 1]> : tensor<3xi64>
  %br = tensor.reshape %b(%s) : (tensor<8xf32>, tensor<3xi64>) -> tensor<8x1x1xf32>
  %e = tensor.empty() : tensor<2x8x5x5xf32>
  %yb = linalg.generic {indexing_maps = [affine_map<(a, b, c, d) -> (a, b, c, d)>, affine_map<(a, b, c, d) -> (b, 0, 0)>, affine_map<(a, b, c, d) -> (a, b, c, d)>], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%y, %br : tensor<2x8x5x5xf32>, tensor<8x1x1xf32>) outs(%e : tensor<2x8x5x5xf32>) {
  ^bb0(%v: f32, %bv: f32, %out: f32):
    %r = arith.addf %v, %bv : f32
    linalg.yield %r : f32
  } -> tensor<2x8x5x5xf32>
  return %yb : tensor<2x8x5x5xf32>
}

// -----

// A valid (unpadded) 1x1 convolution reads every pixel: no image guards.
// 2:4 float filter: the packed 2:4 kernel, 16 rows in two 8-row m-tiles.
// CHECK-LABEL: func.func @conv_24_1x1(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_0 {{.*}} args(%{{.*}} : memref<1x8x4x4xf32>, %{{.*}} : memref<1x16x16xf32>)
// CHECK: gpu.func @qsl_spmma_0(
// CHECK-NOT: arith.cmpi sge
// CHECK: memref.load %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] : memref<1x8x4x4xf32>
// CHECK-COUNT-2: nvgpu.mma.sp.sync
// CHECK-NOT: nvgpu.mma.sp.sync
// CHECK: gpu.return
#s = #qsl.encoding<sparse = <2:4, axis = 1>>
func.func @conv_24_1x1(%x: tensor<1x8x4x4xf32>) -> tensor<1x16x4x4xf32> {
  %w = qsl.constant values(dense<0.5> : tensor<16x4xf16>) meta(dense<[[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3],[0,1,2,3]]> : tensor<16x4xi2>) : tensor<16x8x1x1xf16, #s>
  %y = qsl.conv2d %x, %w : tensor<1x8x4x4xf32>, tensor<16x8x1x1xf16, #s> -> tensor<1x16x4x4xf32>
  return %y : tensor<1x16x4x4xf32>
}
