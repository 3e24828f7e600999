//===- CodebookTest.cpp - SqueezeLLM weighted k-means tables --------------===//
#include "qsl/Compress/Codebook.h"
#include "qsl/Compress/Quantize.h"

#include "Random.h"

#include <gtest/gtest.h>

#include <set>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

/// Student-t(3)-like heavy tails: a Gaussian divided by a chi draw.
Matrix heavyTailed(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::student_t_distribution<float> t(3.0f);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = t(gen);
  return m;
}

TEST(Codebook, BeatsRTNAtSameBits) {
  for (unsigned bits : {2u, 3u, 4u})
    for (int kind = 0; kind < 2; ++kind) {
      Matrix w = kind == 0 ? gaussian(16, 256, 7u) : heavyTailed(16, 256, 8u);
      CodebookSpec cs;
      cs.bits = bits;
      CodebookMatrix cb = quantizeCodebook(w, cs);
      QuantSpec qs;
      qs.bits = bits;
      qs.symmetric = false; // the stronger uniform baseline
      double eRTN = weightedSquaredError(w, quantizeRTN(w, qs).dequantize());
      double eCB = weightedSquaredError(w, cb.dequantize());
      EXPECT_LT(eCB, eRTN) << "bits " << bits << " kind " << kind;
      // Heavy tails: non-uniform levels win by a wide margin.
      if (kind == 1)
        EXPECT_LT(eCB, 0.6 * eRTN) << "bits " << bits;
    }
}

TEST(Codebook, ExactWithFewDistinctValues) {
  Matrix w(3, 40);
  const float levels[3][5] = {{-1.5f, 0.25f, 2.0f, 7.0f, -3.0f},
                              {0.5f, 0.5f, 0.5f, 0.5f, 0.5f},
                              {1.0f, -1.0f, 0.0f, 1.0f, -1.0f}};
  std::mt19937 gen(3);
  for (int64_t r = 0; r < 3; ++r)
    for (int64_t c = 0; c < 40; ++c)
      w(r, c) = levels[r][gen() % 5];
  CodebookSpec cs;
  cs.bits = 3; // 8 >= 5 distinct
  CodebookMatrix cb = quantizeCodebook(w, cs);
  EXPECT_EQ((cb.dequantize() - w).cwiseAbs().maxCoeff(), 0.0f);
  cs.bits = 2; // 4 entries; row 2 has only 3 distinct values
  cb = quantizeCodebook(w, cs);
  Matrix deq = cb.dequantize();
  EXPECT_EQ((deq.row(1) - w.row(1)).cwiseAbs().maxCoeff(), 0.0f);
  EXPECT_EQ((deq.row(2) - w.row(2)).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(Codebook, CodesIndexSortedTablePerRowAndGroup) {
  Matrix w = gaussian(5, 128, 11u);
  CodebookSpec cs;
  cs.bits = 3;
  cs.group = 32;
  ASSERT_EQ(cs.validate(128), "");
  CodebookMatrix cb = quantizeCodebook(w, cs);
  ASSERT_EQ(cb.tables.rows(), 5 * 4);
  ASSERT_EQ(cb.tables.cols(), 8);
  for (int64_t t = 0; t < cb.tables.rows(); ++t)
    for (int64_t j = 1; j < 8; ++j)
      EXPECT_LE(cb.tables(t, j - 1), cb.tables(t, j));
  EXPECT_GE(cb.codes.minCoeff(), 0);
  EXPECT_LT(cb.codes.maxCoeff(), 8);
  // Each element maps to its nearest table entry (Lloyd's fixed point).
  Matrix deq = cb.dequantize();
  for (int64_t r = 0; r < 5; ++r)
    for (int64_t c = 0; c < 128; ++c) {
      float best = 1e30f;
      for (int64_t j = 0; j < 8; ++j)
        best = std::min(best, std::abs(w(r, c) - cb.tables(r * 4 + c / 32, j)));
      EXPECT_EQ(std::abs(w(r, c) - deq(r, c)), best);
    }
  // Grouped tables fit better than one table per row.
  CodebookSpec row = cs;
  row.group = 0;
  EXPECT_LT(weightedSquaredError(w, deq),
            weightedSquaredError(w, quantizeCodebook(w, row).dequantize()));
}

TEST(Codebook, SensitivityWeightingLowersWeightedError) {
  Matrix w = gaussian(16, 256, 21u);
  // A few input channels matter much more (large diag(X^T X)).
  Vector s = Vector::Ones(256);
  std::mt19937 gen(5);
  for (int i = 0; i < 256; i += 8)
    s(i) = 100.0f + float(gen() % 100);
  CodebookSpec cs;
  cs.bits = 3;
  double plain = weightedSquaredError(w, quantizeCodebook(w, cs).dequantize(), &s);
  double weighted =
      weightedSquaredError(w, quantizeCodebook(w, cs, &s).dequantize(), &s);
  EXPECT_LT(weighted, 0.8 * plain);
}

TEST(Codebook, KeepMaskIgnoresPrunedPositions) {
  Matrix w = gaussian(4, 64, 31u);
  Mask keep = Mask::Constant(4, 64, true);
  for (int64_t c = 0; c < 64; c += 2)
    keep.row(1)(c) = false, w(1, c) = 1000.0f; // would wreck the table
  CodebookSpec cs;
  cs.bits = 3;
  CodebookMatrix cb = quantizeCodebook(w, cs, nullptr, &keep);
  EXPECT_LT(cb.tables.row(1).maxCoeff(), 100.0f);
  for (int64_t c = 0; c < 64; c += 2)
    EXPECT_EQ(cb.codes(1, c), 0);
}

TEST(Codebook, Deterministic) {
  Matrix w = heavyTailed(8, 96, 41u);
  Vector s = gaussian(1, 96, 42u).row(0).cwiseAbs().transpose();
  CodebookSpec cs;
  cs.bits = 4;
  CodebookMatrix a = quantizeCodebook(w, cs, &s), b = quantizeCodebook(w, cs, &s);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.tables, b.tables);
}

TEST(Codebook, Validate) {
  CodebookSpec cs;
  cs.bits = 9;
  EXPECT_NE(cs.validate(64), "");
  cs.bits = 4;
  cs.group = 8; // smaller than 16 entries
  EXPECT_NE(cs.validate(64), "");
  cs.group = 24; // does not divide 64
  EXPECT_NE(cs.validate(64), "");
  cs.group = 32;
  EXPECT_EQ(cs.validate(64), "");
}

TEST(Codebook, KMeansSmallExample) {
  // Two well-separated clusters, weighted: centroids are weighted means.
  const float v[] = {0.0f, 1.0f, 10.0f, 12.0f};
  const float wt[] = {3.0f, 1.0f, 1.0f, 1.0f};
  std::vector<int32_t> assign;
  std::vector<float> c = weightedKMeans1D(v, wt, 4, 2, 100, assign);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_FLOAT_EQ(c[0], 0.25f);
  EXPECT_FLOAT_EQ(c[1], 11.0f);
  EXPECT_EQ(assign, (std::vector<int32_t>{0, 0, 1, 1}));
}

} // namespace
