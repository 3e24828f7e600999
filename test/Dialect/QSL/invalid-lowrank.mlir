// RUN: qsl-opt %s -split-input-file -verify-diagnostics

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

// -----
// A vector [n] is the matrix [n, 1]: no rank is low enough.
// expected-error @+1 {{lowrank requires a tensor of rank >= 2}}
func.func @vector(%a: tensor<64xf32, #qsl.encoding<lowrank = <rank = 1, type = f16>>>) { return }

// -----
// expected-error @+1 {{unexpected 'count' in lowrank facet; expected 'rank' and 'type', once each}}
func.func @wrong_key(%a: tensor<8x8xf32, #qsl.encoding<lowrank = <count = 2, type = f16>>>) { return }

// -----
// expected-error @+1 {{lowrank facet is missing 'rank'}}
func.func @missing_rank(%a: tensor<8x8xf32, #qsl.encoding<lowrank = <type = f16>>>) { return }
