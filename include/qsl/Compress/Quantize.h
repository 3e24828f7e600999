//===- Quantize.h - Uniform weight quantization (RTN, MSE, GPTQ) -*- C++ -*-===//
//
// Uniform b-bit quantization of a weight matrix W : [rows, cols] (see
// Matrix.h for the orientation) with one scale (and zero point) per group
// of `group` consecutive elements of a row; group = 0 is one group per row
// (per-output-channel).
//
//   symmetric:  q in [-2^(b-1), 2^(b-1)-1],  w ~ s * q,
//               s = max|w| / (2^(b-1) - 1)            (clip ratio c: s * c)
//   asymmetric: q in [0, 2^b - 1],           w ~ s * (q - z),
//               s = (max - min) / (2^b - 1), z = round(-min / s) clamped
//               to [0, 2^b - 1]; the range always contains 0.
//
// A group whose range is 0 gets scale 1 (all codes encode exact zeros or
// the constant value through z), never a division by zero.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_QUANTIZE_H
#define QSL_COMPRESS_QUANTIZE_H

#include "qsl/Compress/Matrix.h"

#include <string>

namespace qsl {
namespace compress {

struct QuantSpec {
  unsigned bits = 4;     // 2..8
  int64_t group = 0;     // elements per group along a row; 0 = whole row
  bool symmetric = true; // false: unsigned codes with zero points

  /// Groups per row (ceil(cols / group), 1 for group = 0).
  int64_t numGroups(int64_t cols) const;
  /// Columns of group g's first element and one past its last.
  int64_t groupBegin(int64_t g) const;
  int64_t groupEnd(int64_t g, int64_t cols) const;
  /// An error message when the spec is unusable for `cols` columns
  /// (bits outside 2..8, group < 0), else empty.
  std::string validate(int64_t cols) const;
};

/// A quantized matrix: codes plus per-group parameters.
struct QuantizedMatrix {
  QuantSpec spec;
  IntMatrix codes; // [rows, cols]
  Matrix scales;   // [rows, numGroups]
  IntMatrix zeros; // [rows, numGroups]; empty (0x0) when symmetric

  /// s * q (symmetric) or s * (q - z), in float.
  Matrix dequantize() const;
};

/// How the range of a group is chosen.
enum class RangeSearch {
  MinMax, // the group's extreme values
  MSE,    // the clip ratio in {1, 1 - 1/grid, 1 - 2/grid, ...} down to
          // 1 - maxShrink that
          // minimises sum |w - deq(q(w))|^norm over the group (GPTQ's
          // and llm-compressor's grid search; norm 2.4 as there)
};

struct RangeOptions {
  RangeSearch search = RangeSearch::MinMax;
  int gridPoints = 100;
  double maxShrink = 0.8;
  double norm = 2.4;
};

/// Scale and zero point of one group of values under `spec`/`range`.
void chooseGroupRange(const float *values, int64_t count, const QuantSpec &spec,
                      const RangeOptions &range, float &scale, int32_t &zero);
/// The code of `w` under (scale, zero): round-to-nearest-even, clamped.
int32_t quantizeValue(float w, float scale, int32_t zero, const QuantSpec &spec);
float dequantizeValue(int32_t q, float scale, int32_t zero,
                      const QuantSpec &spec);

/// Round-to-nearest quantization, data-free.
QuantizedMatrix quantizeRTN(const Matrix &w, const QuantSpec &spec,
                            const RangeOptions &range = {});

struct GPTQOptions {
  /// Dampening: lambda = damp * mean(diag(H)) is added to diag(H).
  double damp = 0.01;
  /// Columns updated lazily together (the paper's B = 128).
  int64_t blockSize = 128;
  /// Quantize columns in order of decreasing diag(H). Groups stay
  /// contiguous in the original column order: with act-order, each group's
  /// parameters are chosen from the original weights before any update
  /// ("static groups"), so the stored encoding is the ordinary one.
  bool actOrder = false;
  RangeOptions range;
  /// For a pruned weight (sparse + quant): positions where the mask is
  /// false are fixed to 0 (code 0, or the zero point) and their weight is
  /// compensated on later columns like any quantization error, so that
  /// pruning and quantization errors are corrected together.
  const Mask *keep = nullptr;
};

/// GPTQ (Frantar et al., 2022): quantize column by column, spreading each
/// column's error over the not-yet-quantized columns with the inverse
/// Hessian's Cholesky factor. `hessian` is X^T X (any positive scale) over
/// calibration inputs, [cols, cols]. Columns whose diagonal is 0 (dead
/// inputs) are set to 0 before quantization, as in the reference.
/// With H = I this reduces to RTN.
QuantizedMatrix quantizeGPTQ(const Matrix &w, const MatrixD &hessian,
                             const QuantSpec &spec, const GPTQOptions &options);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_QUANTIZE_H
