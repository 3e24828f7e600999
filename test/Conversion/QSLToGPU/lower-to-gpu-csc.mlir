// RUN: qsl-opt %s --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %s --qsl-lower-to-gpu="device-weights=false" | FileCheck %s --check-prefix=CONV
// An unstructured weight [K = 4, N = 3] with outliers becomes one CSC table
// by output column. The mask keeps (k, n) = (0,1) (1,0) (2,2) (3,1) in
// row-major order with values 1, 2, 3, 4; the outliers add 5 at linear index
// 2 = (0, 2) and 6 at index 3 = (1, 0). Column 0: (1, 2.0), (1, 6.0);
// column 1: (0, 1.0), (3, 4.0); column 2: (2, 3.0), (0, 5.0) (mask entries
// first, then outliers, each in its order).

#e = #qsl.encoding<sparse = <unstructured, nnz = 4>, outliers = <count = 2, type = f32>>
func.func @csc(%x: tensor<2x4xf32>) -> tensor<2x3xf32> {
  %w = qsl.constant values(dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>)
         mask(dense<[[false, true, false], [true, false, false], [false, false, true], [false, true, false]]> : tensor<4x3xi1>)
         outlier_indices(dense<[2, 3]> : tensor<2xi32>) outlier_values(dense<[5.0, 6.0]> : tensor<2xf32>)
       : tensor<4x3xf32, #e>
  %y = qsl.matmul %x, %w : tensor<2x4xf32>, tensor<4x3xf32, #e> -> tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}

// CHECK-DAG: memref.global "private" constant @qsl_gpu_csc_colptr_0 : memref<4xi32> = dense<[0, 2, 4, 6]>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_csc_rows_0 : memref<6xi32> = dense<[1, 1, 0, 3, 2, 0]>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_csc_values_0 : memref<6xf32> = dense<[2.000000e+00, 6.000000e+00, 1.000000e+00, 4.000000e+00, 3.000000e+00, 5.000000e+00]>
// One thread per output element: 6 outputs, one block of 128.
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_0 blocks in (%{{.*}}, %c1, %c1) threads in (%c128, %c1, %c1) args(%{{.*}} : memref<2x4xf32>, %{{.*}} : memref<4xi32>, %{{.*}} : memref<6xi32>, %{{.*}} : memref<6xf32>, %{{.*}} : memref<2x3xf32>)
// CHECK-LABEL: gpu.func @qsl_csc_0(
// CHECK: %[[M:.*]] = arith.divui %{{.*}}, %c3 : index
// CHECK: %[[N:.*]] = arith.remui %{{.*}}, %c3 : index
// CHECK: scf.for
// CHECK: memref.load %{{.*}}[%[[M]], %{{.*}}] : memref<2x4xf32>
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[M]], %[[N]]] : memref<2x3xf32>

// A convolution filter that is only outliers (indices 1 and 8 of the
// [O = 3, C*kh*kw = 18] matrix view: both in column 0) on the CSC kernel:
// one thread per output element y[image, o, pixel] (pixels fastest), a
// zero main term, and the column's entries gathered through the implicit
// im2col: channel k / 9, tap (k % 9) / 3 and k % 3, input pixel
// (oh + i - 1, ow + j - 1), zero in the padding.
#co = #qsl.encoding<outliers = <count = 2, type = f32>>
func.func @conv_outliers(%x: tensor<1x2x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %w = qsl.constant outlier_indices(dense<[1, 8]> : tensor<2xi32>) outlier_values(dense<[2.0, -1.0]> : tensor<2xf32>) : tensor<3x2x3x3xf32, #co>
  %y = qsl.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>} : tensor<1x2x4x4xf32>, tensor<3x2x3x3xf32, #co> -> tensor<1x3x4x4xf32>
  return %y : tensor<1x3x4x4xf32>
}
// CONV-LABEL: func.func @conv_outliers
// CONV: gpu.launch_func @qsl_kernels::@qsl_csc_{{[0-9]+}} blocks in (%{{.*}}) threads in (%c128, {{.*}} args(%{{.*}} : memref<1x2x4x4xf32>, %{{.*}} : memref<4xi32>, %{{.*}} : memref<2xi32>, %{{.*}} : memref<2xf32>, %{{.*}} : memref<1x3x16xf32>)
// CONV-LABEL: gpu.func @qsl_csc_1(
// CONV-SAME: %{{.*}}: memref<1x2x4x4xf32>, %[[CP:[^:]*]]: memref<4xi32>
// CONV: %[[PIX:.*]] = arith.remui %{{.*}}, %c16 : index
// CONV: %[[PLANE:.*]] = arith.divui %{{.*}}, %c16 : index
// CONV: %[[O:.*]] = arith.remui %[[PLANE]], %c3 : index
// CONV: %[[IMG:.*]] = arith.divui %[[PLANE]], %c3 : index
// CONV: memref.load %[[CP]][%[[O]]]
// CONV: scf.for
// CONV: arith.cmpi sge
// CONV: memref.load %{{.*}}[%[[IMG]], {{.*}}] : memref<1x2x4x4xf32>
// CONV: memref.store %{{.*}}, %{{.*}}[%[[IMG]], %[[O]], %[[PIX]]] : memref<1x3x16xf32>
