// RUN: qsl-opt %s --qsl-lower-to-gpu -split-input-file | FileCheck %s
// RUN: qsl-opt %s --qsl-lower-to-gpu="keep-on-device=false" -split-input-file | FileCheck %s --check-prefix=OFF
// A kernel's result that a later kernel reads stays in device memory: no
// copy out and back in; it is freed after its last reader.

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
#map = affine_map<(d0, d1) -> (d0, d1)>

// GEMV + ReLU, then a GEMV on its result: the second launch reads the
// first one's output buffer; only the final result is copied out.
// CHECK-LABEL: func.func @chain(
// CHECK: %[[H:.*]] = gpu.alloc () {{.*}} : memref<2x16xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_{{gemv|gemm}}_0 {{.*}} args(%{{.*}} : memref<2x8xf32>, %[[H]] : memref<2x16xf32>)
// CHECK-NOT: gpu.memcpy
// CHECK: gpu.launch_func @qsl_kernels::@qsl_{{gemv|gemm}}_1 {{.*}} args(%[[H]] : memref<2x16xf32>, %{{.*}} : memref<2x4xf32>)
// CHECK: gpu.memcpy %{{.*}}, %{{.*}} : memref<2x4xf32>, memref<2x4xf32>
// CHECK-NOT: gpu.memcpy
// CHECK: gpu.dealloc %[[H]]
// CHECK: return
// OFF-LABEL: func.func @chain(
// OFF-COUNT-4: gpu.memcpy
// OFF-NOT: gpu.memcpy
// OFF: return
func.func @chain(%x: tensor<2x8xf32>) -> tensor<2x4xf32> {
  %w1 = qsl.constant values(dense<1> : tensor<16x8xi8>) scales(dense<0.5> : tensor<16x1xf32>) : tensor<16x8xf32, #q>
  %h = qsl.matmul %x, %w1 transpose_w : tensor<2x8xf32>, tensor<16x8xf32, #q> -> tensor<2x16xf32>
  %e = tensor.empty() : tensor<2x16xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%h : tensor<2x16xf32>) outs(%e : tensor<2x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %in, %z : f32
    linalg.yield %m : f32
  } -> tensor<2x16xf32>
  %w2 = qsl.constant values(dense<1> : tensor<4x16xi8>) scales(dense<0.25> : tensor<4x1xf32>) : tensor<4x16xf32, #q>
  %y = qsl.matmul %r, %w2 transpose_w : tensor<2x16xf32>, tensor<4x16xf32, #q> -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
#map = affine_map<(d0, d1) -> (d0, d1)>

// The first result is also the second kernel's residual and is returned:
// the second kernel reads it on the device, and it is still copied out for
// the CPU.
// CHECK-LABEL: func.func @residual_and_cpu(
// CHECK: gpu.memcpy
// CHECK: %[[A:.*]] = gpu.alloc () {{.*}} : memref<2x8xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_{{gemv|gemm}}_0 {{.*}}, %[[A]] : memref<2x8xf32>)
// CHECK: gpu.memcpy %{{.*}}, %[[A]] : memref<2x8xf32>, memref<2x8xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_{{gemv|gemm}}_1 {{.*}} args(%{{.*}} : memref<2x8xf32>, %[[A]] : memref<2x8xf32>, %{{.*}} : memref<2x8xf32>)
// CHECK: gpu.dealloc %[[A]]
func.func @residual_and_cpu(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %w1 = qsl.constant values(dense<1> : tensor<8x8xi8>) scales(dense<0.5> : tensor<8x1xf32>) : tensor<8x8xf32, #q>
  %a = qsl.matmul %x, %w1 transpose_w : tensor<2x8xf32>, tensor<8x8xf32, #q> -> tensor<2x8xf32>
  %w2 = qsl.constant values(dense<2> : tensor<8x8xi8>) scales(dense<0.5> : tensor<8x1xf32>) : tensor<8x8xf32, #q>
  %b = qsl.matmul %x, %w2 transpose_w : tensor<2x8xf32>, tensor<8x8xf32, #q> -> tensor<2x8xf32>
  %e = tensor.empty() : tensor<2x8xf32>
  %s = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%b, %a : tensor<2x8xf32>, tensor<2x8xf32>) outs(%e : tensor<2x8xf32>) {
  ^bb0(%in: f32, %res: f32, %out: f32):
    %r = arith.addf %in, %res : f32
    linalg.yield %r : f32
  } -> tensor<2x8xf32>
  return %a, %s : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A convolution feeding a convolution: the second reads the first's
// [1, 8, 16] output as its [1, 8, 4, 4] image, a view of the same buffer.
#c = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
// CHECK-LABEL: func.func @conv_chain(
// CHECK: %[[Y:.*]] = gpu.alloc () {{.*}} : memref<1x8x16xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0
// CHECK-NOT: gpu.memcpy
// CHECK: %[[V:.*]] = memref.expand_shape %[[Y]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 8, 4, 4]
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_1 {{.*}} args(%[[V]] : memref<1x8x4x4xf32>
// CHECK: gpu.dealloc %[[Y]]
func.func @conv_chain(%x: tensor<1x4x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %w1 = qsl.constant values(dense<1> : tensor<8x4xi8>) scales(dense<0.5> : tensor<8x1xf32>) : tensor<8x4x1x1xf32, #c>
  %a = qsl.conv2d %x, %w1 : tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32, #c> -> tensor<1x8x4x4xf32>
  %w2 = qsl.constant values(dense<1> : tensor<8x8xi8>) scales(dense<0.5> : tensor<8x1xf32>) : tensor<8x8x1x1xf32, #c>
  %b = qsl.conv2d %a, %w2 : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32, #c> -> tensor<1x8x4x4xf32>
  return %b : tensor<1x8x4x4xf32>
}
