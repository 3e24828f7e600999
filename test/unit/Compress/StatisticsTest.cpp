//===- StatisticsTest.cpp - Calibration statistics ------------------------===//
#include "qsl/Compress/Statistics.h"

#include <gtest/gtest.h>

using namespace qsl::compress;

TEST(InputStatistics, GramSumAndNormsMatchTheDefinition) {
  Matrix x(5, 3);
  x << 1, 2, 3, -1, 0, 2, 4, 1, -2, 0, 0, 1, 2, -3, 0.5;
  InputStatistics stats(3);
  // Two batches must give the same statistics as one.
  stats.accumulate(x.topRows(2));
  stats.accumulate(x.bottomRows(3));
  ASSERT_EQ(stats.tokens, 5);
  for (int i = 0; i < 3; ++i) {
    double s = 0;
    for (int t = 0; t < 5; ++t)
      s += x(t, i);
    EXPECT_DOUBLE_EQ(stats.sum(i), s);
    EXPECT_NEAR(stats.inputMean()(i), s / 5, 1e-12);
    for (int j = 0; j < 3; ++j) {
      double g = 0;
      for (int t = 0; t < 5; ++t)
        g += double(x(t, i)) * x(t, j);
      EXPECT_NEAR(stats.gram(i, j), g, 1e-12) << i << "," << j;
    }
    EXPECT_NEAR(stats.inputNorms()(i), std::sqrt(stats.gram(i, i)), 1e-12);
  }
}
