// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// qsl.matmul in its ONNX forms: plain, transposed weight, batched input and a
// dynamic batch through a function whose encoded weight argument is passed
// as its side tensors.

func.func private @printMemrefF32(tensor<*xf32>)

// W = [[1, 0], [0, 2], [1, -2]]: codes [[1,0],[0,1],[1,-1]], column scales [1, 2].
#w = #qsl.encoding<quant = <bits = 4, scale = f32>>
// The same W stored transposed ([N, K]) with one scale per row.
#wt = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f32>>

func.func @apply(%x: tensor<?x3xf32>, %w: tensor<3x2xf32, #w>) -> tensor<?x2xf32> {
  %y = qsl.matmul %x, %w : tensor<?x3xf32>, tensor<3x2xf32, #w> -> tensor<?x2xf32>
  return %y : tensor<?x2xf32>
}

func.func @main() {
  %x = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %w = qsl.constant values(dense<[[1, 0], [0, 1], [1, -1]]> : tensor<3x2xi4>)
                    scales(dense<[[1.0, 2.0]]> : tensor<1x2xf32>) : tensor<3x2xf32, #w>
  %wt = qsl.constant values(dense<[[1, 0, 1], [0, 1, -1]]> : tensor<2x3xi4>)
                     scales(dense<[[1.0], [2.0]]> : tensor<2x1xf32>) : tensor<2x3xf32, #wt>

  // x·W = [[1+3, 4-6], [4+6, 10-12]] = [[4, -2], [10, -2]]
  %a = qsl.matmul %x, %w : tensor<2x3xf32>, tensor<3x2xf32, #w> -> tensor<2x2xf32>
  %pa = tensor.cast %a : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[4, -2],
  // CHECK-NEXT: [10, -2]]

  %b = qsl.matmul %x, %wt transpose_w : tensor<2x3xf32>, tensor<2x3xf32, #wt> -> tensor<2x2xf32>
  %pb = tensor.cast %b : tensor<2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[4, -2],
  // CHECK-NEXT: [10, -2]]

  %xb = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 1, 3] : tensor<2x3xf32> into tensor<2x1x3xf32>
  %c = qsl.matmul %xb, %w : tensor<2x1x3xf32>, tensor<3x2xf32, #w> -> tensor<2x1x2xf32>
  %pc = tensor.cast %c : tensor<2x1x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 1, 2]
  // CHECK-NEXT: {{\[}}{{\[}}[4, -2]],
  // CHECK-NEXT: {{\[}}[10, -2]]]

  %xd = tensor.cast %x : tensor<2x3xf32> to tensor<?x3xf32>
  %d = call @apply(%xd, %w) : (tensor<?x3xf32>, tensor<3x2xf32, #w>) -> tensor<?x2xf32>
  %pd = tensor.cast %d : tensor<?x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [2, 2]
  // CHECK-NEXT: {{\[}}[4, -2],
  // CHECK-NEXT: [10, -2]]
  return
}
