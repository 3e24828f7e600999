// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// Non-uniform quantization: w = codebook[g][q], one 4-entry table per column.

func.func private @printMemrefF32(tensor<*xf32>)

func.func @main() {
  //   column 0 table: [-1, -0.5, 0.5, 1]    column 1 table: [0, 10, 20, 30]
  //   codes [[0, 3], [3, 1], [2, 0]]  ->  [[-1, 30], [1, 10], [0.5, 0]]
  %a = qsl.constant values(dense<[[0, 3], [3, 1], [2, 0]]> : tensor<3x2xi2>)
                    codebook(dense<[[[-1.0, -0.5, 0.5, 1.0], [0.0, 10.0, 20.0, 30.0]]]> : tensor<1x2x4xf16>)
       : tensor<3x2xf32, #qsl.encoding<quant = <bits = 2, scale = f16, codebook = 4>>>
  %da = qsl.unpack %a : tensor<3x2xf32, #qsl.encoding<quant = <bits = 2, scale = f16, codebook = 4>>> -> tensor<3x2xf32>
  %pa = tensor.cast %da : tensor<3x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [3, 2]
  // CHECK-NEXT: {{\[}}[-1, 30],
  // CHECK-NEXT: [1, 10],
  // CHECK-NEXT: [0.5, 0]]
  return
}
