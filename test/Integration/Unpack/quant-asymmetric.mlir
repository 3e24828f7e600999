// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Asymmetric quantization: w = scale[g] * (q - zero[g]) with unsigned codes.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  // 3-bit codes (0..7), groups of 2 rows along axis 0 of a 4x2 tensor.
  //   group 0 (rows 0-1): scales [0.5, 1],  zeros [4, 0]
  //   group 1 (rows 2-3): scales [2, 0.25], zeros [7, 3]
  //   row 0: [0.5*(0-4), 1*(7-0)]     = [-2, 7]
  //   row 1: [0.5*(4-4), 1*(1-0)]     = [0, 1]
  //   row 2: [2*(5-7), 0.25*(2-3)]    = [-4, -0.25]
  //   row 3: [2*(7-7), 0.25*(3-3)]    = [0, 0]
  %a = qsl.constant values(dense<[[0, 7], [4, 1], [5, 2], [7, 3]]> : tensor<4x2xi3>)
                    scales(dense<[[0.5, 1.0], [2.0, 0.25]]> : tensor<2x2xf16>)
                    zeros(dense<[[4, 0], [7, 3]]> : tensor<2x2xi3>)
       : tensor<4x2xf32, #qsl.encoding<quant = <bits = 3, group = 2, scale = f16, zero = i3>>>
  %da = qsl.unpack %a : tensor<4x2xf32, #qsl.encoding<quant = <bits = 3, group = 2, scale = f16, zero = i3>>> -> tensor<4x2xf32>
  %pa = tensor.cast %da : tensor<4x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4, 2]
  // CHECK-NEXT: {{\[}}[-2, 7],
  // CHECK-NEXT: [0, 1],
  // CHECK-NEXT: [-4, -0.25],
  // CHECK-NEXT: [0, 0]]

  // Float zero points, per-channel along axis 1 (one scale per row).
  //   row 0: scale 2,   zero 1.5: [2*(0-1.5), 2*(1-1.5), 2*(3-1.5)]     = [-3, -1, 3]
  //   row 1: scale 0.5, zero 0.5: [.5*(2-.5), .5*(3-.5), .5*(0-.5)]     = [0.75, 1.25, -0.25]
  %b = qsl.constant values(dense<[[0, 1, 3], [2, 3, 0]]> : tensor<2x3xi2>)
                    scales(dense<[[2.0], [0.5]]> : tensor<2x1xf32>)
                    zeros(dense<[[1.5], [0.5]]> : tensor<2x1xf32>)
       : tensor<2x3xf32, #qsl.encoding<quant = <bits = 2, axis = 1, scale = f32, zero = f32>>>
  %db = qsl.unpack %b : tensor<2x3xf32, #qsl.encoding<quant = <bits = 2, axis = 1, scale = f32, zero = f32>>> -> tensor<2x3xf32>
  %pb = tensor.cast %db : tensor<2x3xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 3]
  // CHECK-NEXT: {{\[}}[-3, -1, 3],
  // CHECK-NEXT: [0.75, 1.25, -0.25]]

  // 8-bit unsigned codes above 127 are not negative: 200 - 128 = 72.
  %c = qsl.constant values(dense<[[200, 0]]> : tensor<1x2xi8>)
                    scales(dense<[[0.5, 0.5]]> : tensor<1x2xf32>)
                    zeros(dense<[[128, 128]]> : tensor<1x2xi8>)
       : tensor<1x2xf32, #qsl.encoding<quant = <bits = 8, scale = f32, zero = i8>>>
  %dc = qsl.unpack %c : tensor<1x2xf32, #qsl.encoding<quant = <bits = 8, scale = f32, zero = i8>>> -> tensor<1x2xf32>
  %pc = tensor.cast %dc : tensor<1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 2]
  // CHECK-NEXT: {{\[}}[36, -64]]
  return
}
