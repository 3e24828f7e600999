// RUN: qsl-opt %s | qsl-opt | FileCheck %s
// RUN: qsl-opt %s -mlir-print-op-generic | qsl-opt | FileCheck %s
// RUN: qsl-opt %s -emit-bytecode | qsl-opt | FileCheck %s

// All four facets on one tensor: W = deq(Q) ⊙ M + O + U·V.
#all = #qsl.encoding<quant = <bits = 4, group = 64, scale = f16, zero = i4>,
                     sparse = <2:4>,
                     outliers = <count = 128, type = f16>,
                     lowrank = <rank = 16, type = f16>>

// CHECK-LABEL: func.func @all_facets
// CHECK-SAME: tensor<256x512xf16, #qsl.encoding<quant = <bits = 4, group = 64, scale = f16, zero = i4>, sparse = <2:4>, outliers = <count = 128, type = f16>, lowrank = <rank = 16, type = f16>>>
func.func @all_facets(%w: tensor<256x512xf16, #all>) -> tensor<256x512xf16> {
  // CHECK: qsl.unpack %{{.*}} : tensor<256x512xf16, #qsl.encoding<{{.*}}>> -> tensor<256x512xf16>
  %d = qsl.unpack %w : tensor<256x512xf16, #all> -> tensor<256x512xf16>
  return %d : tensor<256x512xf16>
}

// CHECK-LABEL: func.func @constant_quant
// CHECK: %[[W:.*]] = qsl.constant values(dense<{{\[}}[1, -2], [3, 7]]> : tensor<2x2xi4>) scales(dense<{{.*}}> : tensor<1x2xf32>) : tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
// CHECK: return %[[W]]
func.func @constant_quant() -> tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>> {
  %w = qsl.constant values(dense<[[1, -2], [3, 7]]> : tensor<2x2xi4>)
                    scales(dense<[[0.5, 2.0]]> : tensor<1x2xf32>)
       : tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
  return %w : tensor<2x2xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
}

// Every side tensor slot at once, with blobs kept as resources.
#full = #qsl.encoding<quant = <bits = 2, axis = 1, group = 4, scale = f16, zero = f16>,
                      sparse = <2:4, axis = 1>,
                      outliers = <count = 2, type = f32>,
                      lowrank = <rank = 1, type = f32>>
// CHECK-LABEL: func.func @constant_all_storage
// CHECK: qsl.constant values(dense_resource<codes> : tensor<2x4xi2>)
// CHECK-SAME: scales(dense<{{[^>]*}}> : tensor<2x2xf16>)
// CHECK-SAME: zeros(dense<{{[^>]*}}> : tensor<2x2xf16>)
// CHECK-SAME: meta(dense<{{[^>]*}}> : tensor<2x4xi2>)
// CHECK-SAME: outlier_indices(dense<[0, 7]> : tensor<2xi32>)
// CHECK-SAME: outlier_values(dense<{{[^>]*}}> : tensor<2xf32>)
// CHECK-SAME: u(dense<{{[^>]*}}> : tensor<2x1xf32>)
// CHECK-SAME: v(dense<{{.*}}> : tensor<1x8xf32>)
func.func @constant_all_storage() -> tensor<2x8xf32, #full> {
  %w = qsl.constant values(dense_resource<codes> : tensor<2x4xi2>)
                    scales(dense<1.0> : tensor<2x2xf16>)
                    zeros(dense<1.5> : tensor<2x2xf16>)
                    meta(dense<[[0, 1, 2, 3], [1, 3, 0, 2]]> : tensor<2x4xi2>)
                    outlier_indices(dense<[0, 7]> : tensor<2xi32>)
                    outlier_values(dense<[0.25, -0.5]> : tensor<2xf32>)
                    u(dense<[[1.0], [2.0]]> : tensor<2x1xf32>)
                    v(dense<0.125> : tensor<1x8xf32>)
       : tensor<2x8xf32, #full>
  return %w : tensor<2x8xf32, #full>
}

// CHECK-LABEL: func.func @pack_unpack
// CHECK: qsl.pack %{{.*}} : tensor<4x8xf32> -> tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
// CHECK: qsl.unpack
func.func @pack_unpack(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = qsl.pack %x : tensor<4x8xf32> -> tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>
  %d = qsl.unpack %e : tensor<4x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>> -> tensor<4x8xf32>
  return %d : tensor<4x8xf32>
}

#w4 = #qsl.encoding<quant = <bits = 4, group = 32, scale = f16>>
#w4t = #qsl.encoding<quant = <bits = 4, axis = 1, group = 32, scale = f16>>
// CHECK-LABEL: func.func @matmul_forms
// CHECK: qsl.matmul %{{.*}}, %{{.*}} : tensor<2x7x64xf32>, tensor<64x16xf16, {{.*}}> -> tensor<2x7x16xf32>
// CHECK: qsl.matmul %{{.*}}, %{{.*}} transpose_w : tensor<?x64xf32>, tensor<16x64xf16, {{.*}}> -> tensor<?x16xf32>
func.func @matmul_forms(%x: tensor<2x7x64xf32>, %y: tensor<?x64xf32>,
                        %w: tensor<64x16xf16, #w4>, %wt: tensor<16x64xf16, #w4t>)
    -> (tensor<2x7x16xf32>, tensor<?x16xf32>) {
  %a = qsl.matmul %x, %w : tensor<2x7x64xf32>, tensor<64x16xf16, #w4> -> tensor<2x7x16xf32>
  %b = qsl.matmul %y, %wt transpose_w : tensor<?x64xf32>, tensor<16x64xf16, #w4t> -> tensor<?x16xf32>
  return %a, %b : tensor<2x7x16xf32>, tensor<?x16xf32>
}

#c = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
// CHECK-LABEL: func.func @conv_forms
// CHECK: qsl.conv2d %{{.*}}, %{{.*}} {groups = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32, {{.*}}> -> tensor<1x6x5x5xf32>
func.func @conv_forms(%x: tensor<1x4x9x9xf32>, %w: tensor<6x2x3x3xf32, #c>) -> tensor<1x6x5x5xf32> {
  %y = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, groups = 2 : i64}
       : tensor<1x4x9x9xf32>, tensor<6x2x3x3xf32, #c> -> tensor<1x6x5x5xf32>
  return %y : tensor<1x6x5x5xf32>
}

{-#
  dialect_resources: {
    builtin: {
      codes: "0x0100000000010203"
    }
  }
#-}
