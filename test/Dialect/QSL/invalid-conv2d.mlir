// RUN: qsl-opt %s -split-input-file -verify-diagnostics

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>

func.func @channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op input has 4 channels, which with 1 group(s) needs a filter with 4 input channels, got 3}}
  %y = qsl.conv2d %x, %w : tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32, #q> -> tensor<1x8x6x6xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @groups_output(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op filter has 6 output channels, not divisible by groups = 4}}
  %y = qsl.conv2d %x, %w {groups = 4 : i64} : tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32, #q> -> tensor<1x6x6x6xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @spatial(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op result spatial dimension 0 is 8 but should be 4}}
  %y = qsl.conv2d %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>} : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32, #q> -> tensor<1x8x8x8xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @strides(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op strides must be two positive integers}}
  %y = qsl.conv2d %x, %w {strides = array<i64: 0, 1>} : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32, #q> -> tensor<1x8x6x6xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @pads(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op pads must be four non-negative integers [top, left, bottom, right]}}
  %y = qsl.conv2d %x, %w {pads = array<i64: 1, 1>} : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32, #q> -> tensor<1x8x6x6xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @kernel_too_large(%x: tensor<1x4x2x2xf32>, %w: tensor<8x4x3x3xf32, #q>) {
  // expected-error @+1 {{'qsl.conv2d' op padded input size 2 is smaller than the dilated kernel 3 in spatial dimension 0}}
  %y = qsl.conv2d %x, %w : tensor<1x4x2x2xf32>, tensor<8x4x3x3xf32, #q> -> tensor<1x8x1x1xf32>
  return
}
