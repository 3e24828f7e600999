// RUN: qsl-opt %s -split-input-file -verify-diagnostics

#q = #qsl.encoding<quant = <bits = 4, scale = f16>>

func.func @k_mismatch(%x: tensor<2x32xf32>, %w: tensor<64x16xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op reduction dimension mismatch: input has K = 32 but the weight has K = 64}}
  %y = qsl.matmul %x, %w : tensor<2x32xf32>, tensor<64x16xf32, #q> -> tensor<2x16xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f16>>
func.func @k_mismatch_transposed(%x: tensor<2x16xf32>, %w: tensor<16x64xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op reduction dimension mismatch: input has K = 16 but the weight has K = 64 (transpose_w)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<2x16xf32>, tensor<16x64xf32, #q> -> tensor<2x16xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 4, scale = f16>>
func.func @wrong_n(%x: tensor<2x64xf32>, %w: tensor<64x16xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op result has N = 8 but the weight has N = 16}}
  %y = qsl.matmul %x, %w : tensor<2x64xf32>, tensor<64x16xf32, #q> -> tensor<2x8xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 4, scale = f16>>
func.func @wrong_batch(%x: tensor<3x2x64xf32>, %w: tensor<64x16xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op result dimension 0 is 4 but the input has 3}}
  %y = qsl.matmul %x, %w : tensor<3x2x64xf32>, tensor<64x16xf32, #q> -> tensor<4x2x16xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 4, scale = f16>>
func.func @vector_input(%x: tensor<64xf32>, %w: tensor<64x16xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op input must have rank >= 2 ([batch..., M, K]), got 'tensor<64xf32>'}}
  %y = qsl.matmul %x, %w : tensor<64xf32>, tensor<64x16xf32, #q> -> tensor<16xf32>
  return
}

// -----
#q = #qsl.encoding<quant = <bits = 4, scale = f16>>
func.func @result_type(%x: tensor<2x64xf32>, %w: tensor<64x16xf32, #q>) {
  // expected-error @+1 {{'qsl.matmul' op result element type 'f16' must match the input element type 'f32'}}
  %y = qsl.matmul %x, %w : tensor<2x64xf32>, tensor<64x16xf32, #q> -> tensor<2x16xf16>
  return
}

// -----
func.func @dense_weight(%x: tensor<2x64xf32>, %w: tensor<64x16xf32>) {
  // expected-error @+1 {{'qsl.matmul' op operand #1 must be ranked tensor of floats with a #qsl.encoding, but got 'tensor<64x16xf32>'}}
  %y = qsl.matmul %x, %w : tensor<2x64xf32>, tensor<64x16xf32> -> tensor<2x16xf32>
  return
}
