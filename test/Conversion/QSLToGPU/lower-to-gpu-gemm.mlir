// The kernels' own activation loads (mma-a-stages=0; the staged variant is
// checked in lower-to-gpu-staged.mlir).
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="device-weights=false mma-a-stages=0" | FileCheck %s
// No dense weight anywhere (neither [N, K] nor [K, N] float buffers).
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu \
// RUN:   | FileCheck %s --check-prefix=NODENSE --implicit-check-not=70x40xf --implicit-check-not=40x70xf --implicit-check-not=32x128xf --implicit-check-not=128x32xf --implicit-check-not=1x16xf --implicit-check-not=qsl.
// Up to max-batch rows the packed GEMM where the weight allows it (int8
// per channel), else the GEMV; with mma-gemv=false always the GEMV; above,
// the mma.sync GEMM, unless tensor-cores=false.
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="max-batch=16" | FileCheck %s --check-prefix=MAX16
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="max-batch=16 mma-gemv=false" | FileCheck %s --check-prefix=SIMT
// RUN: qsl-opt %S/Inputs/gemm.mlir --qsl-lower-to-gpu="tensor-cores=false" 2>&1 | FileCheck %s --check-prefix=NOTC

// CHECK: module attributes {gpu.container_module}
// Scale groups of 8 (not whole k-steps of 16): the same [N, W] code words
// as the GEMV: K = 40 int4 codes are 5 words.
// CHECK-DAG: memref.global "private" constant @qsl_gpu_codes_0 : memref<70x5xi32>
// The others take the packed GEMM's fragment-ordered words: [N/32 tiles,
// chunks, 32 lanes x 4 words] (int8: chunks of one k-step, int2: of four),
// and by [padded group, column] the f16 scales (symmetric) or words of
// f16 s and 1024 + z (asymmetric).
// CHECK-DAG: memref.global "private" constant @qsl_gpu_mma_codes_1 : memref<4x2x128xi32>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_mma_scales_1 : memref<1x128xf16>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_mma_codes_2 : memref<1x1x128xi32>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_mma_scale_zero_2 : memref<4x32xi32>

// M = 33 rows in 16-row tiles: 3 blocks in y; N = 70 columns in one block of
// 4 warps x 32 columns.
// CHECK-LABEL: func.func @int4_asym_edges
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_0 blocks in (%c1{{.*}}, %c3, %c1{{.*}}) threads in (%c128, %c1{{.*}}, %c1{{.*}}) args(%{{.*}} : memref<33x40xf32>, %{{.*}} : memref<70x5xi32>, %{{.*}} : memref<70x5xf32>, %{{.*}} : memref<70x5xf32>, %{{.*}} : memref<33x70xf32>)
// CHECK-LABEL: func.func @int8_sym_f16
// A block per 32 columns; its two warps split the two K chunks.
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_1 blocks in (%c4{{.*}}, %c1{{.*}}, %c1{{.*}}) threads in (%c64, %c1{{.*}}, %c1{{.*}}) args({{.*}} : memref<16x32xf16>, {{.*}} : memref<4x2x128xi32>, {{.*}} : memref<1x128xf16>, {{.*}} : memref<16x128xf16>)
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
// The packed GEMM on a shape without edges has no guards at all. With one
// m-tile, warp w starts with the words of its first four chunks (w, w + 2,
// w + 4 and w + 6, clamped to the last) loaded, and each iteration loads
// the chunk four ahead of the one it decodes (kPackedPrefetchStream);
// scale splats per
// chunk; f16 activation pairs as vector loads; code pairs masked, or'ed
// with 0x64006400 (1024 in f16, twice), minus the symmetric 1024 + 128 and
// times the scale, in f16x2.
// CHECK-LABEL: gpu.func @qsl_gemm_1
// CHECK-SAME: %[[X:[^:]*]]: memref<16x32xf16>, %[[CODES:[^:]*]]: memref<4x2x128xi32>, %{{[^:]*}}: memref<1x128xf16>, %{{[^:]*}}: memref<16x128xf16>)
// CHECK-SAME: workgroup(%[[RED:.*]] : memref<1x16x32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT: arith.cmpi
// CHECK-NOT: scf.if
// CHECK: %[[FIRST:.*]] = vector.load %[[CODES]][%{{.*}}, %[[WARP:.*]], %{{.*}}] {alignment = 16 : i64} : memref<4x2x128xi32>, vector<4xi32>
// CHECK: %[[NEXT0:.*]] = arith.minui %{{.*}}, %c1
// CHECK: %[[SECOND:.*]] = vector.load %[[CODES]][%{{.*}}, %[[NEXT0]], %{{.*}}]
// CHECK: %[[THIRD:.*]] = vector.load %[[CODES]]
// CHECK: %[[FOURTH:.*]] = vector.load %[[CODES]]
// CHECK: scf.for %[[CH:.*]] = %[[WARP]] to %c2{{.*}} step %c2{{.*}} iter_args({{.*}}, %[[CUR:.*]] = %[[FIRST]], %[[A1:.*]] = %[[SECOND]], %[[A2:.*]] = %[[THIRD]], %[[A3:.*]] = %[[FOURTH]])
// CHECK: %[[AFTER:.*]] = arith.addi %[[CH]],
// CHECK: %[[NEXT:.*]] = arith.minui %[[AFTER]], %c1
// CHECK: %[[NW:.*]] = vector.load %[[CODES]][%{{.*}}, %[[NEXT]], %{{.*}}]
// CHECK: vector.extract %[[CUR]][0] : i32 from vector<4xi32>
// CHECK: memref.load {{.*}} : memref<1x128xf16>
// CHECK: vector.broadcast {{.*}} : f16 to vector<2xf16>
// CHECK: vector.load %[[X]][{{.*}}] {alignment = 4 : i64} : memref<16x32xf16>, vector<2xf16>
// CHECK-NOT: arith.extf
// CHECK: arith.andi %{{.*}}, %c16711935_i32 : i32
// CHECK: arith.ori %{{.*}}, %c1677747200_i32 : i32
// CHECK: arith.subf {{.*}} : vector<2xf16>
// CHECK: arith.mulf {{.*}} : vector<2xf16>
// CHECK: nvgpu.mma.sync
// CHECK: arith.shrui %{{.*}}, %c8_i32
// CHECK-COUNT-3: nvgpu.mma.sync
// CHECK: scf.yield {{.*}}, %[[A1]], %[[A2]], %[[A3]], %[[NW]] :
// Warp 1's tile to workgroup memory, the barrier, warp 0 adds and stores.
// CHECK: scf.if
// CHECK: memref.store {{.*}}, %[[RED]]
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: memref.load %[[RED]]
// CHECK: arith.addf
// CHECK: arith.truncf %{{.*}} : f32 to f16
// CHECK: memref.store %{{.*}} : memref<16x128xf16>
// CHECK: gpu.return

// NODENSE: gpu.module @qsl_kernels

// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemm_0
// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemm_1 {{.*}} memref<16x32xf16>, {{.*}} memref<16x128xf16>
// MAX16: gpu.launch_func @qsl_kernels::@qsl_gemm_2

// SIMT: gpu.launch_func @qsl_kernels::@qsl_gemm_0
// SIMT: gpu.launch_func @qsl_kernels::@qsl_gemv_1
// SIMT: gpu.launch_func @qsl_kernels::@qsl_gemm_2

// NOTC-COUNT-3: remark: qsl-lower-to-gpu: left on the CPU path: batch {{[0-9]+}} exceeds max-batch and tensor-cores=false
// NOTC-NOT: gpu.launch_func
