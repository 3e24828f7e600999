// The composed GEMV: weights with N:M sparsity, outliers or low rank (on top
// of a quantized main term, a float main term, or none). The inputs are the
// GPU execution test's functions.
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-lower-to-gpu="device-weights=false" | FileCheck %s
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-lower-to-gpu="device-weights=false mma-gemv=false" | FileCheck %s --check-prefix=SIMT
// No dense weight: neither [K, N] nor [N, K] float buffers of any of them.
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-lower-to-gpu \
// RUN:   | FileCheck %s --check-prefix=NODENSE --implicit-check-not=32x5xf --implicit-check-not=5x32xf --implicit-check-not=7x20xf --implicit-check-not=20x7xf --implicit-check-not=12x3xf --implicit-check-not=3x12xf --implicit-check-not=6x8xf --implicit-check-not=8x6xf --implicit-check-not=40x24xf --implicit-check-not=24x40xf --implicit-check-not=qsl.
// PTX for sm_80 and sm_90, assembled by ptxas.
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX
// RUN: qsl-opt %S/../../GPU/composed-vs-linalg.mlir --qsl-gpu-pipeline="chip=sm_80 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py | FileCheck %s --check-prefix=PTX

// The CSC of @int8_outl_lr's outliers (indices 0, 17, 35, 17 on [12, 3]:
// columns 0, 2, 2, 2; rows 0, 5, 11, 5).
// CHECK-DAG: memref.global "private" constant @qsl_gpu_outlier_colptr_2 : memref<4xi32> = dense<[0, 1, 1, 4]>
// CHECK-DAG: memref.global "private" constant @qsl_gpu_outlier_rows_2 : memref<4xi32> = dense<[0, 5, 11, 5]>

// int4 + 2:4 along K: the 16 kept codes of each column in 2 words, their
// 2-bit positions in 1 meta word, scales and zeros by dense K group.
// CHECK-LABEL: func.func @int4_24_asym
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_0 {{.*}} args(%{{.*}} : memref<3x32xf32>, %{{.*}} : memref<5x2xi32>, %{{.*}} : memref<5x4xf32>, %{{.*}} : memref<5x4xf32>, %{{.*}} : memref<5x1xi32>, %{{.*}} : memref<3x5xf32>)

// Low rank alone, f32 result, nothing fused: the fused chain is the whole
// matmul. y is zeroed, then one block (rank 3, padded with a zero row to
// its 4 warps) computes t = x A_in^T into workgroup memory and adds
// t B_out^T to y atomically; A_in [4, 20] and B_out^T [4, 7] are the
// tables. No GEMV follows.
// CHECK-LABEL: func.func @lowrank_t
// CHECK: %[[Y:.*]] = gpu.alloc () {bufferization.manual_deallocation} : memref<2x7xf32>
// CHECK: gpu.memset %[[Y]], %{{.*}} : memref<2x7xf32>, f32
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_1 blocks in (%[[ONE:.*]], %{{.*}}, %{{.*}}) threads in (%c128, {{.*}} args(%{{.*}} : memref<2x20xf32>, %{{.*}} : memref<4x20xf32>, %{{.*}} : memref<4x7xf32>, %[[Y]] : memref<2x7xf32>)
// CHECK-NOT: gpu.launch_func
// CHECK: gpu.memcpy %{{.*}}, %[[Y]] : memref<2x7xf32>, memref<2x7xf32>

// int8 + outliers (CSC: column pointers, rows, values) + low rank: the
// chain into a zeroed [1, 3] buffer, which the composed GEMV adds to each
// column's sum.
// CHECK-LABEL: func.func @int8_outl_lr
// CHECK: %[[PRE:.*]] = gpu.alloc () {bufferization.manual_deallocation} : memref<1x3xf32>
// CHECK: gpu.memset %[[PRE]]
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_2 {{.*}} %[[PRE]] : memref<1x3xf32>)
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_2 {{.*}} args(%{{.*}} : memref<1x12xf32>, %{{.*}} : memref<3x3xi32>, %{{.*}} : memref<3x1xf32>, %{{.*}} : memref<4xi32>, %{{.*}} : memref<4xi32>, %{{.*}} : memref<4xf32>, %[[PRE]] : memref<1x3xf32>, %{{.*}} : memref<1x3xf32>)

// Float kept values of a 2:4 weight, [N, K'] f32: with mma-gemv the packed
// 2:4 GEMM takes them as f16 pairs in fragment order (one tile, one chunk
// of one step: [1, 1, 128] words), with their mma.sp metadata [1, 1, 16]
// and no group tables; the outliers' CSC is added to its stores. With
// mma-gemv=false the composed GEMV reads them as f32 [N, K'].
// CHECK-LABEL: func.func @f32_24_t
// CHECK: gpu.launch_func @qsl_kernels::@qsl_spmma_3 {{.*}} args(%{{.*}} : memref<4x8xf32>, %{{.*}} : memref<1x1x128xi32>, %{{.*}} : memref<1x1x16xi32>, %{{.*}} : memref<7xi32>, %{{.*}} : memref<2xi32>, %{{.*}} : memref<2xf32>, %{{.*}} : memref<4x6xf32>)
// SIMT-LABEL: func.func @f32_24_t
// SIMT: gpu.launch_func @qsl_kernels::@qsl_gemv_3 {{.*}} args(%{{.*}} : memref<4x8xf32>, %{{.*}} : memref<6x4xf32>, %{{.*}} : memref<6x1xi32>, %{{.*}} : memref<7xi32>, %{{.*}} : memref<2xi32>, %{{.*}} : memref<2xf32>, %{{.*}} : memref<4x6xf32>)

// The fused chain's kernel: phase 1, each warp's rank component j of the
// block's chunk, lanes over K, reduced into workgroup memory t[m, chunk];
// a barrier; phase 2, threads over the N outputs, t[m, :] . B_out^T[:, n]
// added atomically.
// CHECK-LABEL: gpu.func @qsl_lrchain_1(
// CHECK-SAME: %[[CX:[^:]*]]: memref<2x20xf32>, %[[AIN:[^:]*]]: memref<4x20xf32>, %[[BT:[^:]*]]: memref<4x7xf32>, %[[CY:[^:]*]]: memref<2x7xf32>) workgroup(%[[TS:.*]] : memref<2x4xf32, #gpu.address_space<workgroup>>)
// CHECK: memref.load %[[AIN]]
// CHECK: memref.load %[[CX]]
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: memref.store %{{.*}}, %[[TS]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[BT]]
// CHECK: memref.load %[[TS]]
// CHECK: memref.atomic_rmw addf %{{.*}}, %[[CY]]

// The kernel of every facet: one warp per column, kept codes, their dense K
// position run * 4 + meta, the scale group of that position; then the
// column's outliers; one warp reduction, plus the chain's value.
// CHECK-LABEL: gpu.func @qsl_gemv_4(
// CHECK-SAME: %[[X:[^:]*]]: memref<8x24xf32>, %[[CODES:[^:]*]]: memref<40x1xi32>, %[[S:[^:]*]]: memref<40x6xf32>, %[[Z:[^:]*]]: memref<40x6xf32>, %[[META:[^:]*]]: memref<40x1xi32>, %[[CP:[^:]*]]: memref<41xi32>, %[[ROWS:[^:]*]]: memref<9xi32>, %[[OV:[^:]*]]: memref<9xf32>, %[[PRE:[^:]*]]: memref<8x40xf32>, %[[Y:[^:]*]]: memref<8x40xf32>)
// CHECK: memref.load %[[CODES]]
// 12 kept codes in a word of 16: guarded.
// CHECK: arith.cmpi ult, %{{.*}}, %c12
// CHECK: %[[RN:.*]] = arith.divui %[[J:.*]], %c2 : index
// CHECK: memref.load %[[META]]
// CHECK: %[[POS:.*]] = arith.index_cast %{{.*}} : i32 to index
// CHECK: %[[RK:.*]] = arith.muli %[[RN]], %c4{{.*}} : index
// CHECK: %[[K:.*]] = arith.addi %[[RK]], %[[POS]] : index
// CHECK: %[[G:.*]] = arith.divui %[[K]], %c4{{.*}} : index
// CHECK: memref.load %[[S]][%{{.*}}, %[[G]]]
// CHECK: memref.load %[[Z]][%{{.*}}, %[[G]]]
// CHECK: memref.load %[[X]][%{{.*}}, %[[K]]]
// CHECK: memref.load %[[CP]]
// CHECK: memref.load %[[CP]]
// CHECK: memref.load %[[ROWS]]
// CHECK: memref.load %[[OV]]
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK: %[[P:.*]] = memref.load %[[PRE]]
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %[[P]] : f32
// CHECK: memref.store %[[SUM]], %[[Y]]

// NODENSE: gpu.module @qsl_kernels

// PTX-LABEL: .entry qsl_lrchain_1(
// PTX: .shared .align 4 .b8 __wg_qsl_lrchain_1_0[32];
// PTX: shfl.sync.bfly.b32
// PTX: bar.sync 0;
// PTX: atom.global.add.f32
// PTX-LABEL: .entry qsl_gemv_4(
// PTX: ld.global.b32
// PTX: shfl.sync.bfly.b32
// PTX: st.global.b32
