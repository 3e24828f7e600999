//===- AWQTest.cpp - Activation-aware scaling -----------------------------===//
//
// The scales are checked through their defining properties: with equal
// activations on every feature the plain family is s = 1 and the codes are
// RTN's; the chosen scales never give a larger calibrated error than RTN;
// a feature with large activations gets finer steps (a multiplier < 1) and
// the output error falls; the reported error equals an independent
// double-precision evaluation of tr(E H E^T) on the returned codes; and
// the multipliers are exactly representable in their storage type.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/AWQ.h"
#include "Random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace qsl::compress;
using qsl::compress::testing::gaussian;

namespace {

QuantSpec spec4(int64_t group) {
  QuantSpec s;
  s.bits = 4;
  s.group = group;
  s.symmetric = false;
  return s;
}

/// Inputs whose feature j has standard deviation scale[j].
MatrixD gramOf(const Vector &scale, int64_t tokens, unsigned seed) {
  Matrix x = gaussian(tokens, scale.size(), seed) * scale.asDiagonal();
  return (x.transpose() * x).cast<double>();
}

/// tr(E H E^T) in double for What = deq(q) diag(c).
double referenceError(const Matrix &w, const QuantizedMatrix &q,
                      const Vector &c, const MatrixD &gram) {
  MatrixD e = w.cast<double>() -
              (q.dequantize() * c.asDiagonal()).cast<double>();
  return (e * gram * e.transpose()).trace();
}

TEST(AWQ, EqualActivationsGiveRTN) {
  Matrix w = gaussian(16, 64, 1);
  MatrixD gram = MatrixD::Identity(64, 64) * 50.0;
  AWQOptions o;
  o.duoScaling = false;
  AWQResult r = searchAWQ({{&w, nullptr}}, gram, 50, spec4(32), o);
  ASSERT_EQ(r.quantized.size(), 1u);
  EXPECT_TRUE((r.multipliers.array() == 1.0f).all());
  QuantizedMatrix rtn = quantizeRTN(w, spec4(32));
  EXPECT_TRUE(r.quantized[0].codes == rtn.codes);
  EXPECT_DOUBLE_EQ(r.error, r.rtnError);
}

TEST(AWQ, SalientFeaturesGetFinerStepsAndLowerError) {
  // A few features see 30x larger activations, as in LLM layers.
  Vector scale = Vector::Ones(128);
  for (int j : {3, 40, 77, 100})
    scale(j) = 30.0f;
  MatrixD gram = gramOf(scale, 512, 7);
  Matrix q = gaussian(48, 128, 2), k = gaussian(48, 128, 3);
  for (bool duo : {false, true}) {
    AWQOptions o;
    o.duoScaling = duo;
    AWQResult r = searchAWQ({{&q, nullptr}, {&k, nullptr}}, gram, 512,
                            spec4(32), o);
    ASSERT_EQ(r.quantized.size(), 2u);
    EXPECT_GT(r.alpha + (r.duo ? 1 : 0), 0.0) << "RTN was chosen";
    EXPECT_LT(r.error, 0.7 * r.rtnError) << "duo " << duo;
    for (int j : {3, 40, 77, 100})
      EXPECT_LT(r.multipliers(j), r.multipliers(0)) << "feature " << j;
    double ref = referenceError(q, r.quantized[0], r.multipliers, gram) +
                 referenceError(k, r.quantized[1], r.multipliers, gram);
    EXPECT_NEAR(r.error, ref, 1e-3 * ref);
  }
}

TEST(AWQ, NeverWorseThanRTNAndMultipliersAreStorable) {
  for (unsigned seed = 0; seed < 6; ++seed) {
    Vector scale = (Vector::Random(96).array() * 2.0f + 2.5f).matrix();
    MatrixD gram = gramOf(scale, 300, 100 + seed);
    Matrix w = gaussian(20, 96, 200 + seed);
    for (MultiplierType t :
         {MultiplierType::F16, MultiplierType::BF16, MultiplierType::F32}) {
      AWQOptions o;
      o.multiplierType = t;
      o.gridPoints = 10;
      AWQResult r = searchAWQ({{&w, nullptr}}, gram, 300, spec4(0), o);
      EXPECT_LE(r.error, r.rtnError * (1 + 1e-6)) << "seed " << seed;
      for (int64_t j = 0; j < r.multipliers.size(); ++j)
        EXPECT_EQ(roundMultiplier(r.multipliers(j), t), r.multipliers(j));
    }
  }
}

TEST(AWQ, PrunedPositionsStayZero) {
  Vector scale = Vector::Ones(64);
  scale(5) = 20.0f;
  MatrixD gram = gramOf(scale, 256, 9);
  Matrix w = gaussian(8, 64, 4);
  Mask keep(8, 64);
  for (int64_t i = 0; i < keep.size(); ++i)
    keep.data()[i] = (i % 4) < 2; // 2:4
  Matrix pruned = keep.select(w, Matrix::Zero(8, 64));
  AWQResult r = searchAWQ({{&pruned, &keep}}, gram, 256, spec4(32));
  Matrix what = r.quantized[0].dequantize() * r.multipliers.asDiagonal();
  MatrixD e = (pruned - keep.select(what, Matrix::Zero(8, 64))).cast<double>();
  EXPECT_NEAR(r.error, (e * gram * e.transpose()).trace(),
              1e-3 * r.error);
  EXPECT_LE(r.error, r.rtnError * (1 + 1e-6));
}

TEST(AWQ, RoundMultiplier) {
  EXPECT_EQ(roundMultiplier(1.0f / 3.0f, MultiplierType::F16),
            float(Eigen::half(1.0f / 3.0f)));
  EXPECT_EQ(roundMultiplier(1.0f / 3.0f, MultiplierType::F32), 1.0f / 3.0f);
  // 1 + 2^-9 is between bf16 neighbours 1 and 1 + 2^-7: rounds to 1.
  EXPECT_EQ(roundMultiplier(1.0f + 1.0f / 512, MultiplierType::BF16), 1.0f);
}

} // namespace
