/*===- qsl-c/Runtime.h - C API: run compiled modules --------------*- C -*-===*\
|*                                                                            *|
|* JIT-compiles a module from mlirQslCompileForCPU and runs it on buffers the *|
|* caller owns (no copies). Inputs and outputs are matched by name and        *|
|* checked against the compiled signature (dtype, shape, byte size); a        *|
|* mismatch is a diagnostic on the context the executable came from and a     *|
|* failed result, never a crash.                                              *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QSL_C_RUNTIME_H
#define QSL_C_RUNTIME_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Element types of inputs and outputs. */
typedef enum MlirQslDType {
  MlirQslDTypeF16,
  MlirQslDTypeF32,
  MlirQslDTypeF64,
  MlirQslDTypeI1, /* one byte per element */
  MlirQslDTypeI8,
  MlirQslDTypeI16,
  MlirQslDTypeI32,
  MlirQslDTypeI64,
} MlirQslDType;

/* Bytes per element of `dtype`. */
MLIR_CAPI_EXPORTED size_t mlirQslDTypeGetByteWidth(MlirQslDType dtype);

/* A dense row-major tensor in caller-owned memory. `data` must be aligned
 * to the element size and hold exactly `sizeInBytes` bytes. */
typedef struct MlirQslBuffer {
  MlirStringRef name;
  MlirQslDType dtype;
  intptr_t rank;
  const int64_t *shape;
  void *data;
  size_t sizeInBytes;
} MlirQslBuffer;

/* A JIT-compiled module. */
typedef struct MlirQslExecutable {
  void *ptr;
} MlirQslExecutable;

static inline bool mlirQslExecutableIsNull(MlirQslExecutable exe) {
  return !exe.ptr;
}

/* JIT-compiles `compiled` (the output of mlirQslCompileForCPU). Null, with
 * diagnostics on the module's context, when the module has no recorded
 * signature or does not translate. The context must outlive the executable;
 * the module need not. */
MLIR_CAPI_EXPORTED MlirQslExecutable
mlirQslExecutableCreate(MlirModule compiled);

/* The same for a module from mlirQslCompileForCUDA: its host code calls
 * `cudaRuntime` (the path of libqsl_cuda_runtime.so), which must find a
 * GPU ("no GPU to run on: ..." otherwise, as a diagnostic). Runs report a
 * CUDA error of the runtime as a failure. For a module from
 * mlirQslCompileForCUDAEmulator, `cudaRuntime` is the path of
 * libqsl_gpu_emulator.so and no GPU is needed. */
MLIR_CAPI_EXPORTED MlirQslExecutable
mlirQslExecutableCreateForCUDA(MlirModule compiled, MlirStringRef cudaRuntime);

MLIR_CAPI_EXPORTED void mlirQslExecutableDestroy(MlirQslExecutable exe);

MLIR_CAPI_EXPORTED intptr_t mlirQslExecutableGetNumInputs(MlirQslExecutable exe);
MLIR_CAPI_EXPORTED intptr_t
mlirQslExecutableGetNumOutputs(MlirQslExecutable exe);

/* The signature of input / output `pos`: name, dtype, rank, shape and the
 * byte size a buffer for it must have; `data` is NULL. The name and shape
 * stay valid as long as `exe`. Out-of-range positions give rank -1. */
MLIR_CAPI_EXPORTED MlirQslBuffer
mlirQslExecutableGetInput(MlirQslExecutable exe, intptr_t pos);
MLIR_CAPI_EXPORTED MlirQslBuffer
mlirQslExecutableGetOutput(MlirQslExecutable exe, intptr_t pos);

/* Runs the entry point once. Every input and every output must be given
 * exactly once, in any order, by name, with the compiled dtype and shape;
 * outputs are written into their buffers. */
MLIR_CAPI_EXPORTED MlirLogicalResult mlirQslExecutableRun(
    MlirQslExecutable exe, intptr_t numInputs, const MlirQslBuffer *inputs,
    intptr_t numOutputs, const MlirQslBuffer *outputs);

#ifdef __cplusplus
}
#endif

#endif /* QSL_C_RUNTIME_H */
