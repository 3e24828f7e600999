//===- QuantizeTest.cpp - Uniform quantization: RTN, MSE search, GPTQ -----===//
//
// Expected values come from the formulas of Quantize.h worked by hand or
// recomputed here independently; GPTQ is checked against a plain,
// unbatched transcription of the reference algorithm (explicit H^{-1} and
// its upper Cholesky factor, in double) and against its defining property,
// a smaller output error on calibration data than round-to-nearest.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/Quantize.h"
#include "Random.h"

#include <Eigen/Cholesky>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

QuantSpec makeSpec(unsigned bits, int64_t group, bool symmetric) {
  QuantSpec spec;
  spec.bits = bits;
  spec.group = group;
  spec.symmetric = symmetric;
  return spec;
}

std::string describe(const QuantSpec &spec) {
  return std::to_string(spec.bits) + "-bit group " +
         std::to_string(spec.group) +
         (spec.symmetric ? " symmetric" : " asymmetric");
}

int32_t minCode(const QuantSpec &spec) {
  return spec.symmetric ? -(1 << (spec.bits - 1)) : 0;
}
int32_t maxCode(const QuantSpec &spec) {
  return spec.symmetric ? (1 << (spec.bits - 1)) - 1 : (1 << spec.bits) - 1;
}

/// Calibration inputs with correlated features: X = Z A, [tokens, features].
MatrixD correlatedInputs(int64_t tokens, int64_t features, unsigned seed) {
  MatrixD z = gaussian(tokens, features, seed).cast<double>();
  MatrixD a = gaussian(features, features, seed + 1).cast<double>();
  a.diagonal().array() += 2.0;
  return z * a;
}

/// ||(W - Wq) X^T||_F: the error of the layer's outputs on the inputs X.
double outputError(const Matrix &w, const Matrix &wq, const MatrixD &x) {
  return ((w - wq).cast<double>() * x.transpose()).norm();
}

int64_t countDifferent(const IntMatrix &a, const IntMatrix &b) {
  return (a.array() != b.array()).count();
}

void expectCodesInRange(const QuantizedMatrix &q) {
  ASSERT_GT(q.codes.size(), 0);
  EXPECT_GE(q.codes.minCoeff(), minCode(q.spec)) << describe(q.spec);
  EXPECT_LE(q.codes.maxCoeff(), maxCode(q.spec)) << describe(q.spec);
}

/// GPTQ as the reference code writes it, without lazy batches: one column at
/// a time in double, with U the upper Cholesky factor of the explicitly
/// inverted, damped H and every later column updated right away. Group
/// parameters come from the library's chooseGroupRange (tested on its own).
QuantizedMatrix referenceGPTQ(const Matrix &w, MatrixD h, const QuantSpec &spec,
                              bool actOrder, double damp) {
  const int64_t rows = w.rows(), cols = w.cols();
  MatrixD wd = w.cast<double>();
  for (int64_t j = 0; j < cols; ++j)
    if (h(j, j) == 0) {
      h(j, j) = 1;
      wd.col(j).setZero();
    }
  const int64_t groups = spec.numGroups(cols);
  Matrix scales(rows, groups);
  IntMatrix zeros(rows, groups);
  // Parameters of group g, all rows, from columns [b, e) of `src`.
  auto chooseParams = [&](const MatrixD &src, int64_t g, int64_t b, int64_t e) {
    std::vector<float> values(e - b);
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = b; c < e; ++c)
        values[c - b] = float(src(r, c));
      chooseGroupRange(values.data(), e - b, spec, RangeOptions(), scales(r, g),
                       zeros(r, g));
    }
  };
  const bool staticGroups = spec.group == 0 || actOrder;
  if (staticGroups)
    for (int64_t g = 0; g < groups; ++g)
      chooseParams(wd, g, spec.groupBegin(g), spec.groupEnd(g, cols));

  std::vector<int64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (actOrder)
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });
  MatrixD wp(rows, cols), hp(cols, cols);
  for (int64_t j = 0; j < cols; ++j) {
    wp.col(j) = wd.col(perm[j]);
    for (int64_t i = 0; i < cols; ++i)
      hp(i, j) = h(perm[i], perm[j]);
  }
  hp.diagonal().array() += damp * hp.diagonal().mean();
  MatrixD hinv = hp.llt().solve(MatrixD::Identity(cols, cols));
  MatrixD u = hinv.llt().matrixU(); // hinv = u^T u

  QuantizedMatrix out;
  out.spec = spec;
  out.codes.resize(rows, cols);
  for (int64_t k = 0; k < cols; ++k) {
    if (!staticGroups && k % spec.group == 0)
      chooseParams(wp, k / spec.group, k, std::min(k + spec.group, cols));
    const int64_t g = spec.group > 0 ? perm[k] / spec.group : 0;
    VectorD err(rows);
    for (int64_t r = 0; r < rows; ++r) {
      int32_t q =
          quantizeValue(float(wp(r, k)), scales(r, g), zeros(r, g), spec);
      out.codes(r, perm[k]) = q;
      err(r) =
          (wp(r, k) - dequantizeValue(q, scales(r, g), zeros(r, g), spec)) /
          u(k, k);
    }
    wp.rightCols(cols - k - 1) -=
        err * u.row(k).tail(cols - k - 1); // OBS update of the rest
  }
  out.scales = scales;
  if (!spec.symmetric)
    out.zeros = zeros;
  return out;
}

} // namespace

//===----------------------------------------------------------------------===//
// QuantSpec
//===----------------------------------------------------------------------===//

TEST(QuantSpec, ValidateRejectsUnusableSpecs) {
  EXPECT_FALSE(makeSpec(1, 0, true).validate(16).empty());
  EXPECT_FALSE(makeSpec(9, 0, true).validate(16).empty());
  EXPECT_FALSE(makeSpec(0, 0, false).validate(16).empty());
  EXPECT_FALSE(makeSpec(4, -1, true).validate(16).empty());
  EXPECT_FALSE(makeSpec(4, -128, false).validate(16).empty());
  for (unsigned bits = 2; bits <= 8; ++bits)
    EXPECT_TRUE(makeSpec(bits, 0, bits % 2).validate(16).empty()) << bits;
  EXPECT_TRUE(makeSpec(4, 4, true).validate(16).empty());
  EXPECT_TRUE(makeSpec(4, 5, true).validate(16).empty());  // ragged end
  EXPECT_TRUE(makeSpec(4, 64, true).validate(16).empty()); // one group
}

TEST(QuantSpec, GroupsCoverTheRowWithARaggedLastGroup) {
  QuantSpec spec = makeSpec(4, 4, true);
  ASSERT_EQ(spec.numGroups(10), 3);
  EXPECT_EQ(spec.groupBegin(0), 0);
  EXPECT_EQ(spec.groupEnd(0, 10), 4);
  EXPECT_EQ(spec.groupBegin(1), 4);
  EXPECT_EQ(spec.groupEnd(1, 10), 8);
  EXPECT_EQ(spec.groupBegin(2), 8);
  EXPECT_EQ(spec.groupEnd(2, 10), 10);
  EXPECT_EQ(spec.numGroups(8), 2);

  QuantSpec perRow = makeSpec(4, 0, true);
  EXPECT_EQ(perRow.numGroups(10), 1);
  EXPECT_EQ(perRow.groupBegin(0), 0);
  EXPECT_EQ(perRow.groupEnd(0, 10), 10);

  QuantSpec wide = makeSpec(4, 16, true); // wider than the row
  EXPECT_EQ(wide.numGroups(10), 1);
  EXPECT_EQ(wide.groupEnd(0, 10), 10);
}

//===----------------------------------------------------------------------===//
// Scalar quantization
//===----------------------------------------------------------------------===//

TEST(QuantizeValue, EveryCodeRoundTrips) {
  for (unsigned bits : {2u, 3u, 4u, 8u})
    for (bool symmetric : {true, false}) {
      QuantSpec spec = makeSpec(bits, 0, symmetric);
      const int32_t hi = maxCode(spec);
      std::vector<int32_t> zeroPoints =
          symmetric ? std::vector<int32_t>{0}
                    : std::vector<int32_t>{0, 1, hi / 2, hi};
      for (float scale : {0.037f, 1.0f, 0.0031f, 12.5f})
        for (int32_t zero : zeroPoints)
          for (int32_t q = minCode(spec); q <= hi; ++q) {
            float w = dequantizeValue(q, scale, zero, spec);
            EXPECT_EQ(w, scale * float(q - zero))
                << describe(spec) << " q=" << q << " z=" << zero;
            EXPECT_EQ(quantizeValue(w, scale, zero, spec), q)
                << describe(spec) << " s=" << scale << " z=" << zero;
          }
    }
}

TEST(QuantizeValue, RoundsHalfToEvenAndClamps) {
  QuantSpec sym = makeSpec(4, 0, true); // codes -8..7
  // w / 0.5 is exact: ties go to the even integer.
  EXPECT_EQ(quantizeValue(0.25f, 0.5f, 0, sym), 0);   // 0.5
  EXPECT_EQ(quantizeValue(0.75f, 0.5f, 0, sym), 2);   // 1.5
  EXPECT_EQ(quantizeValue(1.25f, 0.5f, 0, sym), 2);   // 2.5
  EXPECT_EQ(quantizeValue(1.75f, 0.5f, 0, sym), 4);   // 3.5
  EXPECT_EQ(quantizeValue(-0.25f, 0.5f, 0, sym), 0);  // -0.5
  EXPECT_EQ(quantizeValue(-1.25f, 0.5f, 0, sym), -2); // -2.5
  EXPECT_EQ(quantizeValue(-1.75f, 0.5f, 0, sym), -4); // -3.5
  EXPECT_EQ(quantizeValue(1.26f, 0.5f, 0, sym), 3);
  EXPECT_EQ(quantizeValue(100.0f, 0.5f, 0, sym), 7);
  EXPECT_EQ(quantizeValue(-100.0f, 0.5f, 0, sym), -8);
  EXPECT_EQ(quantizeValue(-4.0f, 0.5f, 0, sym), -8); // the extra code
  // Symmetric specs ignore any zero point.
  EXPECT_EQ(quantizeValue(1.0f, 0.5f, 3, sym), 2);
  EXPECT_EQ(dequantizeValue(2, 0.5f, 3, sym), 1.0f);

  QuantSpec asym = makeSpec(3, 0, false); // codes 0..7
  // q = round(w / s) + z: the tie is broken on w / s.
  EXPECT_EQ(quantizeValue(0.5f, 1.0f, 3, asym), 3);
  EXPECT_EQ(quantizeValue(1.5f, 1.0f, 3, asym), 5);
  EXPECT_EQ(quantizeValue(-2.5f, 1.0f, 3, asym), 1);
  EXPECT_EQ(quantizeValue(-10.0f, 1.0f, 3, asym), 0);
  EXPECT_EQ(quantizeValue(10.0f, 1.0f, 3, asym), 7);
  EXPECT_EQ(dequantizeValue(5, 0.25f, 3, asym), 0.5f);
  EXPECT_EQ(dequantizeValue(0, 0.25f, 3, asym), -0.75f);
}

//===----------------------------------------------------------------------===//
// Round to nearest
//===----------------------------------------------------------------------===//

TEST(QuantizeRTN, SymmetricPerRowByHand) {
  Matrix w(2, 4);
  w << 1.75f, -3.5f, 0.5f, 0.25f, //
      -1.0f, 2.0f, 8.0f, -8.0f;
  QuantizedMatrix q = quantizeRTN(w, makeSpec(4, 0, true));
  ASSERT_EQ(q.codes.rows(), 2);
  ASSERT_EQ(q.codes.cols(), 4);
  ASSERT_EQ(q.scales.rows(), 2);
  ASSERT_EQ(q.scales.cols(), 1);
  EXPECT_EQ(q.zeros.size(), 0);
  // s = max|w| / 7.
  EXPECT_EQ(q.scales(0, 0), 0.5f);
  EXPECT_EQ(q.scales(1, 0), 8.0f / 7.0f);
  // 3.5 -> 4 and 0.5 -> 0 are ties broken to even.
  IntMatrix expected(2, 4);
  expected << 4, -7, 1, 0, //
      -1, 2, 7, -7;
  EXPECT_EQ(q.codes, expected);
  Matrix deq = q.dequantize();
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(deq(r, c), q.scales(r, 0) * float(expected(r, c)));
  EXPECT_EQ(deq(0, 0), 2.0f);
  EXPECT_EQ(deq(0, 1), -3.5f);
}

TEST(QuantizeRTN, AsymmetricGroupsByHand) {
  // 3 bits (codes 0..7), groups of 2 over 5 columns: the last group has a
  // single element.
  Matrix w(2, 5);
  w << 1.0f, 3.0f, -2.0f, 5.0f, 0.5f, //
      -3.0f, 0.5f, -1.0f, -1.0f, 0.0f;
  QuantizedMatrix q = quantizeRTN(w, makeSpec(3, 2, false));
  ASSERT_EQ(q.scales.rows(), 2);
  ASSERT_EQ(q.scales.cols(), 3);
  ASSERT_EQ(q.zeros.rows(), 2);
  ASSERT_EQ(q.zeros.cols(), 3);
  // Ranges widened to contain 0; s = (max - min) / 7, z = round(-min / s).
  Matrix scales(2, 3);
  scales << 3.0f / 7, 7.0f / 7, 0.5f / 7, //
      3.5f / 7, 1.0f / 7, 1.0f;           // [0, 0]: zero range
  IntMatrix zeros(2, 3);
  zeros << 0, 2, 0, //
      6, 7, 0;
  IntMatrix codes(2, 5);
  codes << 2, 7, 0, 7, 7, // 1 / (3/7) = 2.33
      0, 7, 0, 0, 0;
  for (int r = 0; r < 2; ++r)
    for (int g = 0; g < 3; ++g)
      EXPECT_FLOAT_EQ(q.scales(r, g), scales(r, g)) << r << "," << g;
  EXPECT_EQ(q.zeros, zeros);
  EXPECT_EQ(q.codes, codes);
  Matrix deq = q.dequantize();
  Matrix expected(2, 5);
  expected << 6.0f / 7, 3.0f, -2.0f, 5.0f, 0.5f, //
      -3.0f, 0.5f, -1.0f, -1.0f, 0.0f;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 5; ++c)
      EXPECT_NEAR(deq(r, c), expected(r, c), 1e-6) << r << "," << c;
}

TEST(QuantizeRTN, ZeroRowsGetUnitScaleAndZeroCodes) {
  Matrix w = gaussian(3, 12, 7);
  w.row(1).setZero();
  for (bool symmetric : {true, false})
    for (int64_t group : {0, 4, 5}) {
      QuantSpec spec = makeSpec(4, group, symmetric);
      QuantizedMatrix q = quantizeRTN(w, spec);
      for (int64_t g = 0; g < spec.numGroups(12); ++g) {
        EXPECT_EQ(q.scales(1, g), 1.0f) << describe(spec);
        if (!symmetric) {
          EXPECT_EQ(q.zeros(1, g), 0) << describe(spec);
        }
      }
      for (int64_t c = 0; c < 12; ++c)
        EXPECT_EQ(q.codes(1, c), 0) << describe(spec);
      Matrix deq = q.dequantize();
      EXPECT_TRUE(deq.allFinite());
      EXPECT_TRUE(deq.row(1).isZero(0));
    }
}

TEST(QuantizeRTN, ParametersFollowTheFormulasAndErrorIsHalfAStep) {
  const int64_t rows = 16, cols = 50;
  Matrix w = gaussian(rows, cols, 11);
  w.row(3) = w.row(3).cwiseAbs();  // an all-positive row
  w.row(4) = -w.row(4).cwiseAbs(); // an all-negative row
  for (unsigned bits : {2u, 3u, 4u, 8u})
    for (bool symmetric : {true, false})
      for (int64_t group : {0, 8, 16}) {
        QuantSpec spec = makeSpec(bits, group, symmetric);
        QuantizedMatrix q = quantizeRTN(w, spec);
        expectCodesInRange(q);
        Matrix deq = q.dequantize();
        for (int64_t r = 0; r < rows; ++r)
          for (int64_t g = 0; g < spec.numGroups(cols); ++g) {
            const int64_t b = spec.groupBegin(g), e = spec.groupEnd(g, cols);
            auto values = w.row(r).segment(b, e - b);
            const float s = q.scales(r, g);
            if (symmetric) {
              double m = values.cwiseAbs().maxCoeff();
              EXPECT_EQ(s, float(m / maxCode(spec))) << describe(spec);
            } else {
              double lo = std::min(0.0f, values.minCoeff());
              double hi = std::max(0.0f, values.maxCoeff());
              EXPECT_EQ(s, float((hi - lo) / maxCode(spec))) << describe(spec);
              EXPECT_EQ(q.zeros(r, g), int32_t(std::nearbyint(-lo / s)))
                  << describe(spec);
            }
            for (int64_t c = b; c < e; ++c)
              EXPECT_LE(std::fabs(w(r, c) - deq(r, c)), 0.5f * s * 1.0001f)
                  << describe(spec) << " at " << r << "," << c;
          }
      }
}

TEST(QuantizeRTN, MseSearchNeverLosesToMinMax) {
  const int64_t rows = 24, cols = 64;
  // Heavy tails, where clipping pays: a few large outliers per row.
  Matrix w = gaussian(rows, cols, 21);
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> col(0, cols - 1);
  for (int64_t r = 0; r < rows; ++r)
    for (int k = 0; k < 3; ++k)
      w(r, col(gen)) *= 6.0f;
  RangeOptions mse;
  mse.search = RangeSearch::MSE;
  for (unsigned bits : {3u, 4u})
    for (bool symmetric : {true, false}) {
      QuantSpec spec = makeSpec(bits, 16, symmetric);
      Matrix plain = quantizeRTN(w, spec).dequantize();
      QuantizedMatrix searched = quantizeRTN(w, spec, mse);
      expectCodesInRange(searched);
      Matrix clipped = searched.dequantize();
      int improved = 0;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t g = 0; g < spec.numGroups(cols); ++g) {
          double errPlain = 0, errClipped = 0;
          for (int64_t c = spec.groupBegin(g); c < spec.groupEnd(g, cols);
               ++c) {
            errPlain += std::pow(std::fabs(double(w(r, c)) - plain(r, c)), 2.4);
            errClipped +=
                std::pow(std::fabs(double(w(r, c)) - clipped(r, c)), 2.4);
          }
          EXPECT_LE(errClipped, errPlain * (1 + 1e-9)) << describe(spec);
          improved += errClipped < errPlain * (1 - 1e-6);
          if (symmetric) {
            // The clip ratio is on the grid {1, 0.99, ..., 0.2}.
            double m =
                w.row(r).segment(spec.groupBegin(g), 16).cwiseAbs().maxCoeff();
            double ratio = searched.scales(r, g) * maxCode(spec) / m;
            double step = std::round((1 - ratio) * 100);
            EXPECT_NEAR(ratio, 1 - step / 100, 1e-5) << describe(spec);
            EXPECT_GE(step, 0);
            EXPECT_LE(step, 80);
          }
        }
      EXPECT_GT(improved, 0) << describe(spec);
    }
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//

TEST(QuantizeGPTQ, DiagonalHessianIsRoundToNearest) {
  // With H diagonal there is no error to spread (U is diagonal): GPTQ must
  // reproduce RTN bit for bit, whatever the column order.
  const int64_t rows = 12, cols = 24;
  Matrix w = gaussian(rows, cols, 3);
  MatrixD diag = MatrixD::Zero(cols, cols);
  std::mt19937 gen(9);
  std::uniform_real_distribution<double> dist(0.5, 4.0);
  for (int64_t j = 0; j < cols; ++j)
    diag(j, j) = dist(gen);
  for (const MatrixD &h : {MatrixD(MatrixD::Identity(cols, cols)), diag})
    for (QuantSpec spec :
         {makeSpec(4, 0, true), makeSpec(4, 4, false), makeSpec(3, 8, true),
          makeSpec(2, 8, false), makeSpec(8, 5, false)})
      for (bool actOrder : {false, true}) {
        GPTQOptions options;
        options.actOrder = actOrder;
        QuantizedMatrix rtn = quantizeRTN(w, spec);
        QuantizedMatrix gptq = quantizeGPTQ(w, h, spec, options);
        EXPECT_EQ(gptq.codes, rtn.codes) << describe(spec) << " " << actOrder;
        EXPECT_EQ(gptq.scales, rtn.scales) << describe(spec);
        EXPECT_EQ(gptq.zeros, rtn.zeros) << describe(spec);
        EXPECT_EQ(gptq.spec.group, spec.group);
      }
}

TEST(QuantizeGPTQ, MatchesTheUnbatchedReference) {
  const int64_t rows = 24, cols = 48;
  Matrix w = gaussian(rows, cols, 31);
  MatrixD x = correlatedInputs(512, cols, 41);
  MatrixD h = x.transpose() * x;
  for (QuantSpec spec :
       {makeSpec(4, 0, true), makeSpec(3, 16, false), makeSpec(4, 12, true)})
    for (bool actOrder : {false, true})
      for (int64_t blockSize : {128, 5}) {
        GPTQOptions options;
        options.actOrder = actOrder;
        options.blockSize = blockSize;
        QuantizedMatrix ours = quantizeGPTQ(w, h, spec, options);
        QuantizedMatrix ref = referenceGPTQ(w, h, spec, actOrder, 0.01);
        expectCodesInRange(ours);
        // Float versus double updates: a code may flip where the
        // reference sits on a rounding boundary, nowhere else.
        EXPECT_LE(countDifferent(ours.codes, ref.codes), rows * cols / 200)
            << describe(spec) << " act-order " << actOrder;
        double errOurs = outputError(w, ours.dequantize(), x);
        double errRef = outputError(w, ref.dequantize(), x);
        EXPECT_NEAR(errOurs, errRef, 2e-3 * errRef) << describe(spec);
      }
}

TEST(QuantizeGPTQ, BeatsRoundToNearestOnCalibrationData) {
  const int64_t rows = 32, cols = 64;
  Matrix w = gaussian(rows, cols, 51);
  MatrixD x = correlatedInputs(2048, cols, 61);
  MatrixD h = x.transpose() * x;
  for (unsigned bits : {3u, 4u})
    for (int64_t group : {16, 0})
      for (bool symmetric : {true, false})
        for (bool actOrder : {false, true}) {
          QuantSpec spec = makeSpec(bits, group, symmetric);
          GPTQOptions options;
          options.actOrder = actOrder;
          QuantizedMatrix gptq = quantizeGPTQ(w, h, spec, options);
          expectCodesInRange(gptq);
          double errGPTQ = outputError(w, gptq.dequantize(), x);
          double errRTN = outputError(w, quantizeRTN(w, spec).dequantize(), x);
          EXPECT_LT(errGPTQ, 0.9 * errRTN)
              << describe(spec) << " act-order " << actOrder;
        }
}

TEST(QuantizeGPTQ, KeepMaskFixesPrunedWeightsAndCompensatesThem) {
  // W pruned 2:4 by magnitude (by hand, per run of 4 along a row); GPTQ with
  // the mask must store the zero code at pruned positions (their updates
  // are compensated, not stored) and beat RTN on the output error against
  // the pruned weights it was given.
  const int64_t rows = 16, cols = 64;
  Matrix w = gaussian(rows, cols, 71);
  MatrixD x = correlatedInputs(2048, cols, 73);
  MatrixD h = x.transpose() * x;
  Mask keep = Mask::Constant(rows, cols, false);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += 4) {
      std::vector<int64_t> idx{c0, c0 + 1, c0 + 2, c0 + 3};
      std::stable_sort(idx.begin(), idx.end(), [&](int64_t a, int64_t b) {
        return std::abs(w(r, a)) > std::abs(w(r, b));
      });
      keep(r, idx[0]) = keep(r, idx[1]) = true;
    }
  Matrix pruned = w;
  for (int64_t i = 0; i < w.size(); ++i)
    if (!keep.data()[i])
      pruned.data()[i] = 0;
  for (bool symmetric : {true, false}) {
    QuantSpec spec = makeSpec(4, 16, symmetric);
    GPTQOptions options;
    options.keep = &keep;
    QuantizedMatrix q = quantizeGPTQ(pruned, h, spec, options);
    Matrix deq = q.dequantize();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        if (!keep(r, c)) {
          EXPECT_EQ(deq(r, c), 0.0f) << r << "," << c;
          EXPECT_EQ(q.codes(r, c), symmetric ? 0 : q.zeros(r, c / 16));
        }
    double errMasked = outputError(pruned, deq, x);
    double errRTN =
        outputError(pruned, quantizeRTN(pruned, spec).dequantize(), x);
    EXPECT_LT(errMasked, 0.95 * errRTN) << describe(spec);
  }
}

TEST(QuantizeGPTQ, DeadInputsGiveZeroWeights) {
  const int64_t rows = 16, cols = 32;
  Matrix w = gaussian(rows, cols, 71);
  MatrixD x = correlatedInputs(256, cols, 81);
  for (int64_t dead : {0, 3, 17, 31})
    x.col(dead).setZero();
  MatrixD h = x.transpose() * x;
  for (QuantSpec spec : {makeSpec(4, 0, true), makeSpec(3, 8, false)})
    for (bool actOrder : {false, true}) {
      GPTQOptions options;
      options.actOrder = actOrder;
      QuantizedMatrix q = quantizeGPTQ(w, h, spec, options);
      expectCodesInRange(q);
      Matrix deq = q.dequantize();
      ASSERT_TRUE(deq.allFinite());
      for (int64_t dead : {0, 3, 17, 31})
        EXPECT_TRUE(deq.col(dead).isZero(0)) << describe(spec) << " " << dead;
      // The live columns are still quantized with the error feedback.
      EXPECT_LT(outputError(w, deq, x),
                outputError(w, quantizeRTN(w, spec).dequantize(), x));
    }
}

TEST(QuantizeGPTQ, BlockSizeDoesNotChangeTheResult) {
  // Lazy batching only reorders the arithmetic.
  const int64_t rows = 32, cols = 96;
  Matrix w = gaussian(rows, cols, 91);
  MatrixD x = correlatedInputs(1024, cols, 101);
  MatrixD h = x.transpose() * x;
  for (QuantSpec spec :
       {makeSpec(4, 16, true), makeSpec(3, 0, false), makeSpec(4, 24, false)})
    for (bool actOrder : {false, true}) {
      GPTQOptions options;
      options.actOrder = actOrder;
      options.blockSize = 128;
      QuantizedMatrix base = quantizeGPTQ(w, h, spec, options);
      Matrix baseDeq = base.dequantize();
      for (int64_t blockSize : {1, 7, 32}) {
        options.blockSize = blockSize;
        QuantizedMatrix other = quantizeGPTQ(w, h, spec, options);
        // Rounding differences may flip a code that sits on a tie, and
        // nudge the scales of later groups by an ulp or so.
        EXPECT_LE(countDifferent(base.codes, other.codes), rows * cols / 200)
            << describe(spec) << " block " << blockSize;
        double scaleDiff =
            ((other.scales - base.scales).array().abs() / base.scales.array())
                .maxCoeff();
        EXPECT_LE(scaleDiff, 1e-5) << describe(spec) << " block " << blockSize;
        EXPECT_LE((other.dequantize() - baseDeq).norm(), 1e-3 * baseDeq.norm())
            << describe(spec) << " block " << blockSize;
      }
    }
}

TEST(QuantizeGPTQ, InvariantToTheScaleOfTheHessian) {
  // Scaling H by 4^k scales its Cholesky factor by 2^k exactly.
  const int64_t rows = 8, cols = 40;
  Matrix w = gaussian(rows, cols, 111);
  MatrixD x = correlatedInputs(128, cols, 121);
  MatrixD h = x.transpose() * x;
  QuantSpec spec = makeSpec(4, 8, false);
  GPTQOptions options;
  QuantizedMatrix a = quantizeGPTQ(w, h, spec, options);
  QuantizedMatrix b = quantizeGPTQ(w, MatrixD(h * 1024.0), spec, options);
  EXPECT_EQ(a.codes, b.codes);
  EXPECT_EQ(a.scales, b.scales);
}

TEST(QuantizeGPTQ, SingularHessianWithoutDampeningStaysFinite) {
  // Fewer tokens than inputs: H is singular, and damp = 0 leaves it so.
  const int64_t rows = 8, cols = 32;
  Matrix w = gaussian(rows, cols, 131);
  MatrixD x = correlatedInputs(8, cols, 141);
  MatrixD h = x.transpose() * x;
  GPTQOptions options;
  options.damp = 0;
  for (bool actOrder : {false, true}) {
    options.actOrder = actOrder;
    QuantizedMatrix q = quantizeGPTQ(w, h, makeSpec(4, 8, true), options);
    expectCodesInRange(q);
    EXPECT_TRUE(q.dequantize().allFinite());
  }
}
