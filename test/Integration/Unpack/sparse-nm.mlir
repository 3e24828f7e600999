// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// N:M sparsity: kept values land at the run position their metadata names.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // 2:4 along axis 0 of a 4x2 tensor: one run of 4 rows per column.
  //   column 0: values [1, 3] at rows [0, 3]  -> [1, 0, 0, 3]
  //   column 1: values [2, 4] at rows [1, 2]  -> [0, 2, 4, 0]
  %a = qsl.constant values(dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>)
                    meta(dense<[[0, 1], [3, 2]]> : tensor<2x2xi2>)
       : tensor<4x2xf32, #qsl.encoding<sparse = <2:4>>>
  %da = qsl.unpack %a : tensor<4x2xf32, #qsl.encoding<sparse = <2:4>>> -> tensor<4x2xf32>
  %pa = tensor.cast %da : tensor<4x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4, 2]
  // CHECK-NEXT: {{\[}}[1, 0],
  // CHECK-NEXT: [0, 2],
  // CHECK-NEXT: [0, 4],
  // CHECK-NEXT: [3, 0]]

  // 2:4 along axis 1 plus asymmetric int4 with groups of 4 along axis 1.
  // Pruned positions must be exactly 0 even though deq(code 0) = -8*scale.
  //   row 0, run 0 (scale 1, zero 8):  9 at 1, 7 at 2   -> [0, 1, -1, 0]
  //   row 0, run 1 (scale 2, zero 8): 10 at 0, 8 at 3   -> [4, 0, 0, 0]
  //   row 1, run 0 (scale .5, zero 8): 8 at 0, 12 at 1  -> [0, 2, 0, 0]
  //   row 1, run 1 (scale 1, zero 0):  3 at 2, 1 at 3   -> [0, 0, 3, 1]
  %b = qsl.constant values(dense<[[9, 7, 10, 8], [8, 12, 3, 1]]> : tensor<2x4xi4>)
                    scales(dense<[[1.0, 2.0], [0.5, 1.0]]> : tensor<2x2xf32>)
                    zeros(dense<[[8, 8], [8, 0]]> : tensor<2x2xi4>)
                    meta(dense<[[1, 2, 0, 3], [0, 1, 2, 3]]> : tensor<2x4xi2>)
       : tensor<2x8xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 4, scale = f32, zero = i4>, sparse = <2:4, axis = 1>>>
  %db = qsl.unpack %b : tensor<2x8xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 4, scale = f32, zero = i4>, sparse = <2:4, axis = 1>>> -> tensor<2x8xf32>
  %pb = tensor.cast %db : tensor<2x8xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 8]
  // CHECK-NEXT: {{\[}}[0, 1, -1, 0, 4, 0, 0, 0],
  // CHECK-NEXT: [0, 2, 0, 0, 0, 0, 3, 1]]

  // 1:4 on a conv filter [2, 1, 2, 2] = matrix [2, 4], along axis 1.
  %c = qsl.constant values(dense<[[5.0], [6.0]]> : tensor<2x1xf32>)
                    meta(dense<[[3], [0]]> : tensor<2x1xi2>)
       : tensor<2x1x2x2xf32, #qsl.encoding<sparse = <1:4, axis = 1>>>
  %dc = qsl.unpack %c : tensor<2x1x2x2xf32, #qsl.encoding<sparse = <1:4, axis = 1>>> -> tensor<2x1x2x2xf32>
  %pc = tensor.cast %dc : tensor<2x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 1, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[0, 0],
  // CHECK-NEXT: [0, 5]]],
  // CHECK-NEXT: {{\[}}{{\[}}[6, 0],
  // CHECK-NEXT: [0, 0]]]]
  return
}
