/*===- qsl-c/Dialect.h - C API: qsl dialect and #qsl.encoding -----*- C -*-===*\
|*                                                                            *|
|* Registration of the qsl dialect and QSL's passes, and the #qsl.encoding    *|
|* tensor encoding. Follows the MLIR C API conventions (mlir-c/IR.h): handles *|
|* are the upstream Mlir* structs, errors are diagnostics on the context and  *|
|* a null result (mlirAttributeIsNull) or a failed MlirLogicalResult.         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
#ifndef QSL_C_DIALECT_H
#define QSL_C_DIALECT_H

#include "mlir-c/IR.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* mlirGetDialectHandle__qsl__(): the qsl dialect alone, for
 * mlirDialectHandleRegisterDialect / mlirDialectHandleInsertDialect. */
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(QSL, qsl);

/* Inserts the qsl dialect and every upstream dialect and extension that
 * imported, compressed and compiled modules use (what qslc registers). */
MLIR_CAPI_EXPORTED void mlirQslRegisterAllDialects(MlirDialectRegistry registry);

/* Registers QSL's passes and pipelines (qsl-quantize, qsl-prune,
 * qsl-compress-pipeline, qsl-cpu-pipeline, ...) and upstream MLIR's passes
 * in the process-wide pass registry, so that pipeline strings can name them.
 * Idempotent and thread-safe: only the first call registers. */
MLIR_CAPI_EXPORTED void mlirQslRegisterPasses(void);

/*===----------------------------------------------------------------------===*
 * #qsl.encoding
 *===----------------------------------------------------------------------===*/

/* Whether `attr` is a #qsl.encoding. */
MLIR_CAPI_EXPORTED bool mlirAttributeIsAQslEncoding(MlirAttribute attr);

/* Parses `text` ("#qsl.encoding<quant = <bits = 4, scale = f16>>") as an
 * encoding. Syntax errors, verifier errors and attributes of another kind
 * are reported as diagnostics on `ctx`; the result is then null. */
MLIR_CAPI_EXPORTED MlirAttribute mlirQslEncodingAttrParse(MlirContext ctx,
                                                          MlirStringRef text);

/* Builds an encoding from its common facets; a facet is left out when its
 * first argument is 0:
 *   quant:   `quantBits`-bit codes, one scale of type `quantScaleType` per
 *            `quantGroup` elements along the reduction axis (0: per channel),
 *            unsigned codes with i<bits> zero points when `quantAsymmetric`;
 *   sparse:  N:M (`sparseN`:`sparseM`) along the reduction axis;
 *   lowrank: rank `lowRankRank` factors of type `lowRankType`.
 * Invalid combinations are reported as diagnostics on `ctx` (null result). */
MLIR_CAPI_EXPORTED MlirAttribute mlirQslEncodingAttrGet(
    MlirContext ctx, unsigned quantBits, int64_t quantGroup,
    MlirType quantScaleType, bool quantAsymmetric, int64_t sparseN,
    int64_t sparseM, int64_t lowRankRank, MlirType lowRankType);

/* Facet parameters of an encoding; 0 when the facet is absent. */
MLIR_CAPI_EXPORTED unsigned mlirQslEncodingAttrGetQuantBits(MlirAttribute attr);
MLIR_CAPI_EXPORTED int64_t mlirQslEncodingAttrGetQuantGroup(MlirAttribute attr);
MLIR_CAPI_EXPORTED int64_t mlirQslEncodingAttrGetSparseN(MlirAttribute attr);
MLIR_CAPI_EXPORTED int64_t mlirQslEncodingAttrGetSparseM(MlirAttribute attr);
MLIR_CAPI_EXPORTED int64_t mlirQslEncodingAttrGetLowRankRank(MlirAttribute attr);

/* Storage of a statically shaped tensor type with a #qsl.encoding, in bits
 * per logical element (all side tensors counted); -1 for any other type. */
MLIR_CAPI_EXPORTED double mlirQslTensorTypeGetBitsPerElement(MlirType type);

#ifdef __cplusplus
}
#endif

#endif /* QSL_C_DIALECT_H */
