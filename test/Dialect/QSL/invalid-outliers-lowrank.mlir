// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{outliers count must be positive, got 0}}
func.func @zero_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 0, type = f16>>>) { return }

// -----
// expected-error @+1 {{outliers count 65 exceeds the 64 elements of the tensor}}
func.func @too_many_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 65, type = f16>>>) { return }

// -----
// expected-error @+1 {{outliers type must be a float type, got 'i16'}}
func.func @integer_outliers(%a: tensor<8x8xf32, #qsl.encoding<outliers = <count = 4, type = i16>>>) { return }

// -----
// expected-error @+1 {{lowrank rank must be positive, got 0}}
func.func @rank_zero(%a: tensor<8x8xf32, #qsl.encoding<lowrank = <rank = 0, type = f16>>>) { return }

// -----
// expected-error @+1 {{lowrank rank 8 must be smaller than min(rows, cols) = 8 of the matrix view 8x16}}
func.func @rank_not_low(%a: tensor<8x16xf32, #qsl.encoding<lowrank = <rank = 8, type = f16>>>) { return }

// -----
// The conv-filter matrix view is [O, I*kh*kw] = [4, 18].
// expected-error @+1 {{lowrank rank 4 must be smaller than min(rows, cols) = 4 of the matrix view 4x18}}
func.func @rank_not_low_conv(%a: tensor<4x2x3x3xf32, #qsl.encoding<lowrank = <rank = 4, type = f16>>>) { return }

// -----
// expected-error @+1 {{lowrank requires a tensor of rank >= 2}}
func.func @lowrank_vector(%a: tensor<16xf32, #qsl.encoding<lowrank = <rank = 2, type = f16>>>) { return }

// -----
// expected-error @+1 {{lowrank factor type must be a float type, got 'i8'}}
func.func @integer_factors(%a: tensor<8x8xf32, #qsl.encoding<lowrank = <rank = 2, type = i8>>>) { return }
