/*===- qsl-c/Compression.h - C API: calibration, reports, files ---*- C -*-===*\
|*                                                                            *|
|* Calibration on caller buffers (statistics for data-aware compression such  *|
|* as GPTQ, AWQ, Wanda, SparseGPT), the per-weight compression report as      *|
|* JSON, the entry signature of a tensor-level module, and saving / loading   *|
|* modules. Every failure is a diagnostic on the module's context and a       *|
|* failed MlirLogicalResult or a null module; bad input never aborts.         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QSL_C_COMPRESSION_H
#define QSL_C_COMPRESSION_H

#include "qsl-c/Runtime.h"

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Runs function `entry` of the tensor-level `module` (as imported, before
 * compilation) on every calibration input set and attaches, to every
 * weight use, the statistics of its input (Gram matrix XᵀX, column sums)
 * that data-aware passes read (qslc --calibrate). Set i holds
 * `setSizes[i]` buffers, one per graph input, matched by name; `buffers`
 * holds the sets one after another. The buffers are read, not kept. Shapes
 * must be static in the module (import with input shapes). Wrong names,
 * dtypes, shapes or sizes name the set in a diagnostic. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCalibrate(MlirModule module, MlirStringRef entry, intptr_t numSets,
                 const intptr_t *setSizes, const MlirQslBuffer *buffers);

/* Supplies calibration input set `index` (0, 1, ... in order): sets
 * `*numBuffers` and `*buffers` (valid until the next call or until
 * mlirQslCalibrateWithCallback returns) and returns 1; returns 0 when there
 * are no more sets, or -1 to stop calibration with a failure (the callback
 * may have emitted a diagnostic of its own). */
typedef int (*MlirQslCalibrationInputCallback)(intptr_t index,
                                                intptr_t *numBuffers,
                                                const MlirQslBuffer **buffers,
                                                void *userData);

/* mlirQslCalibrate with the sets streamed from `next`, one at a time (for
 * many sets, or sets made on the fly). At least one set is needed. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCalibrateWithCallback(MlirModule module, MlirStringRef entry,
                             MlirQslCalibrationInputCallback next,
                             void *userData);

/* mlirQslCalibrate on .npz files (arrays named like the graph inputs) or
 * directories of them, as qslc --calibrate takes them. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslCalibrateFromFiles(MlirModule module, MlirStringRef entry,
                          intptr_t numPaths, const MlirStringRef *paths);

/* Called once per input and output of an entry signature, inputs first,
 * in order. `sig.data` is NULL and `sig.sizeInBytes` 0; a dimension not
 * known statically is -1; an element type that cannot be exchanged gives
 * dtype -1. `sig`'s name and shape are valid during the call only. */
typedef void (*MlirQslSignatureCallback)(bool isInput, MlirQslBuffer sig,
                                         void *userData);

/* The signature of function `entry` of a tensor-level module: names from
 * the `onnx.name` argument/result attributes (else argN / resultN), element
 * types and shapes. Fails (diagnostic) when there is no such function. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslModuleGetSignature(MlirModule module, MlirStringRef entry,
                          MlirQslSignatureCallback callback, void *userData);

/* Bytes of all constants of `module`: encoded ones at their bit-packed
 * storage size, the rest dense. Taken before compression, it is the
 * `importedBytes` of mlirQslModuleGetReport. */
MLIR_CAPI_EXPORTED int64_t mlirQslModuleGetConstantBytes(MlirModule module);

/* The per-weight compression report as JSON text (what qslc --report
 * writes): {"weights": [{name, node, shape, op_type, k, n, bytes_before,
 * bytes_after, bits_per_parameter, encoding, method, rel_frobenius_error,
 * output_error, calibration_tokens}, ...], "totals": {...}}, passed to
 * `callback` in one or more pieces. `importedBytes` (>= 0) is the model's
 * constant bytes before compression (totals.model_bytes_before); with -1
 * the compressed weights are counted at their dense size instead. */
MLIR_CAPI_EXPORTED MlirLogicalResult
mlirQslModuleGetReport(MlirModule module, int64_t importedBytes,
                       MlirStringCallback callback, void *userData);

/* Removes what compression passes leave for each other and for the report
 * (calibration statistics, references to the original weights), as qslc
 * does before it writes or compiles a module. mlirQslCompileForCPU does it
 * too. */
MLIR_CAPI_EXPORTED void mlirQslStripCompressionMetadata(MlirModule module);

/* Writes `module` to `path` as MLIR bytecode (weights stored as raw bytes).
 * An unwritable path is a diagnostic. */
MLIR_CAPI_EXPORTED MlirLogicalResult mlirQslModuleSave(MlirModule module,
                                                       MlirStringRef path);

/* Writes to `outputPath` the ONNX model at `modelPath` (the file `module`
 * was imported from, then compressed) with every compressed weight replaced
 * by standard ONNX operators that evaluate its encoding (qslc --emit=onnx;
 * docs/tools/onnx-export.md). The module must still hold the compression
 * metadata (not stripped, not compiled). A module that cannot be expressed
 * this way (structured pruning, codebooks) is a diagnostic and nothing is
 * written. */
MLIR_CAPI_EXPORTED MlirLogicalResult mlirQslExportONNX(MlirModule module,
                                                       MlirStringRef modelPath,
                                                       MlirStringRef outputPath);

/* Reads a module from `path`, MLIR bytecode or text, into `ctx` (with
 * every dialect QSL uses registered). A missing or malformed file gives a
 * null module and diagnostics. */
MLIR_CAPI_EXPORTED MlirModule mlirQslModuleLoad(MlirContext ctx,
                                                MlirStringRef path);

#ifdef __cplusplus
}
#endif

#endif /* QSL_C_COMPRESSION_H */
