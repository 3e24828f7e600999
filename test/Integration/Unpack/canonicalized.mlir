// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// RUN: qsl-opt %s -canonicalize | FileCheck %s --check-prefix=IR
// RUN: qsl-opt %s -canonicalize --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// qsl.constant's canonicalization drops facets that add nothing; the values
// the encodings stand for (hand-derived below) are the same before and after.

func.func private @printMemrefF32(tensor<*xf32>)

#a = #qsl.encoding<quant = <bits = 4, scale = f32, zero = i4>, sparse = <block = 1x2, nnz = 8>,
                   outliers = <count = 2, type = f16>, lowrank = <rank = 2, type = f32>,
                   smooth = <axis = 0, type = f32>>

func.func @main() {
  // Codes [[1, 2, 3, 4], [5, 6, 7, 8], [1, 1, 1, 1], [2, 2, 2, 2]] with zero
  // point 1 and scale 0.5, every 1x2 block kept:
  // [[0, .5, 1, 1.5], [2, 2.5, 3, 3.5], [0, 0, 0, 0], [.5, .5, .5, .5]];
  // outlier +0.25 at linear index 2 (the other is 0); U·V =
  // [[1], [2], [0], [1]]·[[1, 0, -1, 0]] (the second component has a zero
  // column of U); unit smooth.
  // IR: qsl.constant values(dense<{{\[}}[1, 2, 3, 4], [5, 6, 7, -8], [1, 1, 1, 1], [2, 2, 2, 2]]> : tensor<4x4xi4>)
  // IR-SAME: outlier_indices(dense<2> : tensor<1xi32>)
  // IR-SAME: u(dense<{{\[}}[1.000000e+00], [2.000000e+00], [0.000000e+00], [1.000000e+00]]> : tensor<4x1xf32>)
  // IR-NOT: smooth(
  // IR-SAME: #qsl.encoding<quant = <bits = 4, scale = f32, zero = i4>, outliers = <count = 1, type = f16>, lowrank = <rank = 1, type = f32>>
  %w = qsl.constant values(dense<[[[1, 2]], [[3, 4]], [[5, 6]], [[7, 8]], [[1, 1]], [[1, 1]], [[2, 2]], [[2, 2]]]> : tensor<8x1x2xi4>)
                    scales(dense<0.5> : tensor<1x4xf32>) zeros(dense<1> : tensor<1x4xi4>)
                    mask(dense<true> : tensor<4x2xi1>)
                    outlier_indices(dense<[2, 5]> : tensor<2xi32>)
                    outlier_values(dense<[0.25, 0.0]> : tensor<2xf16>)
                    u(dense<[[1.0, 0.0], [2.0, 0.0], [0.0, 0.0], [1.0, 0.0]]> : tensor<4x2xf32>)
                    v(dense<[[1.0, 0.0, -1.0, 0.0], [3.0, 3.0, 3.0, 3.0]]> : tensor<2x4xf32>)
                    smooth(dense<1.0> : tensor<4xf32>)
       : tensor<4x4xf32, #a>
  %d = qsl.unpack %w : tensor<4x4xf32, #a> -> tensor<4x4xf32>
  %p = tensor.cast %d : tensor<4x4xf32> to tensor<*xf32>
  call @printMemrefF32(%p) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4, 4]
  // CHECK-NEXT: {{\[}}[1, 0.5, 0.25, 1.5],
  // CHECK-NEXT: [4, 2.5, 1, 3.5],
  // CHECK-NEXT: [0, 0, 0, 0],
  // CHECK-NEXT: [1.5, 0.5, -0.5, 0.5]]

  // The same weight through qsl.matmul: x = [[1, 1, 1, 1]] sums the rows.
  %x = arith.constant dense<1.0> : tensor<1x4xf32>
  %y = qsl.matmul %x, %w : tensor<1x4xf32>, tensor<4x4xf32, #a> -> tensor<1x4xf32>
  %py = tensor.cast %y : tensor<1x4xf32> to tensor<*xf32>
  call @printMemrefF32(%py) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[6.5, 3.5, 0.75, 5.5]]
  return
}
