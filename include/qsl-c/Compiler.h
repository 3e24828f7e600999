/*===- qsl-c/Compiler.h - C API: import, pipelines, compile -------*- C -*-===*\
|*                                                                            *|
|* ONNX import, pass pipelines (compression and others) and CPU compilation   *|
|* on MLIR C API handles. Every failure is reported as diagnostics on the     *|
|* module's context (attach a handler with mlirContextAttachDiagnosticHandler)*|
|* and returned as a null module or a failed MlirLogicalResult; bad input     *|
|* never aborts the process.                                                  *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QSL_C_COMPILER_H
#define QSL_C_COMPILER_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Imports the ONNX model at `path` (external data next to it) into a new
 * module of `ctx` holding one function, `main_graph`, on tensors.
 * `inputShapes` holds `numInputShapes` specs "NAME=D0xD1x..." giving concrete
 * shapes to inputs with symbolic dimensions (as qslc --input-shape).
 * Registers the dialects the import needs on `ctx`. A missing, unreadable
 * or malformed file, an unsupported operator or a bad shape spec gives a
 * null module and diagnostics. */
MLIR_CAPI_EXPORTED MlirModule
mlirQslImportONNXFile(MlirContext ctx, MlirStringRef path,
                      intptr_t numInputShapes, const MlirStringRef *inputShapes);

/* Parses `pipeline` and runs it on `module`. Accepts a pass list relative to
 * the module ("qsl-compress-pipeline{preset=w4g128},canonicalize") or an
 * anchored one ("builtin.module(...)"). Registers the passes first
 * (mlirQslRegisterPasses). Parse errors and pass failures are diagnostics. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslRunPassPipeline(MlirModule module, MlirStringRef pipeline);

/* Only parses `pipeline` as mlirQslRunPassPipeline would (a diagnostic on
 * `ctx` when it does not parse): to reject a bad pipeline before costly
 * work such as calibration. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslParsePassPipeline(MlirContext ctx, MlirStringRef pipeline);

/* Compiles `module` in place for the CPU: records the signature of function
 * `entry` (argument/result names from `onnx.name` attributes, else argN /
 * resultN) and lowers everything to the LLVM dialect with results as
 * caller-allocated out-parameters (qsl-cpu-pipeline; `vectorize` false gives
 * the reference pipeline). The result is what mlirQslExecutableCreate runs
 * (and what `qslc` writes). Compression metadata is stripped first
 * (mlirQslStripCompressionMetadata). Registers what it needs on the
 * context. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCompileForCPU(MlirModule module, MlirStringRef entry, bool vectorize);

/* The same with the compressed matmuls as CUDA kernels for `chip` ("sm_80"
 * "sm_90" or "sm_90a", whose large-batch GEMMs use wgmma; embedded as cubin) and the rest on the CPU: what
 * `qslc --target=cuda` writes. Run it with mlirQslExecutableCreateForCUDA. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCompileForCUDA(MlirModule module, MlirStringRef entry,
                      MlirStringRef chip);

/* The same kernels as host code for the SIMT emulator (`qslc --target=cuda
 * --gpu-format=emulator`, docs/codegen/gpu-emulator.md): checks the GPU path
 * on a machine without a GPU. Run it with mlirQslExecutableCreateForCUDA
 * given the path of libqsl_gpu_emulator.so. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCompileForCUDAEmulator(MlirModule module, MlirStringRef entry);

#ifdef __cplusplus
}
#endif

#endif /* QSL_C_COMPILER_H */
