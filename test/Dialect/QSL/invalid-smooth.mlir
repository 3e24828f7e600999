// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{qsl.encoding needs at least one facet (quant, sparse, outliers or lowrank); smooth only scales the others}}
func.func @smooth_alone(%a: tensor<8x8xf32, #qsl.encoding<smooth = <type = f16>>>) { return }

// -----
// expected-error @+1 {{smooth axis 2 is out of range: facets see the tensor as a matrix, so the axis is 0 or 1}}
func.func @smooth_axis(%a: tensor<8x8x2xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, smooth = <axis = 2, type = f16>>>) { return }

// -----
// expected-error @+1 {{smooth type must be a float type, got 'i8'}}
func.func @smooth_type(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, smooth = <type = i8>>>) { return }

// -----
// expected-error @+1 {{qsl.encoding facet 'smooth' is given twice}}
func.func @smooth_twice(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, smooth = <type = f16>, smooth = <type = f32>>>) { return }

// -----
// The multipliers run along the smooth axis: 4 columns of the 8x4 matrix.
func.func @smooth_storage_shape() {
  // expected-error @+1 {{'smooth' storage has type 'tensor<8xf16>' but the encoding requires 'tensor<4xf16>'}}
  %w = qsl.constant values(dense<1> : tensor<8x4xi4>) scales(dense<1.0> : tensor<1x4xf16>)
                    smooth(dense<1.0> : tensor<8xf16>)
       : tensor<8x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, smooth = <axis = 1, type = f16>>>
  return
}

// -----
func.func @smooth_storage_missing() {
  // expected-error @+1 {{is missing 'smooth' storage required by the encoding (expected 'tensor<8xf16>')}}
  %w = qsl.constant values(dense<1> : tensor<8x4xi4>) scales(dense<1.0> : tensor<1x4xf16>)
       : tensor<8x4xf32, #qsl.encoding<quant = <bits = 4, scale = f16>, smooth = <type = f16>>>
  return
}
