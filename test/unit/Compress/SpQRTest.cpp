//===- SpQRTest.cpp - GPTQ with sensitivity-selected outliers -------------===//
//
// Checked against properties, not against our own output: planted outliers
// are found, the outlier count obeys the cap exactly, threshold = inf gives
// plain GPTQ, and on correlated calibration data the calibrated error
// tr(E H E^T) (computed here independently of the library) orders
// SpQR < magnitude outliers < no outliers at the same fraction.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/SpQR.h"
#include "Random.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

QuantSpec spec3g16() {
  QuantSpec spec;
  spec.bits = 3;
  spec.group = 16;
  spec.symmetric = false;
  return spec;
}

/// Laplace-distributed weights (heavy-ish tails).
Matrix laplace(int64_t rows, int64_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::exponential_distribution<float> e(1.0f);
  std::bernoulli_distribution sign(0.5);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = (sign(gen) ? 1.0f : -1.0f) * e(gen) * 0.1f;
  return m;
}

/// X^T X of correlated inputs: x = z A with a random mixing A, plus a few
/// high-variance channels.
MatrixD correlatedHessian(int64_t cols, unsigned seed) {
  Matrix z = gaussian(4 * cols, cols, seed);
  Matrix a = gaussian(cols, cols, seed + 1, 0.3f);
  a.diagonal().array() += 1.0f;
  Matrix x = z * a;
  for (int64_t j = 0; j < cols; j += 7)
    x.col(j) *= 4.0f;
  return (x.transpose() * x).cast<double>();
}

double trace(const Matrix &w, const Matrix &approx, const MatrixD &h) {
  double sum = 0.0;
  for (int64_t r = 0; r < w.rows(); ++r) {
    Eigen::VectorXd e = (w.row(r) - approx.row(r)).transpose().cast<double>();
    sum += e.dot(h * e);
  }
  return sum;
}

TEST(SpQR, FindsPlantedOutliers) {
  const int64_t rows = 32, cols = 64;
  Matrix w = laplace(rows, cols, 7);
  std::mt19937 gen(3);
  std::set<int64_t> planted;
  while (planted.size() < 20)
    planted.insert(std::uniform_int_distribution<int64_t>(0, w.size() - 1)(gen));
  for (int64_t i : planted)
    w.data()[i] = (i % 2 ? 1.0f : -1.0f) * 3.0f; // ~30 sd of the rest
  SpQROptions o;
  o.maxFraction = 20.0 / double(w.size()) + 1e-6;
  o.threshold = 1.0;
  MatrixD id = MatrixD::Identity(cols, cols); // data-free: plain error ranking
  SpQRResult r = quantizeSpQR(w, id, spec3g16(), o);
  ASSERT_EQ(r.outlierIndices.size(), 20u);
  EXPECT_EQ(std::set<int64_t>(r.outlierIndices.begin(), r.outlierIndices.end()),
            planted);
  // Stored (almost) exactly: f16 residual on top of the code of 0.
  Matrix deq = r.dequantize();
  for (int64_t i : planted)
    EXPECT_NEAR(deq.data()[i], w.data()[i], 2e-3);
  // Calibrated with independent inputs (H ~ n I). (A strongly correlated H
  // legitimately prefers elements of inputs whose U_jj is small.)
  Matrix x = gaussian(16 * cols, cols, 11);
  MatrixD hx = (x.transpose() * x).cast<double>();
  SpQRResult rc = quantizeSpQR(w, hx, spec3g16(), o);
  std::set<int64_t> found(rc.outlierIndices.begin(), rc.outlierIndices.end());
  EXPECT_EQ(found, planted);
}

TEST(SpQR, BeatsMagnitudeOutliersAndNone) {
  const int64_t rows = 48, cols = 96;
  Matrix w = laplace(rows, cols, 21);
  for (int64_t i = 0; i < w.size(); i += 97)
    w.data()[i] *= 12.0f;
  const MatrixD h = correlatedHessian(cols, 5);
  const QuantSpec spec = spec3g16();
  const double f = 0.02;
  SpQROptions o;
  o.maxFraction = f;
  SpQRResult spqr = quantizeSpQR(w, h, spec, o);
  const int64_t count = spqr.outlierIndices.size();
  EXPECT_EQ(count, int64_t(std::floor(f * w.size())));

  Mask magnitude = Mask::Constant(rows, cols, false);
  std::vector<int64_t> order(w.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return std::abs(w.data()[a]) > std::abs(w.data()[b]);
  });
  for (int64_t k = 0; k < count; ++k)
    magnitude.data()[order[k]] = true;
  SpQROptions om = o;
  om.fixedOutliers = &magnitude;
  SpQRResult mag = quantizeSpQR(w, h, spec, om);
  EXPECT_EQ(int64_t(mag.outlierIndices.size()), count);

  SpQROptions on = o;
  on.maxFraction = 0.0;
  SpQRResult none = quantizeSpQR(w, h, spec, on);
  EXPECT_TRUE(none.outlierIndices.empty());

  const double eS = trace(w, spqr.dequantize(), h);
  const double eM = trace(w, mag.dequantize(), h);
  const double eN = trace(w, none.dequantize(), h);
  EXPECT_LT(eS, eM);
  EXPECT_LT(eM, eN);
  EXPECT_NEAR(calibratedError(w, spqr.dequantize(), h), eS, 1e-6 * eS);
  // Plain GPTQ equals the no-outlier case in quality (both are GPTQ; the
  // reference implementation differs only in its column order options).
  GPTQOptions g;
  g.actOrder = false;
  const double eG = trace(w, quantizeGPTQ(w, h, spec, g).dequantize(), h);
  EXPECT_NEAR(eN, eG, 1e-3 * eG);
}

TEST(SpQR, MaxFractionIsExact) {
  Matrix w = laplace(40, 64, 9);
  MatrixD h = correlatedHessian(64, 2);
  for (double f : {0.0, 0.001, 0.01, 0.05, 0.25}) {
    SpQROptions o;
    o.maxFraction = f;
    SpQRResult r = quantizeSpQR(w, h, spec3g16(), o);
    EXPECT_EQ(int64_t(r.outlierIndices.size()), int64_t(std::floor(f * w.size())))
        << "fraction " << f;
    EXPECT_TRUE(std::is_sorted(r.outlierIndices.begin(), r.outlierIndices.end()));
  }
  // A high threshold keeps fewer than the cap.
  SpQROptions o;
  o.maxFraction = 0.25;
  o.threshold = 8.0;
  SpQRResult r = quantizeSpQR(w, h, spec3g16(), o);
  EXPECT_LT(int64_t(r.outlierIndices.size()), int64_t(0.25 * w.size()));
}

TEST(SpQR, InfiniteThresholdIsPlainGPTQ) {
  Matrix w = laplace(16, 48, 4);
  MatrixD h = correlatedHessian(48, 8);
  SpQROptions o;
  o.maxFraction = 0.1;
  o.threshold = std::numeric_limits<double>::infinity();
  SpQRResult r = quantizeSpQR(w, h, spec3g16(), o);
  EXPECT_TRUE(r.outlierIndices.empty());
  GPTQOptions g;
  g.actOrder = false;
  QuantizedMatrix q = quantizeGPTQ(w, h, spec3g16(), g);
  EXPECT_LE((r.dequantize() - q.dequantize()).cwiseAbs().maxCoeff(), 1e-4f);
}

TEST(SpQR, ValidatesOptions) {
  SpQROptions o;
  o.maxFraction = 1.0;
  EXPECT_FALSE(validateSpQR(o).empty());
  o.maxFraction = -0.1;
  EXPECT_FALSE(validateSpQR(o).empty());
  o.maxFraction = 0.01;
  o.threshold = -1.0;
  EXPECT_FALSE(validateSpQR(o).empty());
  o.threshold = 0.5;
  EXPECT_TRUE(validateSpQR(o).empty());
}

// Quantized statistics: a run of scales to stat codes and back. Exact for
// an evenly spaced run; a constant run stores its value with z = -1; any
// run decodes within half a step (+ f16 rounding) and stays positive.
TEST(SpQRStats, QuantizeStatRun) {
  {
    float s[4] = {1.0f, 2.0f, 3.0f, 4.0f}, deq[4], t, z;
    int32_t codes[4];
    quantizeStatRun(s, 4, 2, MultiplierType::F16, codes, t, z, deq);
    EXPECT_EQ(t, 1.0f);
    EXPECT_EQ(z, -1.0f);
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(codes[i], i);
      EXPECT_EQ(deq[i], s[i]);
    }
  }
  {
    float s[3] = {0.5f, 0.5f, 0.5f}, deq[3], t, z;
    int32_t codes[3];
    quantizeStatRun(s, 3, 3, MultiplierType::F16, codes, t, z, deq);
    EXPECT_EQ(t, 0.5f);
    EXPECT_EQ(z, -1.0f);
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(codes[i], 0);
      EXPECT_EQ(deq[i], 0.5f);
    }
  }
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(1e-3f, 0.2f);
  for (unsigned bits : {2u, 3u, 4u}) {
    float s[16], deq[16], t, z;
    int32_t codes[16];
    for (float &v : s)
      v = dist(rng);
    quantizeStatRun(s, 16, bits, MultiplierType::F16, codes, t, z, deq);
    float lo = *std::min_element(s, s + 16), hi = *std::max_element(s, s + 16);
    for (int i = 0; i < 16; ++i) {
      EXPECT_GE(codes[i], 0);
      EXPECT_LT(codes[i], 1 << bits);
      EXPECT_GT(deq[i], 0.0f);
      EXPECT_NEAR(deq[i], double(t) * (codes[i] - double(z)), 1e-7);
      EXPECT_LE(std::abs(deq[i] - s[i]), 0.5 * (hi - lo) / ((1 << bits) - 1) +
                                             2e-3 * hi)
          << "bits " << bits;
    }
  }
}

// SpQR with quantized statistics: the result's scales are exactly the
// decoded statistics, and the error stays close to SpQR with f16 scales.
TEST(SpQRStats, ScalesAreTheDecodedStatistics) {
  Matrix w = gaussian(32, 64, 9u, 1.0);
  MatrixD h = MatrixD::Identity(64, 64);
  QuantSpec spec;
  spec.bits = 3;
  spec.group = 16;
  spec.symmetric = false;
  SpQROptions plain;
  plain.maxFraction = 0.01;
  SpQROptions stats = plain;
  stats.statBits = 3;
  stats.statGroup = 8;
  SpQRResult a = quantizeSpQR(w, h, spec, plain);
  SpQRResult b = quantizeSpQR(w, h, spec, stats);
  ASSERT_EQ(b.scaleCodes.rows(), 32);
  ASSERT_EQ(b.statScales.rows(), 4);
  ASSERT_EQ(b.statScales.cols(), 4);
  for (int64_t r = 0; r < 32; ++r)
    for (int64_t g = 0; g < 4; ++g)
      EXPECT_EQ(b.quantized.scales(r, g),
                float(double(b.statScales(r / 8, g)) *
                      (double(b.scaleCodes(r, g)) - double(b.statZeros(r / 8, g)))));
  double ea = calibratedError(w, a.dequantize(), h);
  double eb = calibratedError(w, b.dequantize(), h);
  EXPECT_LT(eb, 1.3 * ea) << "3-bit statistics error " << eb << " vs f16 " << ea;
}

} // namespace
