//===- Statistics.h - Calibration statistics of one layer input -*- C++ -*-===//
//
// What qsl-calibrate records for every compressible weight: the Gram matrix
// of the layer's input features over all calibration tokens and their sums,
// from which GPTQ/SparseGPT take their Hessian (H = X^T X), Wanda its input
// norms and DSnoT its input means.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_STATISTICS_H
#define QSL_COMPRESS_STATISTICS_H

#include "qsl/Compress/Matrix.h"

namespace qsl {
namespace compress {

struct InputStatistics {
  MatrixD gram; // sum_t x_t x_t^T, [features, features]
  VectorD sum;  // sum_t x_t, [features]
  int64_t tokens = 0;

  explicit InputStatistics(int64_t features = 0);
  int64_t features() const { return sum.size(); }
  /// Adds a batch of tokens, one per row of `x` ([tokens, features]); the
  /// batch's products are summed in float, the totals kept in double.
  void accumulate(const Matrix &x);
  /// Adds statistics gathered elsewhere over the same features.
  void merge(const MatrixD &gram, const VectorD &sum, int64_t tokens);
  /// ||X_j||_2 over all tokens: sqrt(diag(gram)).
  VectorD inputNorms() const;
  /// Mean of every feature.
  VectorD inputMean() const;
};

/// ||(W - What) X^T|| / ||W X^T|| for the inputs X whose Gram matrix is
/// `gram` (W, What : [out, in]), i.e. sqrt(tr(E H E^T) / tr(W H W^T)):
/// the calibrated output error of a compressed layer (0 when W H W^T is 0).
/// Computed in float (3 digits are what a report needs).
double relativeOutputError(const Matrix &w, const Matrix &what,
                           const MatrixD &gram);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_STATISTICS_H
