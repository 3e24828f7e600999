//===- AWQ.h - Activation-aware per-channel weight scaling ------*- C++ -*-===//
//
// AWQ (Lin et al., 2024, "AWQ: Activation-aware Weight Quantization"): a
// few input channels see much larger activations than the rest, and the
// error of their weights dominates the output error. Scaling input channel
// j of the weight up by s_j before round-to-nearest, and the activation
// down by 1/s_j, leaves the layer's function unchanged,
//
//   y = W x = (W diag(s)) (diag(1/s) x),
//
// but gives the salient channels relatively finer quantization steps. The
// quantized layer stands for
//
//   What(s) = Q(W diag(s)) diag(1/s)
//
// and s is chosen from the one-parameter family (the paper's search space)
//
//   s_j = a_j^alpha,                       a_j = RMS of input feature j,
//
// or, as in AutoAWQ's "duo scaling", s_j = a_j^alpha / m_j^(1 - alpha) with
// m_j the mean over rows of |w_rj| relative to its group's max, by a grid
// search over alpha in [0, 1) minimising the calibrated output error
//
//   sum_i tr((W_i - What_i) H (W_i - What_i)^T),   H = X^T X,
//
// summed over all weights W_i that read the same input X (Q, K and V of
// one attention block share their scales, as in the paper). alpha = 0 is
// s = 1, plain RTN, so the result is never worse than RTN on the
// calibration data. s is normalised by sqrt(max(s) min(s)) as in AutoAWQ.
//
// The paper takes a_j as the mean |x_j|; QSL's calibration records X^T X,
// whose diagonal gives the RMS instead (the same ordering of channels in
// practice, and no extra statistics).
//
// The result is the multiplier c = 1/s per input channel (what the
// `smooth` facet stores), already rounded to the storage type, and the
// quantized W diag(1/c) of every weight.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_AWQ_H
#define QSL_COMPRESS_AWQ_H

#include "qsl/Compress/Quantize.h"

#include <vector>

namespace qsl {
namespace compress {

/// The precision the multipliers are stored in (they are rounded to it
/// before the weights are scaled, so the stored pair is exact).
enum class MultiplierType { F16, BF16, F32 };

struct AWQOptions {
  /// alpha in {0, 1/grid, ..., (grid - 1)/grid}.
  int gridPoints = 20;
  /// Also search AutoAWQ's duo-scaling family (twice the candidates).
  bool duoScaling = true;
  RangeOptions range;
  MultiplierType multiplierType = MultiplierType::F16;
};

/// One weight of the group: [rows, K], with an optional keep mask (an
/// already pruned weight: pruned positions stay 0 and count as error).
struct AWQWeight {
  const Matrix *w = nullptr;
  const Mask *keep = nullptr;
};

struct AWQResult {
  Vector multipliers;                  // c = 1/s, [K], storage-rounded
  std::vector<QuantizedMatrix> quantized; // of W_i diag(1/c), one per weight
  double alpha = 0;                    // the chosen exponent
  bool duo = false;                    // from the duo-scaling family
  double error = 0;                    // sum_i tr(E_i H E_i^T) at the choice
  double rtnError = 0;                 // the same for s = 1 (plain RTN)
};

/// Searches the scales for weights that share one input whose Gram matrix
/// is `gram` over `tokens` tokens. All weights must have gram.rows()
/// columns and `spec` must be valid for them.
AWQResult searchAWQ(const std::vector<AWQWeight> &weights, const MatrixD &gram,
                    int64_t tokens, const QuantSpec &spec,
                    const AWQOptions &options = {});

/// Rounds `v` to the storage precision `type` (round to nearest even).
float roundMultiplier(float v, MultiplierType type);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_AWQ_H
