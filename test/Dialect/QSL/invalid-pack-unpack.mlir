// RUN: qsl-opt %s -split-input-file -verify-diagnostics

#e = #qsl.encoding<sparse = <2:4>>

func.func @pack_shape(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'qsl.pack' op dense type 'tensor<4x8xf32>' must have the shape and element type of the encoded type 'tensor<8x8xf32, #qsl.encoding<sparse = <2:4>>>'}}
  %e = qsl.pack %x : tensor<4x8xf32> -> tensor<8x8xf32, #e>
  return
}

// -----
#e = #qsl.encoding<sparse = <2:4>>
func.func @unpack_element_type(%w: tensor<8x8xf32, #e>) {
  // expected-error @+1 {{'qsl.unpack' op dense type 'tensor<8x8xf16>' must have the shape and element type of the encoded type}}
  %d = qsl.unpack %w : tensor<8x8xf32, #e> -> tensor<8x8xf16>
  return
}

// -----
#e = #qsl.encoding<sparse = <2:4>>
func.func @unpack_to_encoded(%w: tensor<8x8xf32, #e>) {
  // expected-error @+1 {{'qsl.unpack' op result #0 must be ranked tensor of floats without encoding}}
  %d = qsl.unpack %w : tensor<8x8xf32, #e> -> tensor<8x8xf32, #e>
  return
}

// -----
func.func @pack_to_dense(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'qsl.pack' op result #0 must be ranked tensor of floats with a #qsl.encoding}}
  %e = qsl.pack %x : tensor<8x8xf32> -> tensor<8x8xf32>
  return
}
