// RUN: qsl-opt %s -split-input-file -verify-diagnostics
// Malformed encodings are rejected while parsing, with the expected form.

// expected-error @+1 {{expected a sparsity pattern: 'N:M' (e.g. 2:4), 'unstructured, nnz = K' or 'block = RxC, nnz = K'}}
func.func @dash(%a: tensor<8x8xf32, #qsl.encoding<sparse = <2-4>>>) { return }

// -----
// expected-error @+1 {{expected a sparsity pattern}}
func.func @unknown_kind(%a: tensor<8x8xf32, #qsl.encoding<sparse = <structured>>>) { return }

// -----
// expected-error @+1 {{expected ', nnz = <count>' after 'unstructured': the number of kept elements fixes the storage shape}}
func.func @unstructured_without_nnz(%a: tensor<8x8xf32, #qsl.encoding<sparse = <unstructured>>>) { return }

// -----
// expected-error @+1 {{expected ', nnz = <count>' after 'block': the number of kept blocks fixes the storage shape}}
func.func @block_without_nnz(%a: tensor<8x8xf32, #qsl.encoding<sparse = <block = 4x4>>>) { return }

// -----
// expected-error @+1 {{expected 'axis'}}
func.func @misspelled_axis(%a: tensor<8x8xf32, #qsl.encoding<sparse = <2:4, axes = 1>>>) { return }

// -----
// expected-error @+1 {{expected '='}}
func.func @missing_equal(%a: tensor<8x8xf32, #qsl.encoding<quant <bits = 4, scale = f16>>>) { return }
