// qsl.conv2d as implicit GEMMs on the tensor-core kernels (mma.sync for
// quantized filters, mma.sp for 2:4) on the GPU against the
// qsl-lower-to-linalg reference on the CPU: stride 2 with padding on every
// side, dilation 2 with uneven padding, a 1x1 convolution with a fused bias
// and ReLU, int4 + 2:4 with 'same' padding; and grouped convolutions on
// CUDA cores (qsl_gconv): depthwise 3x3 with stride 2, bias and ReLU, and
// two groups with uneven padding and strides; outliers and low rank added
// to the stores of the [N, W] GEMM, the packed GEMM (with bias and ReLU
// after them) and mma.sp; filters that are only low rank (two GEMMs, the
// second a 1x1 convolution of t); scattered entries on the CSC kernel; a
// depthwise filter with outliers and three groups with scattered entries
// (their group's channels); 1x1 convolutions over several row blocks whose
// images are staged in shared memory K-major (int4 and float 2:4, f16 and
// f32), and 3x3 / 5x5 ones with f32 images whose implicit im2col tiles are
// gathered into shared memory per element. The module comes from
// Inputs/gen_conv.py (fixed seed, data exact in f16); printMemref prints 6
// digits, hence rtol 1e-4.
// Runs on the GPU where lit finds one, else on the SIMT emulator
// (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// RUN: %python %S/Inputs/gen_conv.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
