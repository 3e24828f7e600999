// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// f16 matmul accumulates in f32 and rounds once: 2048 + 1 + 1 = 2050 is an
// f16, but adding in f16 gives 2048 (2049 rounds to even at spacing 2).

func.func private @printMemrefF16(tensor<*xf16>) attributes {llvm.emit_c_interface}

#w = #qsl.encoding<quant = <bits = 2, scale = f16>>

func.func @main() {
  %x = arith.constant dense<[[2048.0, 1.0, 1.0]]> : tensor<1x3xf16>
  %w = qsl.constant values(dense<[[1], [1], [1]]> : tensor<3x1xi2>)
                    scales(dense<[[1.0]]> : tensor<1x1xf16>) : tensor<3x1xf16, #w>
  %y = qsl.matmul %x, %w : tensor<1x3xf16>, tensor<3x1xf16, #w> -> tensor<1x1xf16>
  %p = tensor.cast %y : tensor<1x1xf16> to tensor<*xf16>
  call @printMemrefF16(%p) : (tensor<*xf16>) -> ()
  // CHECK: sizes = [1, 1]
  // CHECK-NEXT: {{\[}}[2050]]
  return
}
