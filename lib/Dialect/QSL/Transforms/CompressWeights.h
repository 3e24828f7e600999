//===- CompressWeights.h - The loop shared by compression passes -*- C++ -*-=//
//
// Internal to QSLTransforms. A compression pass supplies one function that
// turns a weight use into its encoded form; this driver finds the uses,
// applies the pass's filter, runs the function on MLIR's thread pool a
// batch at a time (so peak memory stays near one batch of layers, not the
// model) and rewrites the IR on the main thread.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_LIB_DIALECT_QSL_TRANSFORMS_COMPRESSWEIGHTS_H
#define QSL_LIB_DIALECT_QSL_TRANSFORMS_COMPRESSWEIGHTS_H

#include "qsl/Dialect/QSL/Transforms/WeightUses.h"

#include <functional>

namespace mlir {
namespace qsl {

/// What compressing one weight produced.
struct CompressedWeight {
  RankedTensorType type;   // the encoded weight type
  EncodedContents contents; // in the stored orientation
  std::string method;      // e.g. "gptq w4 g128 asym"
  /// Set instead when the weight is left as it is (a warning names it)...
  std::string skipped;
  /// ...or when the pass must fail (an error names it).
  std::string error;
};

using CompressFn = std::function<CompressedWeight(const WeightUse &)>;

/// Compresses every accepted weight use of `module` with `fn`.
LogicalResult compressWeights(ModuleOp module, const WeightFilter &filter,
                              const CompressFn &fn);

/// Checks the options every compression pass has (damp, block-size, the
/// weight selection) and sets up `filter`; returns an error message or "".
std::string checkSharedOptions(double damp, int64_t blockSize,
                               StringRef include, StringRef exclude,
                               StringRef opTypes, int64_t minElements,
                               WeightFilter &filter);

/// Checks the options of a uniform quantization grid (bits 2-8, group >= 0,
/// range minmax|mse) that qsl-quantize and qsl-outliers share; returns an
/// error message or "".
std::string checkGridOptions(unsigned bits, int64_t group, StringRef range);

/// Why a data-aware method (`what`, such as "method=gptq") leaves the
/// grouped convolution of `use` as it is: each group reads other input
/// channels, and calibration records one set of statistics per weight.
std::string groupedConvSkip(const WeightUse &use, StringRef what);

/// The float type an option names: f16, bf16 or f32 (null otherwise).
FloatType parseFloatTypeName(MLIRContext *ctx, StringRef name);

/// The keep mask of `m` in the stored orientation, as bytes.
std::vector<uint8_t> storedKeep(const WeightUse &use,
                                const compress::Mask &canonical);

} // namespace qsl
} // namespace mlir

#endif
