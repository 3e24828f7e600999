// RUN: qsl-opt %s -split-input-file -verify-diagnostics

func.func @missing_scales() {
  // expected-error @+1 {{'qsl.constant' op is missing 'scales' storage required by the encoding (expected 'tensor<1x4xf16>')}}
  %w = qsl.constant values(dense<1> : tensor<4x4xi4>)
       : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>
  return
}

// -----
func.func @unused_zeros() {
  // expected-error @+1 {{'qsl.constant' op has 'zeros' storage, which the encoding does not use}}
  %w = qsl.constant values(dense<1> : tensor<4x4xi4>) scales(dense<1.0> : tensor<1x4xf16>)
                    zeros(dense<8> : tensor<1x4xi4>)
       : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>
  return
}

// -----
func.func @group_scales_wrong_shape() {
  // Group 2 along axis 0 of a 4x4 tensor needs 2x4 scales.
  // expected-error @+1 {{'qsl.constant' op 'scales' storage has type 'tensor<4x4xf16>' but the encoding requires 'tensor<2x4xf16>'}}
  %w = qsl.constant values(dense<1> : tensor<4x4xi4>) scales(dense<1.0> : tensor<4x4xf16>)
       : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, group = 2, scale = f16>>>
  return
}

// -----
func.func @codes_wrong_width() {
  // expected-error @+1 {{'qsl.constant' op 'values' storage has type 'tensor<4x4xi8>' but the encoding requires 'tensor<4x4xi4>'}}
  %w = qsl.constant values(dense<1> : tensor<4x4xi8>) scales(dense<1.0> : tensor<1x4xf16>)
       : tensor<4x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>>>
  return
}

// -----
func.func @nm_values_not_compressed() {
  // 2:4 along axis 0 keeps half of dimension 0: values are 2x4, not 4x4.
  // expected-error @+1 {{'qsl.constant' op 'values' storage has type 'tensor<4x4xf32>' but the encoding requires 'tensor<2x4xf32>'}}
  %w = qsl.constant values(dense<1.0> : tensor<4x4xf32>) meta(dense<0> : tensor<2x4xi2>)
       : tensor<4x4xf32, #qsl.encoding<sparse = <2:4>>>
  return
}

// -----
func.func @nm_meta_width() {
  // expected-error @+1 {{'qsl.constant' op 'meta' storage has type 'tensor<2x4xi8>' but the encoding requires 'tensor<2x4xi2>'}}
  %w = qsl.constant values(dense<1.0> : tensor<2x4xf32>) meta(dense<0> : tensor<2x4xi8>)
       : tensor<4x4xf32, #qsl.encoding<sparse = <2:4>>>
  return
}

// -----
func.func @lowrank_factor_shape() {
  // expected-error @+1 {{'qsl.constant' op 'v' storage has type 'tensor<2x8xf16>' but the encoding requires 'tensor<2x4xf16>'}}
  %w = qsl.constant u(dense<1.0> : tensor<8x2xf16>) v(dense<1.0> : tensor<2x8xf16>)
       : tensor<8x4xf32, #qsl.encoding<lowrank = <rank = 2, type = f16>>>
  return
}

// -----
func.func @outlier_index_type() {
  // expected-error @+1 {{'qsl.constant' op 'outlier_indices' storage has type 'tensor<2xi64>' but the encoding requires 'tensor<2xi32>'}}
  %w = qsl.constant outlier_indices(dense<[1, 2]> : tensor<2xi64>) outlier_values(dense<1.0> : tensor<2xf16>)
       : tensor<8x4xf32, #qsl.encoding<outliers = <count = 2, type = f16>>>
  return
}

// -----
func.func @dense_result() {
  // expected-error @+1 {{'qsl.constant' op result #0 must be ranked tensor of floats with a #qsl.encoding, but got 'tensor<4xf32>'}}
  %w = qsl.constant values(dense<1.0> : tensor<4xf32>) : tensor<4xf32>
  return
}
