//===- StructuredTest.cpp - Channel scores and FLAP compensation ----------===//
//
// Scores are checked against their formulas on data with known moments;
// the compensation against its defining property: a removed channel that
// is constant over the data (zero fluctuation) is replaced exactly.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/Structured.h"
#include "Random.h"

#include <gtest/gtest.h>

#include <random>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

TEST(Structured, FluctuationIsVarianceTimesColumnEnergy) {
  // Two tokens per channel: x_j in {m_j - d_j, m_j + d_j}, variance d_j^2.
  const int64_t h = 4;
  double m[h] = {1, -2, 0.5, 3}, d[h] = {0.5, 0, 2, 1};
  Matrix x(2, h);
  for (int64_t j = 0; j < h; ++j) {
    x(0, j) = float(m[j] - d[j]);
    x(1, j) = float(m[j] + d[j]);
  }
  InputStatistics stats(h);
  stats.accumulate(x);
  Matrix w2(3, h);
  w2 << 1, 0, 2, 1, //
      0, 1, 0, -1,  //
      2, 3, 1, 1;
  VectorD s = fluctuationScores(w2, stats);
  double colEnergy[h] = {5, 10, 5, 3};
  for (int64_t j = 0; j < h; ++j)
    EXPECT_NEAR(s(j), d[j] * d[j] * colEnergy[j], 1e-9) << "channel " << j;
}

TEST(Structured, MagnitudeScore) {
  Matrix w2(2, 3);
  w2 << 3, 0, 1, //
      4, 0, 1;
  Matrix p1(3, 2), p2(3, 2);
  p1 << 1, 0, 5, 5, 0, 2;
  p2 << 0, 0, 1, 1, 0, 0;
  VectorD s = magnitudeScores(w2, {&p1, &p2});
  EXPECT_NEAR(s(0), 5.0 * 1.0, 1e-9);
  EXPECT_NEAR(s(1), 0.0, 1e-9);
  EXPECT_NEAR(s(2), std::sqrt(2.0) * 2.0, 1e-9);
}

TEST(Structured, HeadScores) {
  // Two heads of two channels; the producer (a fused QKV) holds each head's
  // rows at offsets 0 and 4: head 0 = rows {0, 1, 4, 5}, head 1 = {2, 3, 6, 7}.
  Matrix w2(1, 4);
  w2 << 3, 4, 0, 1;
  Matrix qkv(8, 1);
  qkv << 1, 1, 2, 0, 1, 1, 0, 0;
  VectorD s = magnitudeScores(w2, 2, {{&qkv, 2, {0, 4}}});
  EXPECT_NEAR(s(0), 5.0 * 2.0, 1e-9);
  EXPECT_NEAR(s(1), 1.0 * 2.0, 1e-9);
  // Unit size 1 with one offset is the channel score.
  Matrix p(4, 2);
  p << 1, 0, 0, 2, 3, 0, 0, 0;
  VectorD perUnit = magnitudeScores(w2, 1, {{&p, 1, {0}}});
  VectorD perChannel = magnitudeScores(w2, {&p});
  EXPECT_TRUE(perUnit.isApprox(perChannel));

  VectorD channels(6);
  channels << 1, 2, 3, 4, 5, 6;
  VectorD heads = unitScores(channels, 3);
  ASSERT_EQ(heads.size(), 2);
  EXPECT_DOUBLE_EQ(heads(0), 6);
  EXPECT_DOUBLE_EQ(heads(1), 15);
  EXPECT_EQ(unitChannels({0, 2}, 2), (std::vector<int64_t>{0, 1, 4, 5}));
}

TEST(Structured, SelectKeepsLargestInIndexOrder) {
  VectorD s(6);
  s << 0.5, 3, 1, 3, 0.1, 2;
  EXPECT_EQ(selectChannels(s, 3), (std::vector<int64_t>{1, 3, 5}));
  EXPECT_EQ(selectChannels(s, 0), (std::vector<int64_t>{}));
  EXPECT_EQ(selectChannels(s, 9).size(), 6u);
  // Ties go to the lower index.
  VectorD t = VectorD::Ones(4);
  EXPECT_EQ(selectChannels(t, 2), (std::vector<int64_t>{0, 1}));
}

TEST(Structured, CompensationIsExactForConstantChannels) {
  // Channels 1 and 4 are constant over the data: fluctuation 0, so they go
  // first, and the compensated pruned layer reproduces the full one.
  const int64_t t = 64, h = 6, n = 5;
  Matrix x = gaussian(t, h, 1);
  x.col(1).setConstant(0.75f);
  x.col(4).setConstant(-2.0f);
  InputStatistics stats(h);
  stats.accumulate(x);
  Matrix w2 = gaussian(n, h, 2);
  VectorD s = fluctuationScores(w2, stats);
  std::vector<int64_t> kept = selectChannels(s, 4);
  EXPECT_EQ(kept, (std::vector<int64_t>{0, 2, 3, 5}));
  VectorD comp = biasCompensation(w2, stats.inputMean(), kept);
  Matrix full = x * w2.transpose();
  Matrix xk(t, 4), wk(n, 4);
  for (int64_t i = 0; i < 4; ++i) {
    xk.col(i) = x.col(kept[i]);
    wk.col(i) = w2.col(kept[i]);
  }
  Matrix pruned = (xk * wk.transpose()).rowwise() +
                  comp.cast<float>().transpose();
  EXPECT_LT((full - pruned).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Structured, ChannelsToKeep) {
  EXPECT_EQ(channelsToKeep(1536, 0.25, 1), 1152);
  EXPECT_EQ(channelsToKeep(1536, 0.3, 1), 1076);  // ceil(1075.2)
  EXPECT_EQ(channelsToKeep(1536, 0.3, 8), 1080);
  EXPECT_EQ(channelsToKeep(10, 0.99, 8), 8);
  EXPECT_EQ(channelsToKeep(6, 0.5, 8), 6);
  EXPECT_EQ(channelsToKeep(100, 0.0, 8), 100);
}

TEST(Structured, GlobalKeepCountsFollowStandardizedScores) {
  // Group 0's scores are spread out (two clear losers), group 1's are
  // equal (z = 0 for all): removing 2 of 8 channels takes group 0's two
  // channels with z < 0 first.
  VectorD a(4), b(4);
  a << 10, 10, 1, 1;
  b << 5, 5, 5, 5;
  EXPECT_EQ(globalKeepCounts({a, b}, 0.25, 1), (std::vector<int64_t>{2, 4}));
  // The counts are rounded up to the multiple and capped by the group.
  EXPECT_EQ(globalKeepCounts({a, b}, 0.25, 4), (std::vector<int64_t>{4, 4}));
  // Scale does not matter: a group of tiny scores is standardized too.
  VectorD c = a * 1e-6;
  EXPECT_EQ(globalKeepCounts({c, b}, 0.25, 1), (std::vector<int64_t>{2, 4}));
  // ratio 0 keeps everything.
  EXPECT_EQ(globalKeepCounts({a, b}, 0.0, 1), (std::vector<int64_t>{4, 4}));
}

} // namespace
