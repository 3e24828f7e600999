// RUN: qsl-opt %S/../../GPU/Inputs/emulator/shuffles.mlir \
// RUN:   --qsl-gpu-pipeline="format=emulator" --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --gpu-async-region --convert-scf-to-cf --gpu-to-llvm --finalize-memref-to-llvm \
// RUN:   --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm \
// RUN:   --qsl-gpu-emulate --reconcile-unrealized-casts -o %t.mlir
// RUN: FileCheck %s < %t.mlir
// RUN: FileCheck %s --check-prefix=ABI < %t.mlir
// RUN: qsl-opt %S/../../GPU/gemm-vs-linalg.mlir \
// RUN:   --qsl-gpu-pipeline="format=emulator" --one-shot-bufferize="bufferize-function-boundaries" \
// RUN:   --gpu-async-region --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm \
// RUN:   --expand-strided-metadata --finalize-memref-to-llvm --lower-affine \
// RUN:   --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm \
// RUN:   --qsl-gpu-emulate --reconcile-unrealized-casts -o %t.mma.mlir
// RUN: FileCheck %s --check-prefix=MMA < %t.mma.mlir
// RUN: FileCheck %s --check-prefix=SHARED < %t.mma.mlir

// The kernel moves into the host module, private, its special registers
// and shuffles calls into the emulator; a packed entry loads each argument
// from CUDA's parameter array; the launch passes that array, the kernel's
// name and the grid; no gpu op is left.
// CHECK-NOT: gpu.module
// CHECK: llvm.mlir.global internal constant @__qsl_emu_k_shuffles_name("k::shuffles\00")
// CHECK-LABEL: llvm.func @main()
// CHECK: %[[PARAMS:.*]] = llvm.alloca %{{.*}} x !llvm.ptr
// CHECK: %[[ENTRY:.*]] = llvm.mlir.addressof @__qsl_emu_k_shuffles_packed
// CHECK: llvm.call @qsl_emu_launch(%[[ENTRY]], %[[PARAMS]],
// CHECK-LABEL: llvm.func internal @__qsl_emu_k_shuffles(
// CHECK: %[[TID:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @qsl_emu_sreg(%[[TID]])
// CHECK: %[[BFLY:.*]] = llvm.mlir.constant(0 : i32) : i32
// CHECK: llvm.call @qsl_emu_shfl(%[[BFLY]],
// CHECK: %[[DOWN:.*]] = llvm.mlir.constant(2 : i32) : i32
// CHECK: llvm.call @qsl_emu_shfl(%[[DOWN]],
// CHECK: %[[UP:.*]] = llvm.mlir.constant(1 : i32) : i32
// CHECK: llvm.call @qsl_emu_shfl(%[[UP]],
// CHECK: %[[IDX:.*]] = llvm.mlir.constant(3 : i32) : i32
// CHECK: llvm.call @qsl_emu_shfl(%[[IDX]],
// CHECK-LABEL: llvm.func internal @__qsl_emu_k_shuffles_packed(%arg0: !llvm.ptr)
// CHECK: llvm.getelementptr %arg0[0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// CHECK: llvm.call @__qsl_emu_k_shuffles(
// CHECK-DAG: llvm.func @qsl_emu_sreg(i32) -> i32
// CHECK-DAG: llvm.func @qsl_emu_shfl(i32, i32, i32, i32, i32) -> i64
// CHECK-DAG: llvm.func @qsl_emu_launch(!llvm.ptr, !llvm.ptr, !llvm.ptr, i64, i64, i64, i64, i64, i64, i32, !llvm.ptr, !llvm.ptr, !llvm.ptr, i32)
// CHECK-NOT: gpu.

// The host ABI calls go to the emulator's own names (libqsl_cuda_runtime's
// mgpu* in the same process must not take them).
// ABI-NOT: @mgpu
// ABI: llvm.call @qsl_emu_mgpuStreamCreate()
// ABI: llvm.call @qsl_emu_mgpuMemAlloc(
// ABI-NOT: @mgpu

// The tensor-core GEMM: mma.sync m16n8k16 becomes a call whose D lands in
// a four-float slot; the weight tables become host globals.
// MMA-NOT: gpu.module
// MMA: llvm.mlir.global internal @__qsl_emu_qsl_kernels_qsl_gpu_codes_0(
// MMA: llvm.func internal @__qsl_emu_qsl_kernels_qsl_gemm_0(
// MMA: %[[SLOT:.*]] = llvm.alloca %{{.*}} x f32 : (i64) -> !llvm.ptr
// MMA: llvm.call @qsl_emu_mma_m16n8k16_f16_f32(%[[SLOT]],
// MMA: llvm.func @qsl_emu_mma_m16n8k16_f16_f32(!llvm.ptr, i32, i32, i32, i32, i32, i32, f32, f32, f32, f32)
// MMA-NOT: gpu.launch_func

// Shared memory (the packed GEMM's workgroup buffer for its warps' sums,
// 512 f32): its address and size in bytes go to qsl_emu_launch, which fills
// it with 0xFF (NaN) before every block, as a block's shared memory starts
// undefined on a GPU.
// SHARED-LABEL: llvm.func @int8_sym_f16(
// SHARED: %[[WG:.*]] = llvm.mlir.addressof @__qsl_emu_qsl_kernels___wg_qsl_gemm_1_0
// SHARED: llvm.store %[[WG]], %{{.*}} : !llvm.ptr, !llvm.ptr
// SHARED: %[[BYTES:.*]] = llvm.mlir.constant(2048 : i64) : i64
// SHARED: llvm.store %[[BYTES]], %{{.*}} : i64, !llvm.ptr
// SHARED: %[[COUNT:.*]] = llvm.mlir.constant(1 : i32) : i32
// SHARED: llvm.call @qsl_emu_launch({{.*}}, %[[COUNT]]) :
// SHARED: llvm.mlir.global internal @__qsl_emu_qsl_kernels___wg_qsl_gemm_1_0() {addr_space = 0 : i32} : !llvm.array<512 x f32>
