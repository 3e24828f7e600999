// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// No dense weight anywhere (neither [N, K] nor [K, N] float buffers).
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu \
// RUN:   | FileCheck %s --check-prefix=NODENSE --implicit-check-not=70x40xf --implicit-check-not=40x70xf --implicit-check-not=32x128xf --implicit-check-not=128x32xf --implicit-check-not=1x16xf --implicit-check-not=qsl.
// Up to max-batch rows the GEMV; above, the mma.sync GEMM, unless
// tensor-cores=false.
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="max-batch=16" | FileCheck %s --check-prefix=MAX16
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="tensor-cores=false" 2>&1 | FileCheck %s --check-prefix=NOTC

// CHECK: module attributes {gpu.container_module}
// The same [N, W] code words as the GEMV: K = 40 int4 codes are 5 words.
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_0 : memref<70x5xi32>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_1 : memref<128x8xi32>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_2 : memref<1x1xi32>

// M = 33 rows in 16-row tiles: 3 blocks in y; N = 70 columns in one block of
// 4 warps x 32 columns.
// CHECK-LABEL: func.func @int4_asym_edges
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0 blocks in (%c1{{.*}}, %c3, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) args(%{{.*}} : memref<33x40xf32>, %{{.*}} : memref<70x5xi32>, %{{.*}} : memref<70x5xf32>, %{{.*}} : memref<70x5xf32>, %{{.*}} : memref<33x70xf32>)
// CHECK-LABEL: func.func @int8_sym_f16
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_1 {{.*}} args({{.*}} : memref<16x32xf16>, {{.*}} : memref<128x8xi32>, {{.*}} : memref<128x1xf32>, {{.*}} : memref<16x128xf16>)
// CHECK-LABEL: func.func @int2_n1
// CHECK: memref.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : memref<2x9x16xf32> into memref<18x16xf32>
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_2

// The kernel: lane coordinates in the fragments, four loop-carried
// accumulators, K walked to 48 (the multiple of 16 above 40).
// CHECK-LABEL: gpu.func @qsl_gemm_0
// CHECK-SAME: %[[X:[^:]*]]: memref<33x40xf32>, %[[CODES:[^:]*]]: memref<70x5xi32>, %[[S:[^:]*]]: memref<70x5xf32>, %[[Z:[^:]*]]: memref<70x5xf32>, %[[Y:[^:]*]]: memref<33x70xf32>
// CHECK: %[[LANE:.*]] = arith.remui %{{.*}}, %c32
// CHECK: arith.divui %[[LANE]], %c4
// CHECK: arith.remui %[[LANE]], %c4
// Rows past M = 33 and columns past N = 70 are guarded.
// CHECK: arith.cmpi ult, %{{.*}}, %c33
// CHECK: arith.cmpi ult, %{{.*}}, %c70
// CHECK: scf.for %{{.*}} = %c0 to %c48 step %c16 iter_args({{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// K = 40 is not a multiple of 16: the K positions are guarded too.
// CHECK: arith.cmpi ult, %{{.*}}, %c40
// A fragment: activations to f16.
// CHECK: memref.load %[[X]]
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: vector.from_elements {{.*}} : vector<4x2xf16>
// B fragment: code word, shift, mask, (q - z) * s, to f16.
// CHECK: memref.load %[[CODES]]
// CHECK: arith.shrui
// CHECK: arith.andi %{{.*}}, %c15_i32
// CHECK: memref.load %[[S]]
// CHECK: memref.load %[[Z]]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: vector.from_elements {{.*}} : vector<2x2xf16>
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-COUNT-3: nvgpu.mma.sync
// CHECK: scf.yield
// Epilogue: each accumulator element to its row and column, guarded.
// CHECK: vector.extract %{{.*}}[0, 0] : f32 from vector<2x2xf32>
// CHECK: scf.if
// CHECK: memref.store %{{.*}}, %[[Y]]
// The shape without edges has no guards at all; symmetric codes are
// sign-extended; f16 activations need no conversion.
// CHECK-LABEL: gpu.func @qsl_gemm_1
// CHECK-NOT: arith.cmpi
// CHECK-NOT: scf.if
// CHECK: scf.for %{{.*}} = %c0 to %c32{{.*}} step %c16
// CHECK-NOT: arith.extf
// CHECK: arith.shli %{{.*}}, %c24_i32
// CHECK: arith.shrsi %{{.*}}, %c24_i32
// CHECK: arith.sitofp
// CHECK: nvgpu.mma.sync
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}} : memref<16x128xf16>
// CHECK: gpu.return

// NODENSE: gpu.module @qsl_kernels

// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemm_0
// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemv_1
// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemm_2

// NOTC-COUNT-3: remark: qsl-lower-to-gpu: left on the CPU path: batch {{[0-9]+}} exceeds max-batch and tensor-cores=false
// NOTC-NOT: gpu.launch_func
