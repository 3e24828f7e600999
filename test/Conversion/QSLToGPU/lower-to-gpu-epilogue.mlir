// Epilogue fusion: the bias add and activation after a matmul run in the
// kernel before its store; the inputs are the GPU execution test's.
// RUN: qsl-opt %S/../../GPU/epilogue-vs-linalg.mlir --qsl-lower-to-gpu | FileCheck %s
// RUN: qsl-opt %S/../../GPU/epilogue-vs-linalg.mlir --qsl-lower-to-gpu="fuse-epilogue=false" | FileCheck %s --check-prefix=OFF
// In the kernels, erf and exp come from libdevice (the pipeline gives
// gpu-module-to-binary the CUDA toolkit path), so ptxas resolves them.
// RUN: qsl-opt %S/../../GPU/epilogue-vs-linalg.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   | %python %S/Inputs/extract_ptx.py > %t.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t.ptx
// RUN: %if ptxas %{ %ptxas -arch=sm_90 %t.ptx -o %t.cubin %}

// The bias and ReLU generics are gone from the host code.
// CHECK-LABEL: func.func @gemv_bias_relu
// CHECK-NOT: linalg.generic
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_0
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @gemm_bias_gelu
// CHECK-NOT: linalg.generic
// CHECK: return
// The residual add reads another tensor, a slice of the input taken after
// the matmul: the slice moves before it, the tensor is uploaded and passed
// to the kernel before the output, and the add runs after the SiLU. The
// low-rank chain runs first; the GEMV takes its [2, 6] result, then the
// residual, then the output.
// CHECK-LABEL: func.func @lowrank_silu_residual
// CHECK: %[[RES:.*]] = tensor.extract_slice %{{.*}}[0, 0] [2, 6] [1, 1]
// CHECK: gpu.launch_func @qsl_kernels::@qsl_lrchain_2
// CHECK: bufferization.to_buffer %[[RES]]
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemv_2 {{.*}} args({{.*}}, %{{.*}} : memref<2x6xf32>, %{{.*}} : memref<2x6xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return
// A cast of the result to f16 after bias and ReLU: the kernel stores f16
// and the function returns its result directly.
// CHECK-LABEL: func.func @gemm_bias_relu_f16
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_3 {{.*}} : memref<20x24xf16>)
// CHECK-NOT: linalg.generic
// CHECK: bufferization.to_tensor %{{.*}} : memref<20x24xf16> to tensor<20x24xf16>
// The exported GELU DAG (x read by Div and by Mul) and the bias before it
// leave no linalg.generic behind.
// CHECK-LABEL: func.func @gemm_bias_gelu_dag
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_4
// CHECK-NOT: linalg.generic
// CHECK: return
// CHECK-LABEL: func.func @gemm_f16_bias_relu_residual
// CHECK: gpu.launch_func @qsl_kernels::@qsl_gemm_5
// CHECK-NOT: linalg.generic
// CHECK: return

// CHECK-LABEL: gpu.module @qsl_kernels
// CHECK-DAG: memref.global @qsl_gpu_bias_0 : memref<5xf32, #gpu.address_space<global>> = dense<
// CHECK-DAG: memref.global @qsl_gpu_bias_1 : memref<24xf32, #gpu.address_space<global>> = dense<
// Bias by output column, then max(x, 0), then the store.
// CHECK-LABEL: gpu.func @qsl_gemv_0(
// CHECK: %[[BIAS:.*]] = memref.memory_space_cast %{{.*}} : memref<5xf32, #gpu.address_space<global>> to memref<5xf32>
// CHECK: gpu.shuffle xor
// CHECK: %[[B:.*]] = memref.load %[[BIAS]][%[[N:.*]]] : memref<5xf32>
// CHECK: %[[YB:.*]] = arith.addf %{{.*}}, %[[B]] : f32
// CHECK: %[[R:.*]] = arith.maximumf %[[YB]], %{{.*}} : f32
// CHECK: memref.store %[[R]], %{{.*}}[%{{.*}}, %[[N]]]
// The GEMM stores 16 values per lane, each through bias and GELU.
// CHECK-LABEL: gpu.func @qsl_gemm_1(
// CHECK: nvgpu.mma.sync
// CHECK-COUNT-16: math.erf
// CHECK-LABEL: gpu.func @qsl_gemv_2(
// CHECK-SAME: %{{.*}}: memref<2x8xf32>, %[[PRE:[^:]*]]: memref<2x6xf32>, %[[R:[^:]*]]: memref<2x6xf32>, %[[Y:[^:]*]]: memref<2x6xf32>)
// The low-rank chain's value joins the sum before the epilogue.
// CHECK: memref.load %[[PRE]]
// CHECK: math.exp
// CHECK: %[[S:.*]] = arith.divf
// CHECK: %[[RV:.*]] = memref.load %[[R]][%[[I:.*]], %[[J:.*]]] : memref<2x6xf32>
// CHECK: %[[O:.*]] = arith.addf %[[S]], %[[RV]] : f32
// CHECK: memref.store %[[O]], %[[Y]][%[[I]], %[[J]]]
// CHECK-LABEL: gpu.func @qsl_gemm_3(
// CHECK-COUNT-16: arith.truncf %{{.*}} : f32 to f16
// CHECK: gpu.return
// Per stored value: bias, x / sqrt 2, erf, + 1, x * (.), * 0.5, with the
// 0-D constants as scalars.
// CHECK-LABEL: gpu.func @qsl_gemm_4(
// CHECK: nvgpu.mma.sync
// CHECK: %[[B:.*]] = memref.load %{{.*}} : memref<24xf32>
// CHECK: %[[XB:.*]] = arith.addf %{{.*}}, %[[B]] : f32
// CHECK: %[[S2:.*]] = arith.constant 1.41421354 : f32
// CHECK: %[[D:.*]] = arith.divf %[[XB]], %[[S2]] : f32
// CHECK: %[[E:.*]] = math.erf %[[D]] : f32
// CHECK: %[[A:.*]] = arith.addf %[[E]], %{{.*}} : f32
// CHECK: %[[M:.*]] = arith.mulf %[[XB]], %[[A]] : f32
// CHECK: %[[H:.*]] = arith.mulf %[[M]], %{{.*}} : f32
// CHECK: memref.store %[[H]]
// An f16 result: round once, then bias (the f16 constant held in f32,
// truncated back), ReLU and residual in f16; the residual argument is f16.
// CHECK-LABEL: gpu.func @qsl_gemm_5(
// CHECK-SAME: %{{.*}}: memref<20x24xf16>, %{{.*}}: memref<20x24xf16>)
// CHECK: nvgpu.mma.sync
// CHECK: %[[ACC:.*]] = vector.extract
// CHECK: %[[Y16:.*]] = arith.truncf %[[ACC]] : f32 to f16
// CHECK: %[[B32:.*]] = memref.load %{{.*}} : memref<24xf32>
// CHECK: %[[B16:.*]] = arith.truncf %[[B32]] : f32 to f16
// CHECK: %[[S:.*]] = arith.addf %[[Y16]], %[[B16]] : f16
// CHECK: %[[R:.*]] = arith.maximumf %[[S]], %{{.*}} : f16
// CHECK: %[[RV:.*]] = memref.load %{{.*}} : memref<20x24xf16>
// CHECK: %[[O:.*]] = arith.addf %[[R]], %[[RV]] : f16
// CHECK: memref.store %[[O]]

// OFF-LABEL: func.func @gemv_bias_relu
// OFF: gpu.launch_func
// OFF: linalg.generic
// OFF: linalg.generic
// OFF-NOT: qsl_gpu_bias

// PTX-LABEL: .entry qsl_gemm_1(
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
// PTX-NOT: call.uni
// PTX: st.global.b32
