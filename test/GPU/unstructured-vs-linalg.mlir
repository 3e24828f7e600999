// Weights kept as scattered entries on the CSC kernel (qsl_csc, a thread
// per output element summing its column's entries): unstructured sparsity
// with empty columns, unstructured + outliers with f16 I/O, outliers alone
// above max-batch with a fused bias and ReLU, block sparsity, int4 and
// codebook codes dequantized into the CSC table; unstructured sparsity,
// outliers alone and block sparsity also next to a low-rank facet (its term
// added to the CSC kernel's stores); against the
// qsl-lower-to-linalg reference on the CPU. Module from
// Inputs/gen_unstructured.py. Runs on the GPU where lit finds one, else on
// the SIMT emulator (qsl-gpu-emulate; docs/codegen/gpu-emulator.md).
// printMemref prints 6 significant digits, hence rtol 1e-4.
// RUN: %python %S/Inputs/gen_unstructured.py > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-cpu-reference-pipeline | %run_cpu > %t.cpu
// RUN: qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=%gpu_format" \
// RUN:   %gpu_host_lowering | %run_gpu > %t.gpu
// RUN: %python %S/Inputs/compare_printed.py %t.cpu %t.gpu --rtol 1e-4 --atol 1e-5
// Every case is one CSC kernel, the epilogue inside it; ptxas takes them.
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu | FileCheck %s
// RUN: %if ptxas %{ qsl-opt %t.mlir --qsl-gpu-pipeline="chip=sm_90 format=bin" -o %t.bin.mlir %}
// CHECK-LABEL: func.func @unstr40_t
// 3 x 24 outputs: one block of 128 threads.
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_0 blocks in (%c1{{(_[0-9]+)?}}, %c1, %c1) threads in (%c128,
// CHECK-LABEL: func.func @unstr_outl_f16
// 20 x 36 outputs: 6 blocks.
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_1 blocks in (%c6
// CHECK-LABEL: func.func @outl_batch12_relu
// CHECK-NOT: linalg.generic
// 12 x 30 outputs: 3 blocks.
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_2 blocks in (%c3
// CHECK-NOT: linalg.generic
// CHECK: return
// With a low-rank facet: t = x . A_in^T first (qsl_lrgemm, [M, rank] f32),
// then the CSC kernel, which reads it (and B_out) to add t . B_out to each
// store, before the fused bias and ReLU.
// CHECK-LABEL: func.func @unstr_lr_b4
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_6 {{.*}} args(%[[X:.*]] : memref<4x48xf32>, %[[T:.*]] : memref<4x3xf32>)
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_6 {{.*}} args(%[[X]] : memref<4x48xf32>, %[[T]] : memref<4x3xf32>
// CHECK-LABEL: func.func @outl_lr_b16
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_7
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_7
// CHECK-LABEL: func.func @block_lr_relu
// CHECK-NOT: linalg.generic
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_8
// CHECK: gpu.launch_func @qsl_kernels::@qsl_csc_8
// CHECK-NOT: linalg.generic
// CHECK: return
