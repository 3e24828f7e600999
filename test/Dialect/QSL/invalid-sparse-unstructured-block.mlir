// RUN: qsl-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{unstructured sparsity keeps nnz = 65 of only 64 elements}}
func.func @too_many_nnz(%a: tensor<8x8xf32, #qsl.encoding<sparse = <unstructured, nnz = 65>>>) { return }

// -----
// expected-error @+1 {{unstructured sparsity needs nnz >= 1, got 0}}
func.func @zero_nnz(%a: tensor<8x8xf32, #qsl.encoding<sparse = <unstructured, nnz = 0>>>) { return }

// -----
// expected-error @+1 {{sparse block 3x4 does not tile the matrix view 8x8}}
func.func @block_does_not_tile(%a: tensor<8x8xf32, #qsl.encoding<sparse = <block = 3x4, nnz = 1>>>) { return }

// -----
// expected-error @+1 {{block sparsity keeps nnz = 5 of only 4 blocks}}
func.func @too_many_blocks(%a: tensor<8x8xf32, #qsl.encoding<sparse = <block = 4x4, nnz = 5>>>) { return }

// -----
// expected-error @+1 {{block sparsity requires a tensor of rank >= 2}}
func.func @block_rank1(%a: tensor<16xf32, #qsl.encoding<sparse = <block = 4x4, nnz = 1>>>) { return }

// -----
// expected-error @+1 {{expected a block shape RxC}}
func.func @block_shape_1d(%a: tensor<8x8xf32, #qsl.encoding<sparse = <block = 4, nnz = 1>>>) { return }
