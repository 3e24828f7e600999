// RUN: qsl-opt %s --qsl-lower-to-gpu="max-batch=4" -split-input-file -verify-diagnostics
// Above max-batch only weight-only quantization (mma.sync) and 2:4 along K
// (mma.sp) have kernels; the other facets stay on the CPU path with a
// remark that says why.

#l = #qsl.encoding<lowrank = <rank = 1, type = f32>>
func.func @lowrank_batch(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant u(dense<1.0> : tensor<2x1xf32>) v(dense<1.0> : tensor<1x4xf32>) : tensor<2x4xf32, #l>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch (outlier and low-rank facets have only the GEMV kernel)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x4xf32>, tensor<2x4xf32, #l> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// 2:4 with outliers: the outliers have no place in the sparse GEMM.
#o = #qsl.encoding<sparse = <2:4, axis = 1>, outliers = <count = 1, type = f32>>
func.func @sparse_outliers_batch(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x2xf32>) meta(dense<[[0, 1], [2, 3]]> : tensor<2x2xi2>)
         outlier_indices(dense<[3]> : tensor<1xi32>) outlier_values(dense<[2.0]> : tensor<1xf32>) : tensor<2x4xf32, #o>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch (outlier and low-rank facets have only the GEMV kernel)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x4xf32>, tensor<2x4xf32, #o> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// 4:8 is N:M along K, but the sparse tensor cores take only 2:4.
#s = #qsl.encoding<sparse = <4:8, axis = 1>>
func.func @four_eight_batch(%x: tensor<5x8xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x4xf32>) meta(dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi3>) : tensor<2x8xf32, #s>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch (above it, sparsity has a kernel only as 2:4 along K, on the sparse tensor cores)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x8xf32>, tensor<2x8xf32, #s> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}
