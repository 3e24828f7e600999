//===- Im2ColTest.cpp - Convolution patches --------------------------------===//
#include "qsl/Compress/Im2Col.h"

#include "Random.h"

#include <gtest/gtest.h>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

/// ONNX Conv by its definition (no im2col): y[n, o, oh, ow].
std::vector<double> directConv(const Matrix &x, const Matrix &w,
                               const ConvShape &s) {
  int64_t o = w.rows(), cg = s.channels / s.groups, og = o / s.groups;
  int64_t oh = s.outHeight(), ow = s.outWidth();
  std::vector<double> y(s.batch * o * oh * ow, 0.0);
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t p = 0; p < oh; ++p)
        for (int64_t q = 0; q < ow; ++q) {
          double acc = 0;
          int64_t g = oc / og;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t i = 0; i < s.kernelH; ++i)
              for (int64_t j = 0; j < s.kernelW; ++j) {
                int64_t h = p * s.strides[0] + i * s.dilations[0] - s.pads[0];
                int64_t v = q * s.strides[1] + j * s.dilations[1] - s.pads[1];
                if (h < 0 || h >= s.height || v < 0 || v >= s.width)
                  continue;
                float xv = x.data()[((n * s.channels + g * cg + c) * s.height +
                                     h) * s.width + v];
                float wv = w.data()[((oc * cg + c) * s.kernelH + i) *
                                        s.kernelW + j];
                acc += double(xv) * wv;
              }
          y[((n * o + oc) * oh + p) * ow + q] = acc;
        }
  return y;
}

ConvShape shape(int64_t groups) {
  ConvShape s;
  s.batch = 2;
  s.channels = 6;
  s.height = 7;
  s.width = 9;
  s.kernelH = 3;
  s.kernelW = 2;
  s.strides[0] = 2;
  s.strides[1] = 1;
  s.dilations[0] = 1;
  s.dilations[1] = 2;
  s.pads[0] = 1; // top
  s.pads[1] = 0; // left
  s.pads[2] = 2; // bottom
  s.pads[3] = 1; // right
  s.groups = groups;
  return s;
}

} // namespace

// Every patch times the filter row (OIHW reshaped to [O, C/g*kh*kw]) is the
// convolution at that output position: strides, dilations, asymmetric
// padding and groups all in the column order the compression passes use.
TEST(Im2Col, PatchesTimesFilterRowsAreTheConvolution) {
  for (int64_t groups : {1, 2, 3}) {
    ConvShape s = shape(groups);
    ASSERT_EQ(s.validate(), "");
    EXPECT_EQ(s.outHeight(), (7 + 3 - 3) / 2 + 1);
    EXPECT_EQ(s.outWidth(), (9 + 1 - 3) / 1 + 1);
    int64_t o = 6;
    Matrix x = gaussian(1, s.batch * s.channels * s.height * s.width, 1);
    Matrix w = gaussian(o, s.features(), 2);
    std::vector<double> want = directConv(x, w, s);
    int64_t oh = s.outHeight(), ow = s.outWidth(), og = o / groups;
    for (int64_t g = 0; g < groups; ++g) {
      Matrix patches;
      im2colRows(x.data(), s, g, 0, s.tokens(), patches);
      ASSERT_EQ(patches.rows(), s.tokens());
      ASSERT_EQ(patches.cols(), s.features());
      Matrix y = patches * w.middleRows(g * og, og).transpose(); // [T, og]
      for (int64_t t = 0; t < s.tokens(); ++t)
        for (int64_t r = 0; r < og; ++r) {
          int64_t n = t / (oh * ow), pos = t % (oh * ow);
          double ref = want[(n * o + g * og + r) * oh * ow + pos];
          EXPECT_NEAR(y(t, r), ref, 1e-4) << "group " << g << " token " << t;
        }
    }
  }
}

// Statistics accumulated in small chunks equal those of the whole im2col
// matrix (padding zeros count as features of their tokens).
TEST(Im2Col, ChunkedStatisticsEqualTheWholeMatrix) {
  ConvShape s = shape(2);
  Matrix x = gaussian(1, s.batch * s.channels * s.height * s.width, 3);
  for (int64_t g = 0; g < 2; ++g) {
    Matrix all;
    im2colRows(x.data(), s, g, 0, s.tokens(), all);
    InputStatistics whole(s.features()), chunked(s.features());
    whole.accumulate(all);
    accumulatePatches(x.data(), s, g, chunked, /*maxChunkElements=*/50);
    EXPECT_EQ(chunked.tokens, s.tokens());
    EXPECT_LT((whole.gram - chunked.gram).cwiseAbs().maxCoeff(), 1e-4);
    EXPECT_LT((whole.sum - chunked.sum).cwiseAbs().maxCoeff(), 1e-4);
  }
}

TEST(Im2Col, ValidateNamesTheProblem) {
  ConvShape s = shape(4); // 6 channels
  EXPECT_EQ(s.validate(), "groups must divide the input channels");
  s = shape(1);
  s.kernelH = 20;
  EXPECT_EQ(s.validate(), "the dilated kernel does not fit the padded input");
}
