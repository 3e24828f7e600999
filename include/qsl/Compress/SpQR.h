//===- SpQR.h - GPTQ with sensitivity-selected outliers (SpQR) --*- C++ -*-===//
//
// SpQR (Dettmers et al., 2023, arXiv:2306.03078): quantize a weight matrix
// W : [rows, cols] with GPTQ, but keep the elements whose quantization is
// most harmful in a sparse high-precision list. The sensitivity-weighted
// error of element (r, j) is
//
//     e(r, j) = (w_rj - q(w_rj))^2 / U_jj^2,
//
// with w the weight as GPTQ sees it when column j's group comes up
// (earlier columns' errors already compensated) and U the upper Cholesky
// factor of the damped H^-1 (H^-1 = U^T U; U_jj^2 is the inverse Hessian
// diagonal of the not-yet-quantized columns, the paper's Eq. 6 weight).
// As in the paper's reference code, an element's sensitivity s(r, j) is
// the drop of its group's total e when the element leaves the group and the
// group's range is refitted without it (leave-one-out, min/max range): for
// most elements that is e(r, j) itself; for the group's extremes it also
// counts the error they caused on the others by stretching the range (a
// planted outlier quantizes almost exactly itself but ruins its group).
// With H = I (data-free) all U_jj are equal and s ranks plain errors.
//
// Selection (two passes, deterministic, the count is exact):
//   1. a GPTQ pass without outliers records s for every element;
//   2. outliers are the elements with s > threshold * mean(s) (a relative
//      threshold), the largest first, at most floor(maxFraction * size);
//   3. a second GPTQ pass excludes them: they take no part in their
//      group's range fit, their codes are those of 0, and they store the
//      residual w - deq(q) rounded to `valueType`, so their error is (up to
//      that rounding) zero and nothing is propagated for them.
// The paper detects outliers group by group inside one sweep; the two-pass
// form gives the same criterion with an exact global cap. Groups follow
// the natural column order (no act-order).
//
// Quantized statistics (statBits > 0, the paper's 3-bit statistics): when a
// group comes up, its column of scales s[0..rows) is quantized right away in
// runs of statGroup rows, asymmetric min-max with statBits-bit codes:
//   t = (max - min) / (2^b - 1),  z = -min / t   (t and z rounded to
//   statType; a constant run stores t = its value, z = -1),
//   code = clamp(round(s / t + z), 0, 2^b - 1),  s' = t * (code - z),
// and the group is quantized with s' (so codes, errors and compensation all
// see the scales the encoding stores). z is fractional, so the run's
// smallest scale maps to code 0 exactly and every s' stays positive.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_SPQR_H
#define QSL_COMPRESS_SPQR_H

#include "qsl/Compress/AWQ.h"
#include "qsl/Compress/Quantize.h"

#include <vector>

namespace qsl {
namespace compress {

struct SpQROptions {
  /// Relative threshold: s > threshold * mean(s). 0 takes the largest
  /// errors up to the cap; +inf gives no outliers. Must be >= 0.
  double threshold = 0.0;
  /// Cap: at most floor(maxFraction * rows * cols) outliers; in [0, 1).
  double maxFraction = 0.01;
  double damp = 0.01;
  RangeOptions range;
  /// Element type the outlier residuals are rounded to (f16 by default).
  MultiplierType valueType = MultiplierType::F16;
  /// When set, these positions are the outliers (no detection): e.g. the
  /// largest |w| for a magnitude baseline. Same shape as W.
  const Mask *fixedOutliers = nullptr;
  /// Quantized statistics: bits of the scale codes (0: scales stay in
  /// statType), rows per second-level run (must divide the rows; needs
  /// group-wise quantization), type of the second-level parameters.
  unsigned statBits = 0;
  int64_t statGroup = 16;
  MultiplierType statType = MultiplierType::F16;
};

struct SpQRResult {
  QuantizedMatrix quantized; // scales: the dequantized (stored) values
  /// With quantized statistics: the codes of the scales [rows, groups] and
  /// the second-level scales and zeros [rows / statGroup, groups].
  IntMatrix scaleCodes;
  Matrix statScales, statZeros;
  /// Row-major linear indices into W, ascending, and the residuals
  /// w - deq(q) at them (already rounded to valueType).
  std::vector<int64_t> outlierIndices;
  std::vector<float> outlierValues;
  /// deq(q) plus the outliers: the matrix the encoding represents.
  Matrix dequantize() const;
};

/// An error message when the options are unusable, else empty.
std::string validateSpQR(const SpQROptions &options);

/// Quantizes one run of positive scales as above: codes, t, z (rounded to
/// `type`), and the dequantized scales t * (code - z).
void quantizeStatRun(const float *scales, int64_t n, unsigned bits,
                     MultiplierType type, int32_t *codes, float &t, float &z,
                     float *dequantized);

/// SpQR as above. `hessian` is X^T X over calibration inputs ([cols, cols]);
/// pass the identity for the data-free variant.
SpQRResult quantizeSpQR(const Matrix &w, const MatrixD &hessian,
                        const QuantSpec &spec, const SpQROptions &options);

/// tr(E H E^T) with E = W - approx: the calibrated output error.
double calibratedError(const Matrix &w, const Matrix &approx,
                       const MatrixD &hessian);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_SPQR_H
