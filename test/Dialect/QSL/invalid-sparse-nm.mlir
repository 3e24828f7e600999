// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{N:M sparsity needs 0 < N < M, got 4:4}}
func.func @n_equals_m(%a: tensor<8x8xf32, #qsl.encoding<sparse = <4:4>>>) { return }

// -----
// expected-error @+1 {{N:M sparsity needs 0 < N < M, got 0:4}}
func.func @n_zero(%a: tensor<8x8xf32, #qsl.encoding<sparse = <0:4>>>) { return }

// -----
// expected-error @+1 {{2:4 sparsity needs axis 1 (size 6, matrix view 8x6) to be a multiple of 4}}
func.func @dim_not_multiple(%a: tensor<8x6xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>) { return }

// -----
// expected-error @+1 {{sparse axis 3 is out of range: facets see the tensor as the matrix 8x8, so the axis is 0 or 1}}
func.func @axis_out_of_range(%a: tensor<8x8xf32, #qsl.encoding<sparse = <2:4, axis = 3>>>) { return }

// -----
// A quantization group must hold whole N:M runs.
// expected-error @+1 {{quant group size 6 must be a multiple of M = 4 so that no N:M run straddles two groups}}
func.func @group_straddles_runs(%a: tensor<24x8xf32, #qsl.encoding<quant = <bits = 4, group = 6, scale = f16>, sparse = <2:4>>>) { return }
