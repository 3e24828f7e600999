//===- LowRankTest.cpp - Low-rank factorization and compensation ----------===//
//
// Every method is checked against an answer computed another way:
//   - an exactly rank-r matrix (or error) is recovered by every method;
//   - truncatedSVD's error is the Eckart-Young tail of an independent
//     JacobiSVD; whitenedSVD's output error tr(E H E^T) is the sum of the
//     smallest N - r eigenvalues of W H W^T (the generalised-eigen optimum,
//     no Cholesky involved) and never above plain SVD's; FWSVD's weighted
//     error is the tail of diag(sqrt f) W's spectrum; EoRA reaches the same
//     optimum for E = W - What and beats LQER, both beat no compensation,
//     for What from RTN and from 2:4 pruning;
//   - the rank rules on a known spectrum; the break-even rank by counting;
//   - the randomized SVD against the exact one on a decaying spectrum, its
//     determinism per seed, and Auto's switch;
//   - f16 factors are representable and the closed-form refit helps.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/LowRank.h"
#include "qsl/Compress/Prune.h"
#include "qsl/Compress/Quantize.h"
#include "qsl/Compress/Statistics.h"
#include "Random.h"

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>

#include <gtest/gtest.h>

#include <cmath>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

/// tr(E H E^T) in double for E = t - approx.
double outputError(const Matrix &t, const Matrix &approx, const MatrixD &h) {
  MatrixD e = t.cast<double>() - approx.cast<double>();
  return (e * h * e.transpose()).trace();
}

double frobenius2(const Matrix &a, const Matrix &b) {
  return (a.cast<double>() - b.cast<double>()).squaredNorm();
}

/// X^T X of `tokens` inputs with strongly correlated features of unequal
/// scale (a random mixing of features with decaying variances).
MatrixD correlatedGram(int64_t features, int64_t tokens, unsigned seed) {
  Matrix z = gaussian(tokens, features, seed);
  Matrix mix = gaussian(features, features, seed + 1);
  Vector scale(features);
  for (int64_t j = 0; j < features; ++j)
    scale(j) = std::pow(0.9f, float(j % 24)) * (j % 7 == 0 ? 8.0f : 1.0f);
  Matrix x = z * scale.asDiagonal() * mix;
  return (x.transpose() * x).cast<double>();
}

/// Sum of the n - r smallest of the eigenvalues of a symmetric matrix.
double eigenTail(const MatrixD &sym, int64_t r) {
  Eigen::SelfAdjointEigenSolver<MatrixD> eig(sym, Eigen::EigenvaluesOnly);
  const VectorD &l = eig.eigenvalues(); // ascending
  return l.head(l.size() - r).sum();
}

/// Sum of the squared singular values past the first r.
double svdTail(const MatrixD &a, int64_t r) {
  Eigen::JacobiSVD<MatrixD> svd(a);
  const VectorD &s = svd.singularValues();
  return s.tail(s.size() - r).squaredNorm();
}

/// A rows x cols matrix with singular values sigma (random orthonormal
/// singular vectors).
Matrix withSpectrum(int64_t rows, int64_t cols, const VectorD &sigma,
                    unsigned seed) {
  int64_t k = sigma.size();
  Eigen::HouseholderQR<MatrixD> qu(gaussian(rows, k, seed).cast<double>());
  Eigen::HouseholderQR<MatrixD> qv(gaussian(cols, k, seed + 1).cast<double>());
  MatrixD u = qu.householderQ() * MatrixD::Identity(rows, k);
  MatrixD v = qv.householderQ() * MatrixD::Identity(cols, k);
  return (u * sigma.asDiagonal() * v.transpose()).cast<float>();
}

LowRankOptions noDamp() {
  LowRankOptions o;
  o.damp = 0;
  return o;
}

TEST(LowRank, ExactRankIsRecoveredByEveryMethod) {
  const int64_t n = 40, k = 56, r = 6;
  Matrix w = gaussian(n, r, 1) * gaussian(r, k, 2);
  MatrixD h = correlatedGram(k, 200, 3);
  VectorD f(n);
  for (int64_t i = 0; i < n; ++i)
    f(i) = std::pow(10.0, 3.0 * double(i) / double(n));
  const float tol = 1e-4f * w.cwiseAbs().maxCoeff();
  auto expectEqual = [&](const Matrix &got, const Matrix &want) {
    EXPECT_LE((got - want).cwiseAbs().maxCoeff(), tol);
  };
  expectEqual(truncatedSVD(w, r).product(), w);
  expectEqual(whitenedSVD(w, h, r).product(), w);
  expectEqual(whitenedSVD(w, h, r, noDamp()).product(), w);
  expectEqual(fisherWeightedSVD(w, f, r).product(), w);
  LowRankOptions randomized;
  randomized.svd.method = SVDMethod::Randomized;
  expectEqual(truncatedSVD(w, r, randomized).product(), w);
  expectEqual(whitenedSVD(w, h, r, randomized).product(), w);

  // Compensation: What = W2 - E with E of rank r.
  Matrix w2 = gaussian(n, k, 4);
  Matrix what = w2 - w;
  expectEqual(lqer(w2, what, h, r).product(), w);
  expectEqual(eora(w2, what, h, r).product(), w);
  expectEqual(eora(w2, what, h, r, noDamp()).product(), w);

  LowRankFactors f6 = truncatedSVD(w, r);
  EXPECT_EQ(f6.u.rows(), n);
  EXPECT_EQ(f6.u.cols(), r);
  EXPECT_EQ(f6.v.rows(), r);
  EXPECT_EQ(f6.v.cols(), k);
  EXPECT_EQ(f6.singularValues.size(), std::min(n, k));
  EXPECT_NEAR(f6.residualEnergy(), 0.0, 1e-6 * f6.totalEnergy);
}

TEST(LowRank, TruncatedSVDIsEckartYoung) {
  Matrix w = gaussian(50, 70, 5);
  for (int64_t r : {1, 8, 30, 49}) {
    LowRankFactors f = truncatedSVD(w, r);
    double tail = svdTail(w.cast<double>(), r);
    EXPECT_NEAR(frobenius2(w, f.product()), tail, 1e-4 * tail) << r;
    EXPECT_NEAR(f.residualEnergy(), tail, 1e-9 * f.totalEnergy) << r;
    // The singular values are split evenly: both factors have the same
    // column/row norms.
    EXPECT_NEAR(f.u.col(0).norm(), f.v.row(0).norm(), 1e-4 * f.v.row(0).norm());
  }
}

TEST(LowRank, WhitenedSVDIsOutputErrorOptimal) {
  const int64_t n = 32, k = 48;
  Matrix w = gaussian(n, k, 6);
  MatrixD h = correlatedGram(k, 300, 7);
  MatrixD whw = w.cast<double>() * h * w.cast<double>().transpose();
  for (int64_t r : {2, 8, 20}) {
    LowRankFactors f = whitenedSVD(w, h, r, noDamp());
    double err = outputError(w, f.product(), h);
    double optimum = eigenTail(whw, r);
    EXPECT_NEAR(err, optimum, 1e-4 * optimum) << r;
    EXPECT_NEAR(f.residualEnergy(), optimum, 1e-6 * optimum) << r;
    double plain = outputError(w, truncatedSVD(w, r).product(), h);
    EXPECT_LT(err, plain) << r;
    // The default damping changes the problem only slightly.
    double dampedErr = outputError(w, whitenedSVD(w, h, r).product(), h);
    EXPECT_LT(dampedErr, 1.1 * optimum) << r;
  }
}

TEST(LowRank, WhitenedSVDWithSingularGram) {
  // Fewer tokens than features: H has rank 20 < K.
  const int64_t n = 24, k = 40, r = 6;
  Matrix w = gaussian(n, k, 8);
  Matrix x = gaussian(20, k, 9);
  MatrixD h = (x.transpose() * x).cast<double>();
  double plain = outputError(w, truncatedSVD(w, r).product(), h);
  for (const LowRankOptions &o : {noDamp(), LowRankOptions()}) {
    LowRankFactors f = whitenedSVD(w, h, r, o);
    EXPECT_TRUE(f.u.allFinite() && f.v.allFinite());
    EXPECT_LT(outputError(w, f.product(), h), plain);
  }
  // Undamped, the optimum over the 20 live directions is still reached.
  MatrixD whw = w.cast<double>() * h * w.cast<double>().transpose();
  double optimum = eigenTail(whw, r);
  double err = outputError(w, whitenedSVD(w, h, r, noDamp()).product(), h);
  EXPECT_NEAR(err, optimum, 1e-3 * optimum);
}

TEST(LowRank, FisherWeightedSVD) {
  const int64_t n = 36, k = 60, r = 8;
  Matrix w = gaussian(n, k, 10);
  // Uniform importance: plain SVD (any positive constant).
  LowRankFactors plain = truncatedSVD(w, r);
  LowRankFactors uniform =
      fisherWeightedSVD(w, VectorD::Constant(n, 3.5), r);
  EXPECT_LE((uniform.product() - plain.product()).cwiseAbs().maxCoeff(),
            1e-5f * w.cwiseAbs().maxCoeff());

  // Skewed importance: the weighted error is the optimum and below SVD's.
  VectorD f(n);
  for (int64_t i = 0; i < n; ++i)
    f(i) = std::pow(10.0, 4.0 * double((i * 7) % n) / double(n));
  auto weighted = [&](const Matrix &approx) {
    MatrixD e = w.cast<double>() - approx.cast<double>();
    return (f.asDiagonal() * e.cwiseAbs2()).sum();
  };
  LowRankFactors fw = fisherWeightedSVD(w, f, r);
  double optimum = svdTail(f.cwiseSqrt().asDiagonal() * w.cast<double>(), r);
  EXPECT_NEAR(weighted(fw.product()), optimum, 1e-4 * optimum);
  EXPECT_LT(weighted(fw.product()), 0.9 * weighted(plain.product()));

  // The row importance of an element-wise Fisher matrix is its row sum.
  Matrix fisher = gaussian(n, k, 11).cwiseAbs2();
  VectorD rows = rowImportance(fisher);
  EXPECT_NEAR(rows(3), fisher.row(3).cast<double>().sum(), 1e-9);
}

/// The compensation of What for W against the calibrated output error.
void checkCompensation(const Matrix &w, const Matrix &what, const MatrixD &h,
                       int64_t r) {
  const Matrix e = w - what;
  const double base = outputError(w, what, h);
  LowRankFactors fl = lqer(w, what, h, r, noDamp());
  LowRankFactors fe = eora(w, what, h, r, noDamp());
  double errL = outputError(e, fl.product(), h);
  double errE = outputError(e, fe.product(), h);
  EXPECT_LT(errL, base);
  EXPECT_LT(errE, base);
  EXPECT_LE(errE, errL * (1 + 1e-6));
  // EoRA reaches the whitened optimum of E, computed without it.
  double optimum = eigenTail(e.cast<double>() * h * e.cast<double>().transpose(),
                             r);
  EXPECT_NEAR(errE, optimum, 1e-3 * optimum);
  EXPECT_NEAR(outputError(e, whitenedSVD(e, h, r, noDamp()).product(), h),
              optimum, 1e-3 * optimum);
  // Plain SVD of E (ZeroQuant-V2 / LoftQ style) is no better than EoRA.
  EXPECT_LE(errE, outputError(e, truncatedSVD(e, r).product(), h));
}

TEST(LowRank, CompensatesRTNQuantization) {
  const int64_t n = 48, k = 128;
  Matrix w = gaussian(n, k, 12);
  MatrixD h = correlatedGram(k, 512, 13);
  QuantSpec spec;
  spec.bits = 3;
  spec.group = 32;
  spec.symmetric = false;
  Matrix what = quantizeRTN(w, spec).dequantize();
  for (int64_t r : {4, 16})
    checkCompensation(w, what, h, r);
}

TEST(LowRank, CompensatesTwoFourPruning) {
  const int64_t n = 48, k = 128;
  Matrix w = gaussian(n, k, 14);
  MatrixD h = correlatedGram(k, 512, 15);
  Matrix what = applyMask(w, selectMask(magnitudeScores(w),
                                        SparsityPattern::nm(2, 4)));
  for (int64_t r : {4, 16})
    checkCompensation(w, what, h, r);
}

TEST(LowRank, CompensatesQuantizedAndPruned) {
  const int64_t n = 32, k = 64;
  Matrix w = gaussian(n, k, 16);
  MatrixD h = correlatedGram(k, 256, 17);
  Mask keep = selectMask(magnitudeScores(w), SparsityPattern::nm(2, 4));
  QuantSpec spec;
  spec.bits = 4;
  spec.group = 16;
  Matrix what = applyMask(quantizeRTN(applyMask(w, keep), spec).dequantize(),
                          keep);
  checkCompensation(w, what, h, 8);
}

TEST(LowRank, RankRules) {
  VectorD s(4);
  s << 4, 2, 1, 1; // energies 16, 4, 1, 1 of 22
  EXPECT_EQ(rankForEnergy(s, 0.7), 1);
  EXPECT_EQ(rankForEnergy(s, 0.9), 2);
  EXPECT_EQ(rankForEnergy(s, 0.95), 3);
  EXPECT_EQ(rankForEnergy(s, 1.0), 4);
  EXPECT_EQ(rankForEnergy(s, 0.0), 0);
  EXPECT_EQ(rankForError(s, 0.5), 2);  // tails 6/22 > 1/4, 2/22 <= 1/4
  EXPECT_EQ(rankForError(s, 0.9), 1);
  EXPECT_EQ(rankForError(s, 0.0), 4);
  // Partial spectrum: the total counts what was not computed.
  EXPECT_EQ(rankForEnergy(s, 0.45, 44.0), 2); // 20 >= 19.8
  EXPECT_EQ(rankForEnergy(s, 0.9, 44.0), 4); // unreachable: all computed
  EXPECT_EQ(rankForError(s, std::sqrt(26.0 / 44.0), 44.0), 2);

  // Targets through the factorization.
  Matrix w = gaussian(40, 64, 18);
  LowRankFactors fe = truncatedSVD(w, RankTarget::forEnergy(0.8));
  EXPECT_EQ(fe.rank(), rankForEnergy(fe.singularValues, 0.8));
  EXPECT_GE(fe.singularValues.head(fe.rank()).squaredNorm(),
            0.8 * fe.totalEnergy);
  EXPECT_LT(fe.singularValues.head(fe.rank() - 1).squaredNorm(),
            0.8 * fe.totalEnergy);
  LowRankFactors fr = truncatedSVD(w, RankTarget::forError(0.3));
  double rel = std::sqrt(frobenius2(w, fr.product()) / fe.totalEnergy);
  EXPECT_LE(rel, 0.3 + 1e-5);
  EXPECT_GT(std::sqrt(fr.residualEnergy() + std::pow(fr.singularValues(
                                                         fr.rank() - 1), 2)) /
                std::sqrt(fr.totalEnergy),
            0.3);
  // maxRank caps a target; a full-energy target stays below min(N, K).
  EXPECT_EQ(truncatedSVD(w, RankTarget::forEnergy(0.99, 5)).rank(), 5);
  EXPECT_EQ(truncatedSVD(w, RankTarget::forEnergy(1.0)).rank(), 39);
  // Whitened: the error target is the relative output error.
  MatrixD h = correlatedGram(64, 200, 19);
  LowRankFactors fw = whitenedSVD(w, h, RankTarget::forError(0.2), noDamp());
  EXPECT_LE(relativeOutputError(w, fw.product(), h), 0.2 + 1e-4);
}

TEST(LowRank, ValidateRank) {
  EXPECT_EQ(validateRank(40, 64, 39), "");
  EXPECT_EQ(validateRank(40, 64, 1), "");
  EXPECT_NE(validateRank(40, 64, 40), "");
  EXPECT_NE(validateRank(40, 64, 64), "");
  EXPECT_NE(validateRank(40, 64, 0), "");
  EXPECT_NE(validateRank(40, 64, -3), "");
}

TEST(LowRank, BreakEvenRank) {
  // 64x128: dense 8192 values, rank r costs 192 r.
  EXPECT_EQ(breakEvenRank(64, 128, 32, 32), 42); // 42*192 < 8192 <= 43*192
  EXPECT_EQ(breakEvenRank(64, 128, 32, 16), 85);
  EXPECT_EQ(breakEvenRank(64, 128, 4, 16), 10);
  EXPECT_EQ(breakEvenRank(2, 2, 16, 16), 0); // rank 1 already costs 4
  EXPECT_EQ(breakEvenRank(4096, 4096, 16, 16), 2047);
}

TEST(LowRank, RandomizedMatchesExactOnDecayingSpectrum) {
  const int64_t n = 300, k = 400, r = 20;
  VectorD sigma(n);
  for (int64_t i = 0; i < n; ++i)
    sigma(i) = std::pow(0.95, double(i));
  Matrix w = withSpectrum(n, k, sigma, 20);
  LowRankOptions exact, randomized;
  exact.svd.method = SVDMethod::Exact;
  randomized.svd.method = SVDMethod::Randomized;
  LowRankFactors fe = truncatedSVD(w, r, exact);
  LowRankFactors fr = truncatedSVD(w, r, randomized);
  double ee = frobenius2(w, fe.product()), er = frobenius2(w, fr.product());
  // Stated tolerance: p = 10, q = 2 lose at most 1% of the squared error
  // here (measured: 0.1%).
  EXPECT_LE(er, 1.01 * ee);
  EXPECT_GE(er, ee * (1 - 1e-4));
  EXPECT_EQ(fr.singularValues.size(), r + 10);
  for (int64_t i = 0; i < r; ++i)
    EXPECT_NEAR(fr.singularValues(i), sigma(i), 2e-3 * sigma(i)) << i;
  EXPECT_NEAR(fr.totalEnergy, fe.totalEnergy, 1e-9 * fe.totalEnergy);

  // Auto switches to the randomized SVD above its threshold.
  LowRankOptions autoSmall;
  autoSmall.svd.randomizedThreshold = 100;
  LowRankFactors fa = truncatedSVD(w, r, autoSmall);
  EXPECT_TRUE(fa.u == fr.u && fa.v == fr.v);
  EXPECT_EQ(truncatedSVD(w, r).singularValues.size(), n); // default: exact
}

TEST(LowRank, RandomizedIsDeterministicPerSeed) {
  Matrix w = gaussian(120, 150, 21);
  MatrixD h = correlatedGram(150, 300, 22);
  LowRankOptions o;
  o.svd.method = SVDMethod::Randomized;
  LowRankFactors a = whitenedSVD(w, h, 12, o);
  LowRankFactors b = whitenedSVD(w, h, 12, o);
  EXPECT_TRUE(a.u == b.u && a.v == b.v);
  o.svd.seed = 7;
  LowRankFactors c = whitenedSVD(w, h, 12, o);
  EXPECT_FALSE(a.u == c.u);
  double ea = outputError(w, a.product(), h), ec = outputError(w, c.product(), h);
  EXPECT_NEAR(ea, ec, 0.02 * ea);
}

TEST(LowRank, HalfPrecisionFactorsAndRefit) {
  // Nearly rank r, so that rounding the factors, not the truncation,
  // dominates the error.
  const int64_t n = 64, k = 96, r = 12;
  Matrix w = gaussian(n, r, 23) * gaussian(r, k, 25) + gaussian(n, k, 26, 1e-3f);
  MatrixD h = correlatedGram(k, 400, 24);
  LowRankFactors full = whitenedSVD(w, h, r);
  // At the optimum, the closed-form left factor for the optimal V is U.
  MatrixD hd = h;
  hd.diagonal().array() += 0.01 * h.diagonal().mean();
  Matrix refit = refitLeft(w, full.v, &hd);
  EXPECT_LE((refit - full.u).cwiseAbs().maxCoeff(),
            1e-3f * full.u.cwiseAbs().maxCoeff());

  for (FactorType type : {FactorType::F16, FactorType::BF16}) {
    LowRankOptions o;
    o.factorType = type;
    LowRankFactors f = whitenedSVD(w, h, r, o);
    EXPECT_TRUE(roundToFactorType(f.u, type) == f.u);
    EXPECT_TRUE(roundToFactorType(f.v, type) == f.v);
    Matrix naive = roundToFactorType(full.u, type) *
                   roundToFactorType(full.v, type);
    double errRefit = outputError(w, f.product(), h);
    double errNaive = outputError(w, naive, h);
    // Measured: f16 2341 -> 1883, bf16 1.05e5 -> 9.1e4 (unrounded: 79).
    EXPECT_LT(errRefit, 0.95 * errNaive);
    EXPECT_GT(errRefit, outputError(w, full.product(), h));
  }
}

} // namespace
