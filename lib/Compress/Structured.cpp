//===- Structured.cpp - Channel scores for structured pruning -------------===//
#include "qsl/Compress/Structured.h"

#include <algorithm>
#include <cmath>
#include <numeric>

using namespace qsl::compress;

VectorD qsl::compress::fluctuationScores(const Matrix &w2,
                                         const InputStatistics &stats) {
  const int64_t h = w2.cols();
  VectorD scores(h);
  const double t = double(std::max<int64_t>(stats.tokens, 1));
  for (int64_t j = 0; j < h; ++j) {
    double mean = stats.sum(j) / t;
    double var = std::max(stats.gram(j, j) / t - mean * mean, 0.0);
    scores(j) = var * w2.col(j).cast<double>().squaredNorm();
  }
  return scores;
}

VectorD qsl::compress::magnitudeScores(
    const Matrix &w2, const std::vector<const Matrix *> &producers) {
  std::vector<UnitRows> rows;
  for (const Matrix *p : producers)
    rows.push_back({p, 1, {0}});
  return magnitudeScores(w2, 1, rows);
}

VectorD qsl::compress::magnitudeScores(const Matrix &w2, int64_t unitSize,
                                       const std::vector<UnitRows> &producers) {
  const int64_t units = w2.cols() / unitSize;
  VectorD scores(units);
  for (int64_t u = 0; u < units; ++u) {
    double in = 0;
    for (const UnitRows &p : producers)
      for (int64_t o : p.offsets)
        in += p.weight->middleRows(o + u * p.block, p.block)
                  .cast<double>()
                  .squaredNorm();
    double out =
        w2.middleCols(u * unitSize, unitSize).cast<double>().squaredNorm();
    scores(u) = std::sqrt(out) * std::sqrt(in);
  }
  return scores;
}

VectorD qsl::compress::unitScores(const VectorD &channelScores,
                                  int64_t unitSize) {
  const int64_t units = channelScores.size() / unitSize;
  VectorD scores(units);
  for (int64_t u = 0; u < units; ++u)
    scores(u) = channelScores.segment(u * unitSize, unitSize).sum();
  return scores;
}

std::vector<int64_t>
qsl::compress::unitChannels(const std::vector<int64_t> &units,
                            int64_t unitSize) {
  std::vector<int64_t> channels;
  channels.reserve(units.size() * unitSize);
  for (int64_t u : units)
    for (int64_t j = 0; j < unitSize; ++j)
      channels.push_back(u * unitSize + j);
  return channels;
}

std::vector<int64_t> qsl::compress::selectChannels(const VectorD &scores,
                                                   int64_t keep) {
  const int64_t h = scores.size();
  keep = std::clamp<int64_t>(keep, 0, h);
  std::vector<int64_t> order(h);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return scores(a) > scores(b);
  });
  order.resize(keep);
  std::sort(order.begin(), order.end());
  return order;
}

VectorD qsl::compress::biasCompensation(const Matrix &w2, const VectorD &mean,
                                        const std::vector<int64_t> &kept) {
  std::vector<bool> isKept(w2.cols(), false);
  for (int64_t j : kept)
    isKept[j] = true;
  VectorD comp = VectorD::Zero(w2.rows());
  for (int64_t j = 0; j < w2.cols(); ++j)
    if (!isKept[j])
      comp += w2.col(j).cast<double>() * mean(j);
  return comp;
}

int64_t qsl::compress::channelsToKeep(int64_t channels, double ratio,
                                      int64_t multiple) {
  multiple = std::max<int64_t>(multiple, 1);
  double exact = double(channels) * (1.0 - ratio);
  int64_t keep = int64_t(std::ceil(exact - 1e-9));
  keep = (keep + multiple - 1) / multiple * multiple;
  keep = std::max(keep, multiple);
  return std::min(keep, channels);
}

std::vector<int64_t>
qsl::compress::globalKeepCounts(const std::vector<VectorD> &scores,
                                double ratio, int64_t multiple) {
  multiple = std::max<int64_t>(multiple, 1);
  struct Entry {
    double z;
    size_t group;
  };
  std::vector<Entry> all;
  int64_t total = 0;
  for (size_t g = 0; g < scores.size(); ++g) {
    const VectorD &s = scores[g];
    total += s.size();
    if (s.size() == 0)
      continue;
    double mean = s.mean();
    double var = (s.array() - mean).square().mean();
    double sd = std::sqrt(var);
    for (int64_t j = 0; j < s.size(); ++j)
      all.push_back({sd > 0 ? (s(j) - mean) / sd : 0.0, g});
  }
  // The kept channels: the (1 - ratio) share with the largest z.
  int64_t keepTotal = int64_t(std::ceil(double(total) * (1.0 - ratio) - 1e-9));
  std::stable_sort(all.begin(), all.end(),
                   [](const Entry &a, const Entry &b) { return a.z > b.z; });
  std::vector<int64_t> keep(scores.size(), 0);
  for (int64_t i = 0; i < keepTotal && i < int64_t(all.size()); ++i)
    ++keep[all[i].group];
  for (size_t g = 0; g < scores.size(); ++g) {
    int64_t h = scores[g].size();
    int64_t k = (keep[g] + multiple - 1) / multiple * multiple;
    keep[g] = std::min(std::max(k, multiple), h);
  }
  return keep;
}
