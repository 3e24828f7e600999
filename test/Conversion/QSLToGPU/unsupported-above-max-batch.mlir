// RUN: qsl-opt %s --qsl-lower-to-gpu="max-batch=4" -split-input-file -verify-diagnostics
// Above max-batch the tensor-core kernels need a main term (quantized, or
// 2:4 along K for mma.sp), to which they add outliers and low rank, or a
// weight that is low rank alone (two GEMMs on its factors); outliers (with
// or without low rank) take the CSC kernel; the rest stays on the CPU path
// with a remark that says why.

// 4:8 is N:M along K, but the sparse tensor cores take only 2:4.
#s = #qsl.encoding<sparse = <4:8, axis = 1>>
func.func @four_eight_batch(%x: tensor<5x8xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x4xf32>) meta(dense<[[0, 1, 2, 3], [4, 5, 6, 7]]> : tensor<2x4xi3>) : tensor<2x8xf32, #s>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: batch 5 exceeds max-batch (above it, sparsity has a kernel only as 2:4 along K, on the sparse tensor cores)}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x8xf32>, tensor<2x8xf32, #s> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}

// -----

// A convolution's outliers and low rank are added to the stores of its
// main term's tensor-core kernel (a filter that is only low rank runs as
// two GEMMs, scattered entries on the CSC kernel); a grouped (here
// depthwise) one gathers its group's channels for outliers and scattered
// entries, but its low rank (a t per group) and N:M sparsity (which its
// CUDA-core kernel does not decode) stay on the CPU.
#d = #qsl.encoding<quant = <bits = 8, axis = 1, scale = f32>, lowrank = <rank = 1, type = f32>>
func.func @depthwise_lowrank(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  %w = qsl.constant values(dense<1> : tensor<2x9xi8>) scales(dense<1.0> : tensor<2x1xf32>) u(dense<1.0> : tensor<2x1xf32>) v(dense<1.0> : tensor<1x9xf32>) : tensor<2x1x3x3xf32, #d>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: grouped convolution (groups = 2) with a low-rank facet has no GPU kernel yet}}
  %y = qsl.conv2d %x, %w {groups = 2} : tensor<1x2x4x4xf32>, tensor<2x1x3x3xf32, #d> -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

#g = #qsl.encoding<sparse = <2:4, axis = 1>>
func.func @grouped_24(%x: tensor<1x8x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x2xf16>) meta(dense<[[0, 1], [0, 1]]> : tensor<2x2xi2>) : tensor<2x4x1x1xf16, #g>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: grouped convolution (groups = 2) with N:M sparsity has no GPU kernel yet}}
  %y = qsl.conv2d %x, %w {groups = 2} : tensor<1x8x4x4xf32>, tensor<2x4x1x1xf16, #g> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A run of 4 that keeps position 1 twice: the reference lowering keeps the
// later value, the kernels would add both; it stays on the CPU path (for
// the composed GEMV too, see unsupported.mlir).
#r = #qsl.encoding<sparse = <2:4, axis = 1>>
func.func @repeated_position(%x: tensor<5x4xf32>) -> tensor<5x2xf32> {
  %w = qsl.constant values(dense<1.0> : tensor<2x2xf32>) meta(dense<[[1, 1], [0, 3]]> : tensor<2x2xi2>) : tensor<2x4xf32, #r>
  // expected-remark @below {{qsl-lower-to-gpu: left on the CPU path: the N:M metadata repeats a position inside a run}}
  %y = qsl.matmul %x, %w transpose_w : tensor<5x4xf32>, tensor<2x4xf32, #r> -> tensor<5x2xf32>
  return %y : tensor<5x2xf32>
}
