// RUN: %python %S/../../GPU/Inputs/gen_corrected.py --ptx-only > %t.mlir
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu | FileCheck %s
// RUN: qsl-opt %t.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s --check-prefix=ARGS
// Composed weights above max-batch: the tensor-core kernel takes the main
// term, qsl_lrgemm computes t = x A_in^T first (the mma.sync GEMM on an
// f16 table of A_in), and every stored value gets
// the column's outliers and t[row, :] . B_out[col, :] added before its
// store (the kernels come from the GPU execution test's generator).

// CHECK-LABEL: func.func @int4_outl_lr_t(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_0
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0 {{.*}} args(%{{.*}} : memref<20x48xf32>, %{{.*}} : memref<20x4xf32>, %{{.*}} : memref<20x40xf32>)
// CHECK-LABEL: func.func @int4_24_outl_lr(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_1
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_1
// CHECK-LABEL: func.func @int8_lr_f16(
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrgemm_2
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_2

// In the GEMM, after the mma loop, each of the 16 stores of a lane first
// sums the column's outliers (a loop over its CSC range reading x), then
// the rank-4 dot product.
// CHECK-LABEL: gpu.func @qsl_gemm_0(
// CHECK: nvgpu.mma.sync
// CHECK: scf.yield
// CHECK: %[[LO:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[HI:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: scf.for %{{.*}} = %[[LO]] to %[[HI]]
// CHECK: memref.load %arg0[%{{.*}}, %{{.*}}] : memref<20x48xf32>
// CHECK: scf.for
// CHECK: memref.load %{{.*}} : memref<20x4xf32>
// CHECK: memref.load %{{.*}} : memref<40x4xf32>
// CHECK: memref.store
// CHECK-LABEL: gpu.func @qsl_spmma_1(
// CHECK-COUNT-4: nvgpu.mma.sp.sync
// CHECK: memref.load %{{.*}} : memref<33x3xf32>
// f16 output: the terms are added in f32, before the rounding.
// CHECK-LABEL: gpu.func @qsl_gemm_2(
// CHECK: memref.load %{{.*}} : memref<16x8xf32>
// CHECK: scf.yield
// CHECK-NEXT: }
// CHECK-NEXT: %[[S:.*]] = arith.addf
// CHECK-NEXT: arith.truncf %[[S]] : f32 to f16

// With the tables as arguments: the main tables (the packed GEMM's
// fragment-ordered words, the words of f16 s and 1024 + z), then colptr, rows,
// values, t, B_out, then the output; the warps' workgroup buffer after them.
// ARGS-LABEL: gpu.func @qsl_gemm_0(
// ARGS-SAME: %{{.*}}: memref<20x48xf32>, %{{.*}}: memref<2x2x128xi32>, %{{.*}}: memref<4x64xi32>, %{{.*}}: memref<41xi32>, %{{.*}}: memref<9xi32>, %{{.*}}: memref<9xf32>, %{{.*}}: memref<20x4xf32>, %{{.*}}: memref<40x4xf32>, %{{.*}}: memref<20x40xf32>) workgroup

// f16 factors stay f16 in their tables (half the bytes): A_in is the f16
// operand of qsl_lrgemm's mma, B_out widens to f32 in the GEMM's correction
// terms,
// and both (A_in [8, 64] and B_out^T [8, 40], rank 5 padded to two blocks
// of 4 warps) in the fused chain the composed GEMV adds.
// ARGS-LABEL: gpu.func @qsl_gemm_3(
// ARGS-SAME: %{{.*}}: memref<24x6xf32>, %{{.*}}: memref<40x6xf16>, %{{.*}}: memref<24x40xf32>)
// ARGS: arith.extf %{{.*}} : f16 to f32
// ARGS-LABEL: gpu.func @qsl_lrgemm_3(
// ARGS-SAME: %{{.*}}: memref<24x64xf32>, %{{.*}}: memref<6x64xf16>, %{{.*}}: memref<24x6xf32>)
// ARGS: nvgpu.mma.sync
// ARGS-LABEL: gpu.func @qsl_lrchain_4(
// ARGS-SAME: %{{.*}}: memref<3x64xf32>, %{{.*}}: memref<8x64xf16>, %{{.*}}: memref<8x40xf16>, %{{.*}}: memref<3x40xf32>)
// ARGS: arith.extf %{{.*}} : f16 to f32
// ARGS: arith.extf %{{.*}} : f16 to f32
// ARGS-LABEL: gpu.func @qsl_gemv_4(
// ARGS-SAME: %{{.*}}: memref<41xi32>, %{{.*}}: memref<4xi32>, %{{.*}}: memref<4xf32>, %{{.*}}: memref<3x40xf32>, %{{.*}}: memref<3x40xf32>)

// Codebook codes on the composed GEMV: the [N, G*E] codebook table takes the
// place of scales and zero points (3-bit, 8 entries x 3 groups; with 2:4,
// 16 entries x 4 groups read at the dense K position's group), and on the
// GEMM with a low-rank term.
// ARGS-LABEL: gpu.func @qsl_gemv_5(
// ARGS-SAME: %{{.*}}: memref<2x48xf32>, %{{.*}}: memref<36x5xi32>, %{{.*}}: memref<36x24xf32>, %{{.*}}: memref<37xi32>, %{{.*}}: memref<6xi32>, %{{.*}}: memref<6xf32>, %{{.*}}: memref<2x36xf32>, %{{.*}}: memref<2x36xf32>)
// ARGS-LABEL: gpu.func @qsl_gemv_6(
// ARGS-SAME: %{{.*}}: memref<4x64xf32>, %[[C6:[^:]*]]: memref<20x4xi32>, %[[CB6:[^:]*]]: memref<20x64xf32>, %[[M6:[^:]*]]: memref<20x2xi32>, %{{.*}}: memref<4x20xf32>)
// ARGS: memref.load %[[C6]]
// ARGS: memref.load %[[M6]]
// ARGS: memref.load %[[CB6]]
// ARGS-LABEL: gpu.func @qsl_gemm_7(
// ARGS-SAME: %{{.*}}: memref<24x32xf32>, %{{.*}}: memref<40x4xi32>, %{{.*}}: memref<40x32xf32>, %{{.*}}: memref<24x4xf32>, %{{.*}}: memref<40x4xf32>, %{{.*}}: memref<24x40xf32>)
