// REQUIRES: cuda-runtime
// qsl.conv2d as implicit GEMMs on the tensor-core kernels (mma.sync for
// quantized filters, mma.sp for 2:4) on the GPU against the
// qsl-lower-to-linalg reference on the CPU: stride 2 with padding on every
// side, dilation 2 with uneven padding, a 1x1 convolution with a fused bias
// and ReLU, int4 + 2:4 with 'same' padding; and grouped convolutions on
// CUDA cores (qsl_gconv): depthwise 3x3 with stride 2, bias and ReLU, and
// two groups with uneven padding and strides. The module comes from
// Inputs/gen_conv.py (fixed seed, data exact in f16); printMemref prints 6
// digits, hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_conv.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=bin" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries" --gpu-async-region \
// RUN:   --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm \
// RUN:   --expand-strided-metadata --finalize-memref-to-llvm --lower-affine \
// RUN:   --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm \
// RUN:   --reconcile-unrealized-casts \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:   -shared-libs=%qsl_cuda_runtime,%mlir_runner_libs > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
