// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{quant bits must be in [2, 8], got 1}}
func.func @bits_too_small(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 1, scale = f32>>>) { return }

// -----
// expected-error @+1 {{quant bits must be in [2, 8], got 9}}
func.func @bits_too_large(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 9, scale = f32>>>) { return }

// -----
// expected-error @+1 {{quant scale type must be a float type, got 'i8'}}
func.func @integer_scale(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, scale = i8>>>) { return }

// -----
// expected-error @+1 {{quant group size 48 does not divide axis 0 of size 128 (matrix view 128x8)}}
func.func @group_does_not_divide(%a: tensor<128x8xf32, #qsl.encoding<quant = <bits = 4, group = 48, scale = f16>>>) { return }

// -----
// A conv filter [O, I, kh, kw] is the matrix [O, I*kh*kw]: the axis is 0 or 1.
// expected-error @+1 {{quant axis 2 is out of range: facets see the tensor as the matrix 8x36, so the axis is 0 or 1}}
func.func @axis_out_of_range(%a: tensor<8x4x3x3xf32, #qsl.encoding<quant = <bits = 4, axis = 2, scale = f16>>>) { return }

// -----
// Groups run along the flattened I*kh*kw = 36 columns of a conv filter.
// expected-error @+1 {{quant group size 8 does not divide axis 1 of size 36 (matrix view 8x36)}}
func.func @conv_group(%a: tensor<8x4x3x3xf32, #qsl.encoding<quant = <bits = 4, axis = 1, group = 8, scale = f16>>>) { return }

// -----
// expected-error @+1 {{quant group size must be non-negative (0 means per-channel), got -4}}
func.func @negative_group(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, group = -4, scale = f16>>>) { return }

// -----
// expected-error @+1 {{quant codebook size must be in [2, 2^bits = 8], got 16}}
func.func @codebook_too_large(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 3, scale = f16, codebook = 16>>>) { return }

// -----
// expected-error @+1 {{a zero-point type cannot be combined with a codebook}}
func.func @codebook_with_zero(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4, scale = f16, zero = i4, codebook = 16>>>) { return }

// -----
// expected-error @+1 {{struct is missing required parameter: scale}}
func.func @missing_scale(%a: tensor<8x8xf32, #qsl.encoding<quant = <bits = 4>>>) { return }
