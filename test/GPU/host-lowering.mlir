// REQUIRES: qsl-cuda-runtime-lib
// The whole GPU path up to the driver, with no GPU: kernels to cubin, the
// host through upstream gpu-to-llvm to LLVM IR, which calls exactly the
// mgpu* functions libqsl_cuda_runtime.so defines; the JIT links against it,
// and without a driver each call reports it instead of crashing.
// RUN: qsl-opt %S/gemv-vs-linalg.mlir --qsl-gpu-pipeline="chip=sm_90 format=isa" \
// RUN:   --one-shot-bufferize="bufferize-function-boundaries" --gpu-async-region \
// RUN:   --convert-linalg-to-loops --convert-scf-to-cf --gpu-to-llvm \
// RUN:   --expand-strided-metadata --finalize-memref-to-llvm --lower-affine \
// RUN:   --convert-arith-to-llvm --convert-func-to-llvm --convert-cf-to-llvm \
// RUN:   --reconcile-unrealized-casts -o %t.mlir
// RUN: mlir-translate --mlir-to-llvmir %t.mlir | FileCheck %s
// RUN: nm -D --defined-only %qsl_cuda_runtime | FileCheck %s --check-prefix=ABI
// RUN: env QSL_CUDA_DRIVER=/nonexistent/libcuda.so.1 mlir-runner %t.mlir -e main \
// RUN:   -entry-point-result=void -shared-libs=%qsl_cuda_runtime,%mlir_runner_libs \
// RUN:   2>&1 >/dev/null | FileCheck %s --check-prefix=NODRIVER

// CHECK-DAG: declare ptr @mgpuStreamCreate()
// CHECK-DAG: declare ptr @mgpuMemAlloc(i64, ptr, i8)
// CHECK-DAG: declare void @mgpuMemcpy(ptr, ptr, i64, ptr)
// CHECK-DAG: declare void @mgpuStreamSynchronize(ptr)
// CHECK-DAG: declare void @mgpuStreamDestroy(ptr)
// CHECK-DAG: declare void @mgpuMemFree(ptr, ptr)
// PTX (format=isa) is JIT-compiled by the driver at module load.
// CHECK-DAG: declare ptr @mgpuModuleLoadJIT(ptr, i32)
// CHECK-DAG: declare void @mgpuModuleUnload(ptr)
// CHECK-DAG: declare ptr @mgpuModuleGetFunction(ptr, ptr)
// CHECK-DAG: declare void @mgpuLaunchKernel(ptr, i64, i64, i64, i64, i64, i64, i32, ptr, ptr, ptr, i64)

// ABI-DAG: T mgpuLaunchKernel
// ABI-DAG: T mgpuMemAlloc
// ABI-DAG: T mgpuMemFree
// ABI-DAG: T mgpuMemcpy
// ABI-DAG: T mgpuModuleGetFunction
// ABI-DAG: T mgpuModuleLoad
// ABI-DAG: T mgpuModuleLoadJIT
// ABI-DAG: T mgpuModuleUnload
// ABI-DAG: T mgpuStreamCreate
// ABI-DAG: T mgpuStreamDestroy
// ABI-DAG: T mgpuStreamSynchronize

// NODRIVER: qsl-cuda: no CUDA driver found: /nonexistent/libcuda.so.1
