//===- CudaRuntime.h - QSL's CUDA runtime over the driver API ---*- C++ -*-===//
//
// libqsl_cuda_runtime.so: no LLVM/MLIR dependency. It loads the CUDA driver
// with dlopen("libcuda.so.1") at run time (override: $QSL_CUDA_DRIVER), so
// it builds and links without a driver, and implements the `mgpu*` C ABI
// that upstream MLIR's gpu-to-llvm lowering calls (the functions MLIR's own
// CudaRuntimeWrappers provide, which Debian does not ship).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_RUNTIME_CUDARUNTIME_H
#define QSL_RUNTIME_CUDARUNTIME_H

#include <cstddef>
#include <cstdint>

extern "C" {
/// Loads the driver, initialises it and makes device 0's primary context
/// current. Returns 0 on success, else -1 with qslCudaLastError() set to
/// "no CUDA driver found: ...", "no CUDA device" or "<call>: CUDA_ERROR_...".
int qslCudaInit(void);
/// The message of the last failure ("" when none).
const char *qslCudaLastError(void);
/// Number of CUDA devices, or -1 when the driver is unavailable.
int qslCudaDeviceCount(void);

// The mgpu* ABI (signatures as gpu-to-llvm emits calls to them). Failures
// print "qsl-cuda: ..." to stderr and set qslCudaLastError().
void *mgpuModuleLoad(void *data, size_t gpuBlobSize);
void *mgpuModuleLoadJIT(void *data, int optLevel);
void mgpuModuleUnload(void *module);
void *mgpuModuleGetFunction(void *module, const char *name);
void mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY,
                      intptr_t gridZ, intptr_t blockX, intptr_t blockY,
                      intptr_t blockZ, int32_t smem, void *stream,
                      void **params, void **extra, size_t paramsCount);
void *mgpuStreamCreate(void);
void mgpuStreamDestroy(void *stream);
void mgpuStreamSynchronize(void *stream);
void *mgpuMemAlloc(uint64_t sizeBytes, void *stream, bool isHostShared);
void mgpuMemFree(void *ptr, void *stream);
void mgpuMemcpy(void *dst, void *src, size_t sizeBytes, void *stream);
void mgpuMemset32(void *dst, unsigned int value, size_t count, void *stream);
void mgpuSetDefaultDevice(int32_t device);
}

#endif // QSL_RUNTIME_CUDARUNTIME_H
