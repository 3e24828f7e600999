// RUN: qsl-opt %s --qsl-cpu-reference-pipeline | %run_cpu | FileCheck %s
// qsl.conv2d with ONNX Conv semantics: padding, stride, dilation, groups.

func.func private @printMemrefF32(tensor<*xf32>)

// Filter [[1, 0], [0, -1]] as 4-bit codes with one scale per output channel
// (matrix view [O=1, I*kh*kw=4], per-channel along axis 1).
#f = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f32>>

func.func @main() {
  %x = arith.constant dense<[[[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]]]> : tensor<1x1x3x3xf32>
  %w = qsl.constant values(dense<[[1, 0, 0, -1]]> : tensor<1x4xi4>)
                    scales(dense<[[1.0]]> : tensor<1x1xf32>) : tensor<1x1x2x2xf32, #f>

  // out[i][j] = x[i][j] - x[i+1][j+1] = -4 everywhere.
  %a = qsl.conv2d %x, %w : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32, #f> -> tensor<1x1x2x2xf32>
  %pa = tensor.cast %a : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pa) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 1, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[-4, -4],
  // CHECK-NEXT: [-4, -4]]]]

  // Zero padding 1, stride 2 on the 5x5 padded input p:
  //   p[0][0]-p[1][1] = -1, p[0][2]-p[1][3] = -3, p[2][0]-p[3][1] = -7, p[2][2]-p[3][3] = 5-9 = -4
  %b = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>}
       : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32, #f> -> tensor<1x1x2x2xf32>
  %pb = tensor.cast %b : tensor<1x1x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pb) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 1, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[-1, -3],
  // CHECK-NEXT: [-7, -4]]]]

  // Dilation 2: a single output x[0][0] - x[2][2] = -8.
  %c = qsl.conv2d %x, %w {dilations = array<i64: 2, 2>}
       : tensor<1x1x3x3xf32>, tensor<1x1x2x2xf32, #f> -> tensor<1x1x1x1xf32>
  %pc = tensor.cast %c : tensor<1x1x1x1xf32> to tensor<*xf32>
  call @printMemrefF32(%pc) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 1, 1, 1]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[-8]]]]

  // Depthwise (groups = 2) 1x1 filters [2] and [-1], stored as outliers only.
  %y = arith.constant dense<[[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]]> : tensor<1x2x2x2xf32>
  %dw = qsl.constant outlier_indices(dense<[0, 1]> : tensor<2xi32>)
                     outlier_values(dense<[2.0, -1.0]> : tensor<2xf32>)
        : tensor<2x1x1x1xf32, #qsl.encoding<outliers = <count = 2, type = f32>>>
  %d = qsl.conv2d %y, %dw {groups = 2 : i64}
       : tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32, #qsl.encoding<outliers = <count = 2, type = f32>>> -> tensor<1x2x2x2xf32>
  %pd = tensor.cast %d : tensor<1x2x2x2xf32> to tensor<*xf32>
  call @printMemrefF32(%pd) : (tensor<*xf32>) -> ()
  // CHECK: sizes = [1, 2, 2, 2]
  // CHECK-NEXT: {{\[}}{{\[}}{{\[}}[2, 4],
  // CHECK-NEXT: [6, 8]],
  // CHECK-NEXT: {{\[}}[-5, -6],
  // CHECK-NEXT: [-7, -8]]]]
  return
}
