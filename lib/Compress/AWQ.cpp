//===- AWQ.cpp - Activation-aware per-channel weight scaling --------------===//
#include "qsl/Compress/AWQ.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace qsl::compress;

float qsl::compress::roundMultiplier(float v, MultiplierType type) {
  switch (type) {
  case MultiplierType::F16:
    return float(Eigen::half(v));
  case MultiplierType::BF16:
    return float(Eigen::bfloat16(v));
  case MultiplierType::F32:
    return v;
  }
  return v;
}

namespace {

/// The smallest and largest multiplier kept: inside f16's normal range and
/// far from where a scaled weight could overflow.
constexpr float kMinMultiplier = 1.0f / 16384.0f;
constexpr float kMaxMultiplier = 16384.0f;

/// What[i] = deq(Q(W diag(s))) diag(c), zero where pruned.
Matrix dequantizeScaled(const QuantizedMatrix &q, const Vector &c,
                        const Mask *keep) {
  Matrix what = q.dequantize() * c.asDiagonal();
  if (keep)
    what = keep->select(what, Matrix::Zero(what.rows(), what.cols()));
  return what;
}

/// tr(E H E^T) for E = w - what.
double weightedError(const Matrix &w, const Matrix &what, const Matrix &h) {
  Matrix e = w - what;
  return double(((e * h).array() * e.array()).sum());
}

} // namespace

AWQResult qsl::compress::searchAWQ(const std::vector<AWQWeight> &weights,
                                   const MatrixD &gram, int64_t tokens,
                                   const QuantSpec &spec,
                                   const AWQOptions &options) {
  const int64_t k = gram.rows();
  AWQResult best;
  Matrix h = gram.cast<float>();

  // Activation magnitude per input feature: RMS over the calibration tokens,
  // floored so that dead features get a finite scale.
  Vector act(k);
  for (int64_t j = 0; j < k; ++j)
    act(j) = float(std::sqrt(std::max(gram(j, j), 0.0) /
                             double(std::max<int64_t>(tokens, 1))));
  float actMax = act.size() ? act.maxCoeff() : 0.0f;
  act = act.cwiseMax(std::max(actMax * 1e-4f,
                              std::numeric_limits<float>::min()));

  // Duo scaling's weight magnitude per input feature: |w| relative to the
  // max of its group, averaged over all rows of all weights.
  Vector wmean = Vector::Zero(k);
  int64_t rowsTotal = 0;
  const int64_t groups = spec.numGroups(k);
  for (const AWQWeight &aw : weights) {
    const Matrix &w = *aw.w;
    for (int64_t r = 0; r < w.rows(); ++r)
      for (int64_t g = 0; g < groups; ++g) {
        int64_t b = spec.groupBegin(g), e = spec.groupEnd(g, k);
        float mx = w.row(r).segment(b, e - b).cwiseAbs().maxCoeff() + 1e-6f;
        for (int64_t j = b; j < e; ++j)
          wmean(j) += std::abs(w(r, j)) / mx;
      }
    rowsTotal += w.rows();
  }
  if (rowsTotal)
    wmean /= float(rowsTotal);
  wmean = wmean.cwiseMax(1e-6f);

  RangeOptions searchRange; // min/max ranges while searching (AutoAWQ's)
  auto evaluate = [&](const Vector &c, const RangeOptions &range,
                      std::vector<QuantizedMatrix> *keepQuantized) {
    Vector s = c.cwiseInverse();
    double err = 0;
    for (const AWQWeight &aw : weights) {
      Matrix scaled = *aw.w * s.asDiagonal();
      QuantizedMatrix q = quantizeRTN(scaled, spec, range);
      err += weightedError(*aw.w, dequantizeScaled(q, c, aw.keep), h);
      if (keepQuantized)
        keepQuantized->push_back(std::move(q));
    }
    return err;
  };
  auto multipliersFor = [&](double alpha, bool duo) {
    Vector s(k);
    for (int64_t j = 0; j < k; ++j) {
      double v = std::pow(double(act(j)), alpha);
      if (duo)
        v /= std::pow(double(wmean(j)), 1.0 - alpha);
      s(j) = float(std::max(v, 1e-4));
    }
    s /= std::sqrt(s.maxCoeff() * s.minCoeff());
    Vector c(k);
    for (int64_t j = 0; j < k; ++j)
      c(j) = roundMultiplier(
          std::clamp(1.0f / s(j), kMinMultiplier, kMaxMultiplier),
          options.multiplierType);
    return c;
  };

  Vector ones = Vector::Ones(k);
  best.rtnError = evaluate(ones, searchRange, nullptr);
  best.error = best.rtnError;
  best.multipliers = ones;
  const int grid = std::max(1, options.gridPoints);
  for (int duo = 0; duo <= (options.duoScaling ? 1 : 0); ++duo)
    for (int i = duo ? 0 : 1; i < grid; ++i) {
      double alpha = double(i) / grid;
      Vector c = multipliersFor(alpha, duo);
      double err = evaluate(c, searchRange, nullptr);
      if (err < best.error) {
        best.error = err;
        best.multipliers = c;
        best.alpha = alpha;
        best.duo = duo;
      }
    }
  // The final codes with the requested range search (which may only
  // lower the error further); report the error of what is stored.
  best.error = evaluate(best.multipliers, options.range, &best.quantized);
  return best;
}
