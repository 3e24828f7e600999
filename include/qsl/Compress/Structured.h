//===- Structured.h - Channel scores for structured pruning -----*- C++ -*-===//
//
// Structured pruning removes whole intermediate channels: channel j of the
// activation between producer weights W1_p (output row j) and a consumer
// weight W2 (input column j), so the graph becomes smaller dense ops that
// run faster on any backend. In the orientation of Matrix.h, W1_p is
// [H, K] and W2 is [N, H].
//
// Units: channels are removed one by one (unit size 1) or in blocks, such
// as attention heads (unit size = head dimension D, unit u = channels
// [u*D, (u+1)*D) of W2's input). A producer may hold the rows of a unit in
// several places (a fused QKV projection holds them at offsets 0, H*D and
// 2*H*D).
//
// Scores (larger = more important):
//   fluctuation (FLAP, An et al., 2024, arXiv:2312.11983):
//       s_j = Var_t(x_tj) * ||W2[:, j]||^2,
//     the output energy lost when channel j is replaced by its mean;
//   magnitude (data-free): s_j = ||W2[:, j]|| * sqrt(sum_p ||W1_p[j, :]||^2).
//
// FLAP's compensation: a removed channel is replaced by its calibration
// mean, which is a constant the consumer turns into a bias,
//       b2 += sum_{j removed} W2[:, j] * mean_j,
// so that the pruned layer is exact on average over the calibration data.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_STRUCTURED_H
#define QSL_COMPRESS_STRUCTURED_H

#include "qsl/Compress/Statistics.h"

#include <vector>

namespace qsl {
namespace compress {

/// FLAP's fluctuation score of every input channel of `w2` [N, H], from the
/// consumer's input statistics over H features (population variance).
VectorD fluctuationScores(const Matrix &w2, const InputStatistics &stats);

/// The data-free score from the weights alone.
VectorD magnitudeScores(const Matrix &w2,
                        const std::vector<const Matrix *> &producers);

/// The score of each unit: the sum of its `unitSize` channel scores.
VectorD unitScores(const VectorD &channelScores, int64_t unitSize);

/// The rows of a producer weight that feed unit u: for every offset o,
/// rows [o + u*block, o + (u+1)*block).
struct UnitRows {
  const Matrix *weight = nullptr;
  int64_t block = 1;
  std::vector<int64_t> offsets{0};
};

/// The data-free score of every unit of w2's input,
///   s_u = ||W2[:, cols(u)]||_F * sqrt(sum_p ||W1_p[rows_p(u), :]||_F^2),
/// which is magnitudeScores for unit size 1.
VectorD magnitudeScores(const Matrix &w2, int64_t unitSize,
                        const std::vector<UnitRows> &producers);

/// The channels of the given units, in increasing order when `units` is.
std::vector<int64_t> unitChannels(const std::vector<int64_t> &units,
                                  int64_t unitSize);

/// The `keep` channels of largest score, in increasing index order (ties go
/// to the lower index). keep is clamped to [0, scores.size()].
std::vector<int64_t> selectChannels(const VectorD &scores, int64_t keep);

/// sum over the channels not in `kept` of w2[:, j] * mean[j], [N].
VectorD biasCompensation(const Matrix &w2, const VectorD &mean,
                         const std::vector<int64_t> &kept);

/// How many of `channels` to keep when removing `ratio` of them, rounded up
/// to a multiple of `multiple` (at most `channels`, at least `multiple` or
/// `channels` when smaller).
int64_t channelsToKeep(int64_t channels, double ratio, int64_t multiple);

/// FLAP's adaptive structure: every group's scores are standardized
/// ((s - mean) / std within the group), all channels are ranked together
/// and the `ratio` of all channels with the lowest standardized score go.
/// Returns the kept count per group, each rounded up to a multiple of
/// `multiple` (and at least `multiple`, or the group's size when smaller).
std::vector<int64_t> globalKeepCounts(const std::vector<VectorD> &scores,
                                      double ratio, int64_t multiple);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_STRUCTURED_H
