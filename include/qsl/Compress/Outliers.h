//===- Outliers.h - SpQR-style selection of outlier weights -----*- C++ -*-===//
//
// Which elements of a weight to keep in high precision (the `outliers`
// facet) so that quantizing the rest loses the least. SpQR (Dettmers et
// al., 2023, arXiv:2306.03078) keeps the weights whose quantization error is
// largest under the calibrated sensitivity, and judges each by what leaving
// it out of its group gains: its own error disappears, and when it is the
// group's minimum or maximum, the range refit without it shrinks the error
// of every other element of the group.
//
// Sensitivity: the weighted error of element (n, j) of W : [N, K] is
//   h_j (w_nj - deq(q(w_nj)))^2,   h_j = 1 / [(H + lambda I)^-1]_jj,
// the OBS/GPTQ saliency (fixing input j to a quantized value costs
// e^2 / [H^-1]_jj of calibrated output error once the other inputs
// compensate), with H = X^T X and lambda = damp * mean(diag H). Without
// calibration h = 1 (plain squared error).
//
// Selection is greedy, over the whole matrix: the element whose removal
// lowers the summed weighted error of round-to-nearest with min/max ranges
// the most goes first; a removal that changes its group's range updates the
// gains of the rest of the group. Elements qualify while their gain exceeds
// `threshold` times the mean weighted error per element of the weight
// before any removal; at most `count` are taken.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_OUTLIERS_H
#define QSL_COMPRESS_OUTLIERS_H

#include "qsl/Compress/Matrix.h"
#include "qsl/Compress/Quantize.h"

#include <vector>

namespace qsl {
namespace compress {

/// h_j = 1 / [(H + damp * mean(diag H) I)^-1]_jj for every input j.
VectorD obsSensitivity(const MatrixD &gram, double damp);

/// The SpQR-style outliers of `w` ([N, K]; groups of `spec` along K) as
/// row-major linear indices, sorted. `sensitivity` is [K] (h above) or
/// empty for uniform weights; `count` caps how many; `threshold` >= 0.
std::vector<int64_t> selectOutliers(const Matrix &w, const QuantSpec &spec,
                                    const VectorD &sensitivity, int64_t count,
                                    double threshold = 0.0);

/// The weighted round-to-nearest (min/max range) error of `w` when the
/// elements at `outliers` are exact and left out of their groups' ranges:
/// sum over the rest of h_j (w - deq(q(w)))^2. What selectOutliers
/// greedily lowers; exposed for tests and reports.
double weightedRTNError(const Matrix &w, const QuantSpec &spec,
                        const VectorD &sensitivity,
                        const std::vector<int64_t> &outliers);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_OUTLIERS_H
