// RUN: qsl-opt %s --qsl-lower-to-gpu="max-batch=4 tensor-cores=false" -split-input-file -verify-diagnostics

// Matmuls the GEMV kernel does not cover stay on the CPU path with a remark.
#q = #qsl.encoding<quant = <bits = 3, axis = 1, scale = f32>>
func.func @three_bit(%x: tensor<1x8xf32>, %w: tensor<4x8xf32, #q>) -> tensor<1x4xf32> {
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: weight is not a qsl.constant}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x8xf32>, tensor<4x8xf32, #q> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f32>>
func.func @batch(%x: tensor<5x8xf32>) -> tensor<5x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x8xi4>) scales(dense<1.0> : tensor<4x1xf32>) : tensor<4x8xf32, #q>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch and tensor-cores=false}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x8xf32>, tensor<4x8xf32, #q> -> tensor<5x4xf32>
  return %y : tensor<5x4xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 4, axis = 0, scale = f32>>
func.func @groups_across_n(%x: tensor<1x8xf32>) -> tensor<1x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x8xi4>) scales(dense<1.0> : tensor<1x8xf32>) : tensor<4x8xf32, #q>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: quantization groups do not run along K}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x8xf32>, tensor<4x8xf32, #q> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 4, axis = 1, scale = f32>, sparse = <2:4, axis = 1>>
func.func @sparse(%x: tensor<1x8xf32>, %w: tensor<4x8xf32, #q>) -> tensor<1x4xf32> {
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: weight is not a qsl.constant}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x8xf32>, tensor<4x8xf32, #q> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

// Unstructured and block sparsity run on the CSC kernel (float values or
// codes dequantized into its table); a low-rank term next to them needs the
// tensor cores (t = x . A_in^T), off here.
#e = #qsl.encoding<sparse = <unstructured, nnz = 8>, lowrank = <rank = 1, type = f32>>
func.func @unstructured_lowrank(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<8xf32>) mask(dense<true> : tensor<2x4xi1>) u(dense<1.0> : tensor<2x1xf32>) v(dense<1.0> : tensor<1x4xf32>) : tensor<2x4xf32, #e>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: a low-rank facet next to unstructured or block sparsity needs tensor-cores (for t = x . A_in^T)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x4xf32>, tensor<2x4xf32, #e> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// 2:4 along N (axis 0 of a transposed weight) is not along K.
#e = #qsl.encoding<sparse = <2:4, axis = 0>>
func.func @nm_along_n(%x: tensor<1x2xf32>) -> tensor<1x4xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x2xf32>) meta(dense<[[0, 1], [2, 3]]> : tensor<2x2xi2>) : tensor<4x2xf32, #e>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: sparsity other than N:M along K has no GPU kernel yet}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x2xf32>, tensor<4x2xf32, #e> -> tensor<1x4xf32>
  return %y : tensor<1x4xf32>
}

// -----

#l = #qsl.encoding<lowrank = <rank = 1, type = f32>>
func.func @lowrank_batch(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant u(dense<1.0> : tensor<2x1xf32>) v(dense<1.0> : tensor<1x4xf32>) : tensor<2x4xf32, #l>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch and tensor-cores=false}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x4xf32>, tensor<2x4xf32, #l> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

#q = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>>
func.func @conv_no_tensor_cores(%x: tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %w = qsl.constant values(dense<1> : tensor<4x2xi8>) scales(dense<1.0> : tensor<4x1xf32>) : tensor<4x2x1x1xf32, #q>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: a convolution (implicit GEMM of 16 rows: tensor-core kernels only) and tensor-cores=false}}
  %y = qsl.conv2d %x, %w : tensor<1x2x4x4xf32>, tensor<4x2x1x1xf32, #q> -> tensor<1x4x4x4xf32>
  return %y : tensor<1x4x4x4xf32>
}

// -----

// A repeated N:M position (the reference keeps the later value) also stays
// off the composed GEMV.
#r = #qsl.encoding<sparse = <2:4, axis = 1>>
func.func @repeated_position_gemv(%x: tensor<1x4xf32>) -> tensor<1x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x2xf32>) meta(dense<[[2, 2], [0, 3]]> : tensor<2x2xi2>) : tensor<2x4xf32, #r>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: the N:M metadata repeats a position inside a run}}
  %y = qsl.matmul %x, %w transpose_w : tensor<1x4xf32>, tensor<2x4xf32, #r> -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}
