// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Outliers add residuals at linear indices; low-rank adds U·V.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // Outliers alone; index 5 appears twice and its values add up.
  %a = qsl.constant outlier_indices(dense<[0, 5, 5]> : tensor<3xi32>)
                    outlier_values(dense<[1.5, 2.0, 0.25]> : tensor<3xf16>)
       : tensor<2x3xf32, #qsl.encoding<outliers = <count = 3, type = f16>>>
  %da = qsl.unpack %a : tensor<2x3xf32, #qsl.encoding<outliers = <count = 3, type = f16>>> -> tensor<2x3xf32>
  %pa = tensor.cast %da : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[1.5, 0, 0],
  // CHECK-NEXT: [0, 0, 2.25]]

  // Outliers on top of 8-bit codes: [[1,2,3],[4,5,6]] + 0.5 at 1 and -4 at 3.
  %b = qsl.constant values(dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>)
                    scales(dense<[[1.0, 1.0, 1.0]]> : tensor<1x3xf32>)
                    outlier_indices(dense<[1, 3]> : tensor<2xi32>)
                    outlier_values(dense<[0.5, -4.0]> : tensor<2xf32>)
       : tensor<2x3xf32, #qsl.encoding<quant = <bits = 8, scale = f32>, outliers = <count = 2, type = f32>>>
  %db = qsl.unpack %b : tensor<2x3xf32, #qsl.encoding<quant = <bits = 8, scale = f32>, outliers = <count = 2, type = f32>>> -> tensor<2x3xf32>
  %pb = tensor.cast %db : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[1, 2.5, 3],
  // CHECK-NEXT: [0, 5, 6]]

  // Rank-1 factors: U = [[1], [2]], V = [[1, 0.5, -1]].
  %c = qsl.constant u(dense<[[1.0], [2.0]]> : tensor<2x1xf16>)
                    v(dense<[[1.0, 0.5, -1.0]]> : tensor<1x3xf16>)
       : tensor<2x3xf32, #qsl.encoding<lowrank = <rank = 1, type = f16>>>
  %dc = qsl.unpack %c : tensor<2x3xf32, #qsl.encoding<lowrank = <rank = 1, type = f16>>> -> tensor<2x3xf32>
  %pc = tensor.cast %dc : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[1, 0.5, -1],
  // CHECK-NEXT: [2, 1, -2]]

  // A conv filter [2, 1, 2, 1] is the matrix [2, 2]: U = [[1], [3]], V = [[2, 4]]
  // gives [[2, 4], [6, 12]].
  %d = qsl.constant u(dense<[[1.0], [3.0]]> : tensor<2x1xf32>)
                    v(dense<[[2.0, 4.0]]> : tensor<1x2xf32>)
       : tensor<2x1x2x1xf32, #qsl.encoding<lowrank = <rank = 1, type = f32>>>
  %dd = qsl.unpack %d : tensor<2x1x2x1xf32, #qsl.encoding<lowrank = <rank = 1, type = f32>>> -> tensor<2x1x2x1xf32>
  %pd = tensor.cast %dd : tensor<2x1x2x1xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 1, 2, 1]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[2],
  // CHECK-NEXT: [4]]],
  // CHECK-NEXT: {{\[}}{{\[}}[6],
  // CHECK-NEXT: [12]]]]
  return
}
