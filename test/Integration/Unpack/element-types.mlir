// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Element types other than f32, and tensors that are not matrices.

func.func private @printMemrefF32(tensor<*xf32>)
func.func private @printMemrefF64(tensor<*xf64>) attributes {llvm.emit_c_interface}
func.func private @printMemrefBF16(tensor<*xbf16>) attributes {llvm.emit_c_interface}

func.func @main() {
  // bf16 with bf16 scales: [[2 * 0.5, -3 * 0.25]] = [[1, -0.75]].
  %a = qsl.constant values(dense<[[2, -3]]> : tensor<1x2xi8>)
                    scales(dense<[[0.5, 0.25]]> : tensor<1x2xbf16>)
       : tensor<1x2xbf16, #qsl.encoding<quant = <bits = 8, scale = bf16>>>
  %da = qsl.unpack %a : tensor<1x2xbf16, #qsl.encoding<quant = <bits = 8, scale = bf16>>> -> tensor<1x2xbf16>
  %pa = tensor.cast %da : tensor<1x2xbf16> to tensor<*xbf16>
  call @printMemrefBF16(%pa) : (tensor<*xbf16>) -> ()
  // CHECK: sizes = [1, 2]
  // CHECK-NEXT: {{\[}}[1, -0.75]]

  // f64 is computed in f64: U·V = [[1], [2]] x [[0.1, 0.2]].
  %b = qsl.constant u(dense<[[1.0], [2.0]]> : tensor<2x1xf64>)
                    v(dense<[[0.1, 0.2]]> : tensor<1x2xf64>)
       : tensor<2x2xf64, #qsl.encoding<lowrank = <rank = 1, type = f64>>>
  %db = qsl.unpack %b : tensor<2x2xf64, #qsl.encoding<lowrank = <rank = 1, type = f64>>> -> tensor<2x2xf64>
  %pb = tensor.cast %db : tensor<2x2xf64> to tensor<*xf64>
  call @printMemrefF64(%pb) : (tensor<*xf64>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[0.1, 0.2],
  // CHECK-NEXT: [0.2, 0.4]]

  // A vector [4] is the matrix [4, 1]: codes are [4, 1], one scale.
  %c = qsl.constant values(dense<[[1], [2], [3], [4]]> : tensor<4x1xi8>)
                    scales(dense<[[0.5]]> : tensor<1x1xf32>)
       : tensor<4xf32, #qsl.encoding<quant = <bits = 8, scale = f32>>>
  %dc = qsl.unpack %c : tensor<4xf32, #qsl.encoding<quant = <bits = 8, scale = f32>>> -> tensor<4xf32>
  %pc = tensor.cast %dc : tensor<4xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [4]
  // CHECK-NEXT: [0.5, 1, 1.5, 2]

  // A 2x2x2 tensor is the matrix [2, 4]; groups of 2 along axis 1:
  //   row 0: [1*1, 2*1, 3*2, 4*2]            = [1, 2, 6, 8]
  //   row 1: [5*.5, 6*.5, 7*.25, -8*.25]     = [2.5, 3, 1.75, -2]
  %d = qsl.constant values(dense<[[1, 2, 3, 4], [5, 6, 7, -8]]> : tensor<2x4xi4>)
                    scales(dense<[[1.0, 2.0], [0.5, 0.25]]> : tensor<2x2xf32>)
       : tensor<2x2x2xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 2, scale = f32>>>
  %dd = qsl.unpack %d : tensor<2x2x2xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 2, scale = f32>>> -> tensor<2x2x2xf32>
  %pd = tensor.cast %dd : tensor<2x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[1, 2],
  // CHECK-NEXT: [6, 8]],
  // CHECK-NEXT: {{\[}}[2.5, 3],
  // CHECK-NEXT: [1.75, -2]]]
  return
}
