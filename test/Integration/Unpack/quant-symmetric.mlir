// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Symmetric quantization: w = scale[g] * q with signed codes.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // Per-channel along axis 0 of [K=2, N=4]: one scale per column.
  //   [[ 1, -2, 3, 7],      scales [0.5, 1, 2, 0.25]     [[0.5, -2,  6, 1.75],
  //    [ 0, -8, 5, 1]]  ->                           ->   [0,   -8, 10, 0.25]]
  %a = qsl.constant values(dense<[[1, -2, 3, 7], [0, -8, 5, 1]]> : tensor<2x4xi4>)
                    scales(dense<[[0.5, 1.0, 2.0, 0.25]]> : tensor<1x4xf32>)
       : tensor<2x4xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>>
  %da = qsl.unpack %a : tensor<2x4xf32, #qsl.encoding<quant = <bits = 4, scale = f32>>> -> tensor<2x4xf32>
  %pa = tensor.cast %da : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[0.5, -2, 6, 1.75],
  // CHECK-NEXT: [0, -8, 10, 0.25]]

  // Group-wise, groups of 2 along axis 1: scales [[1, 10], [0.5, 4]] (f16).
  //   row 0: [1*1, 2*1, 3*10, 4*10]         = [1, 2, 30, 40]
  //   row 1: [-1*.5, -2*.5, -3*4, -4*4]     = [-0.5, -1, -12, -16]
  %b = qsl.constant values(dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>)
                    scales(dense<[[1.0, 10.0], [0.5, 4.0]]> : tensor<2x2xf16>)
       : tensor<2x4xf32, #qsl.encoding<quant = <bits = 8, axis = 1, group = 2, scale = f16>>>
  %db = qsl.unpack %b : tensor<2x4xf32, #qsl.encoding<quant = <bits = 8, axis = 1, group = 2, scale = f16>>> -> tensor<2x4xf32>
  %pb = tensor.cast %db : tensor<2x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 4]
  // CHECK-NEXT: {{\[}}[1, 2, 30, 40],
  // CHECK-NEXT: [-0.5, -1, -12, -16]]

  // 2-bit codes span [-2, 1].
  %c = qsl.constant values(dense<[[-2, -1, 0, 1]]> : tensor<1x4xi2>)
                    scales(dense<[[3.0, 3.0, 3.0, 3.0]]> : tensor<1x4xf32>)
       : tensor<1x4xf32, #qsl.encoding<quant = <bits = 2, scale = f32>>>
  %dc = qsl.unpack %c : tensor<1x4xf32, #qsl.encoding<quant = <bits = 2, scale = f32>>> -> tensor<1x4xf32>
  %pc = tensor.cast %dc : tensor<1x4xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 4]
  // CHECK-NEXT: {{\[}}[-6, -3, 0, 3]]
  return
}
