//===- SpQR.cpp - GPTQ with sensitivity-selected outliers (SpQR) ----------===//
#include "qsl/Compress/SpQR.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>

using namespace qsl::compress;

namespace {

using WorkMatrix = Eigen::MatrixXd; // column-major: one column per input

/// The upper Cholesky factor U of the damped H^-1 (H^-1 = U^T U); the
/// dampening is raised tenfold while H is not numerically positive
/// definite. Identity-like (RTN) when nothing factors.
Eigen::MatrixXd inverseHessianFactor(Eigen::MatrixXd h, double damp) {
  const int64_t n = h.rows();
  const double mean = h.diagonal().mean();
  double lambda = std::max(damp, 0.0) * mean;
  for (int attempt = 0; attempt < 8; ++attempt) {
    Eigen::MatrixXd d = h;
    d.diagonal().array() += lambda;
    Eigen::LLT<Eigen::MatrixXd> llt(d);
    if (llt.info() == Eigen::Success) {
      Eigen::MatrixXd inv = llt.solve(Eigen::MatrixXd::Identity(n, n));
      inv = 0.5 * (inv + inv.transpose());
      Eigen::LLT<Eigen::MatrixXd> l2(inv);
      if (l2.info() == Eigen::Success && l2.matrixU().toDenseMatrix().allFinite())
        return l2.matrixU();
    }
    lambda = std::max(lambda * 10, 1e-6 * std::fabs(mean));
  }
  return Eigen::MatrixXd::Identity(n, n);
}

/// Sum of ((v_k - deq(q(v_k))) / d_k)^2 over the group without element
/// `skip` (-1: none), with a min/max range fitted on those elements; the
/// terms go to `terms` when given.
double groupError(const std::vector<float> &v, const std::vector<double> &d,
                  int64_t skip, const QuantSpec &spec,
                  std::vector<double> *terms) {
  std::vector<float> fit;
  for (size_t k = 0; k < v.size(); ++k)
    if (int64_t(k) != skip)
      fit.push_back(v[k]);
  if (fit.empty())
    return 0.0;
  float s;
  int32_t z;
  chooseGroupRange(fit.data(), fit.size(), spec, RangeOptions{}, s, z);
  double sum = 0.0;
  for (size_t k = 0; k < v.size(); ++k) {
    if (int64_t(k) == skip)
      continue;
    const double e =
        (double(v[k]) - dequantizeValue(quantizeValue(v[k], s, z, spec), s, z,
                                        spec)) /
        d[k];
    if (terms)
      (*terms)[k] = e * e;
    sum += e * e;
  }
  return sum;
}

/// SpQR's sensitivity of the elements of row r in columns [begin, end)
/// that are not outliers yet (the others get -1): how much the group's
/// sensitivity-weighted error drops when the element leaves it (stored
/// exactly, the range refitted without it). With a min/max range only the
/// extremes move the range, so the others' drop is their own term
/// (w - q(w))^2 / U_jj^2 and only two refits are needed.
std::vector<double> leaveOneOutScores(const WorkMatrix &work,
                                      const Eigen::MatrixXd &u, int64_t r,
                                      int64_t begin, int64_t end,
                                      const QuantSpec &spec,
                                      const Mask &outliers) {
  std::vector<double> scores(end - begin, -1.0);
  std::vector<int64_t> at;
  std::vector<float> v;
  std::vector<double> d;
  for (int64_t c = begin; c < end; ++c)
    if (!outliers(r, c)) {
      at.push_back(c - begin);
      v.push_back(float(work(r, c)));
      d.push_back(u(c, c));
    }
  if (v.empty())
    return scores;
  std::vector<double> terms(v.size(), 0.0);
  const double baseline = groupError(v, d, -1, spec, &terms);
  for (size_t k = 0; k < v.size(); ++k)
    scores[at[k]] = terms[k];
  const int64_t lo = std::min_element(v.begin(), v.end()) - v.begin();
  const int64_t hi = std::max_element(v.begin(), v.end()) - v.begin();
  for (int64_t k : {lo, hi})
    scores[at[k]] = std::max(baseline - groupError(v, d, k, spec, nullptr), 0.0);
  return scores;
}

/// Detection sweeps at most (each one may leave budget when the outliers it
/// chose change the scores of the rest; the last one fills the budget in
/// column order with anything above threshold * mean).
constexpr int kRounds = 5;

struct Sweep {
  IntMatrix codes;
  Matrix scales;
  IntMatrix scaleCodes;         // quantized statistics only
  Matrix statScales, statZeros; // quantized statistics only
  IntMatrix zeros;
  Matrix residual; // at outlier positions: w - deq(q), rounded; else 0
  Matrix sensitivity; // leave-one-out scores at group starts (record only)
};

/// In-sweep detection: an element whose score exceeds `limit` becomes an
/// outlier while `budget` lasts; the group is rescored after each one.
struct Detection {
  double limit;
  int64_t budget;
};

/// One GPTQ sweep in natural column order around the outliers in `outliers`
/// (which `detect`, when given, extends). `record`: keep the scores.
Sweep sweep(const Matrix &w0, const Eigen::MatrixXd &u, const QuantSpec &spec,
            const SpQROptions &options, Mask &outliers, Detection *detect,
            bool record) {
  const int64_t rows = w0.rows(), cols = w0.cols();
  const int64_t group = spec.group > 0 ? spec.group : cols;
  const int64_t groups = spec.numGroups(cols);
  int64_t blockSize = std::max<int64_t>(group, 128 / group * group);
  Sweep out;
  out.codes.resize(rows, cols);
  out.scales.resize(rows, groups);
  out.zeros.setZero(rows, groups);
  out.residual.setZero(rows, cols);
  const bool stats = options.statBits > 0;
  if (stats) {
    out.scaleCodes.setZero(rows, groups);
    out.statScales.setZero(rows / options.statGroup, groups);
    out.statZeros.setZero(rows / options.statGroup, groups);
  }
  if (record)
    out.sensitivity.setZero(rows, cols);
  WorkMatrix work = w0.cast<double>();
  WorkMatrix err(rows, std::min(blockSize, cols));
  std::vector<float> buffer;
  for (int64_t begin = 0; begin < cols; begin += blockSize) {
    const int64_t end = std::min(begin + blockSize, cols);
    for (int64_t j = begin; j < end; ++j) {
      const int64_t g = j / group;
      if (j % group == 0 && (record || detect)) {
        const int64_t gEnd = std::min(j + group, cols);
        for (int64_t r = 0; r < rows; ++r) {
          std::vector<double> sc =
              leaveOneOutScores(work, u, r, j, gEnd, spec, outliers);
          if (record)
            for (int64_t c = j; c < gEnd; ++c)
              out.sensitivity(r, c) = float(std::max(sc[c - j], 0.0));
          while (detect && detect->budget > 0) {
            const int64_t k = std::max_element(sc.begin(), sc.end()) - sc.begin();
            if (!(sc[k] > detect->limit))
              break;
            outliers(r, j + k) = true;
            --detect->budget;
            sc = leaveOneOutScores(work, u, r, j, gEnd, spec, outliers);
          }
        }
      }
      if (j % group == 0) {
        const int64_t gEnd = std::min(j + group, cols);
        for (int64_t r = 0; r < rows; ++r) {
          buffer.clear();
          for (int64_t c = j; c < gEnd; ++c)
            if (!outliers(r, c))
              buffer.push_back(float(work(r, c)));
          if (buffer.empty())
            buffer.push_back(0.0f);
          float s;
          int32_t z;
          chooseGroupRange(buffer.data(), buffer.size(), spec, options.range, s,
                           z);
          out.scales(r, g) = s;
          out.zeros(r, g) = z;
        }
        // Quantized statistics: the group's scales become what the
        // encoding stores before any code of the group is chosen (the zero
        // points stay as fitted; codes clamp to the slightly moved range).
        if (stats) {
          const int64_t sg = options.statGroup;
          std::vector<float> col(rows), deq(rows);
          std::vector<int32_t> codes(rows);
          for (int64_t r = 0; r < rows; ++r)
            col[r] = out.scales(r, g);
          for (int64_t r0 = 0; r0 < rows; r0 += sg) {
            float t, zz;
            quantizeStatRun(col.data() + r0, sg, options.statBits,
                            options.statType, codes.data() + r0, t, zz,
                            deq.data() + r0);
            out.statScales(r0 / sg, g) = t;
            out.statZeros(r0 / sg, g) = zz;
          }
          for (int64_t r = 0; r < rows; ++r) {
            out.scaleCodes(r, g) = codes[r];
            out.scales(r, g) = deq[r];
          }
        }
      }
      const double ujj = u(j, j);
      for (int64_t r = 0; r < rows; ++r) {
        const float s = out.scales(r, g);
        const int32_t z = out.zeros(r, g);
        const double wr = work(r, j);
        double approx;
        if (outliers(r, j)) {
          const int32_t q = quantizeValue(0.0f, s, z, spec);
          const float deq = dequantizeValue(q, s, z, spec);
          const float res = roundMultiplier(float(wr - deq), options.valueType);
          out.codes(r, j) = q;
          out.residual(r, j) = res;
          approx = double(deq) + double(res);
        } else {
          const int32_t q = quantizeValue(float(wr), s, z, spec);
          out.codes(r, j) = q;
          approx = dequantizeValue(q, s, z, spec);
        }
        err(r, j - begin) = (wr - approx) / ujj;
      }
      if (j + 1 < end)
        work.middleCols(j + 1, end - j - 1).noalias() -=
            err.col(j - begin) * u.row(j).segment(j + 1, end - j - 1);
    }
    if (end < cols)
      work.rightCols(cols - end).noalias() -=
          err.leftCols(end - begin) * u.block(begin, end, end - begin, cols - end);
  }
  return out;
}

} // namespace

Matrix SpQRResult::dequantize() const {
  Matrix m = quantized.dequantize();
  for (size_t k = 0; k < outlierIndices.size(); ++k)
    m.data()[outlierIndices[k]] += outlierValues[k];
  return m;
}

std::string qsl::compress::validateSpQR(const SpQROptions &options) {
  if (!(options.maxFraction >= 0.0 && options.maxFraction < 1.0))
    return "max-fraction must be in [0, 1), got " +
           std::to_string(options.maxFraction);
  if (std::isnan(options.threshold) || options.threshold < 0.0)
    return "threshold must be >= 0, got " + std::to_string(options.threshold);
  if (options.statBits != 0 && (options.statBits < 2 || options.statBits > 8))
    return "stat-bits must be 0 (off) or in [2, 8], got " +
           std::to_string(options.statBits);
  if (options.statBits != 0 && options.statGroup < 1)
    return "stat-group must be positive, got " +
           std::to_string(options.statGroup);
  return {};
}

void qsl::compress::quantizeStatRun(const float *scales, int64_t n,
                                    unsigned bits, MultiplierType type,
                                    int32_t *codes, float &t, float &z,
                                    float *dequantized) {
  const int32_t top = (int32_t(1) << bits) - 1;
  float lo = scales[0], hi = scales[0];
  for (int64_t i = 1; i < n; ++i) {
    lo = std::min(lo, scales[i]);
    hi = std::max(hi, scales[i]);
  }
  if (hi > lo) {
    t = roundMultiplier((hi - lo) / float(top), type);
    z = roundMultiplier(-lo / t, type);
  } else {
    t = roundMultiplier(lo, type);
    z = -1.0f;
  }
  for (int64_t i = 0; i < n; ++i) {
    double c = std::nearbyint(double(scales[i]) / double(t) + double(z));
    int32_t q = int32_t(std::clamp(c, 0.0, double(top)));
    // Rounding t and z may move the run's minimum below code 0's value:
    // never store a scale that is not positive.
    while (q < top && double(t) * (double(q) - double(z)) <= 0.0)
      ++q;
    codes[i] = q;
    dequantized[i] = float(double(t) * (double(q) - double(z)));
  }
}

SpQRResult qsl::compress::quantizeSpQR(const Matrix &w, const MatrixD &hessian,
                                      const QuantSpec &spec,
                                      const SpQROptions &options) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(spec.validate(cols).empty() && validateSpQR(options).empty());
  assert(hessian.rows() == cols && hessian.cols() == cols);
  SpQRResult result;
  result.quantized.spec = spec;
  if (rows == 0 || cols == 0) {
    result.quantized.codes.setZero(rows, cols);
    result.quantized.scales.setOnes(rows, spec.numGroups(cols));
    if (!spec.symmetric)
      result.quantized.zeros.setZero(rows, spec.numGroups(cols));
    return result;
  }
  Eigen::MatrixXd h = hessian.allFinite()
                          ? Eigen::MatrixXd(hessian)
                          : Eigen::MatrixXd::Identity(cols, cols);
  Matrix w0 = w;
  for (int64_t j = 0; j < cols; ++j)
    if (h(j, j) == 0) { // dead input: its column only multiplies zeros
      h(j, j) = 1;
      w0.col(j).setZero();
    }
  const Eigen::MatrixXd u = inverseHessianFactor(std::move(h), options.damp);

  // A plain GPTQ sweep scores the elements; its cap-th largest score (or
  // threshold * mean, if larger) is the limit for a detection sweep, which
  // finds outliers group by group on the weights as they are then (after
  // earlier columns' compensation, with earlier outliers out) and stops at
  // the cap. Its scores, with its outliers out, set the limit of the next
  // detection sweep for the budget left, up to kRounds sweeps; the last
  // one's limit is threshold * mean alone.
  Mask chosen = Mask::Constant(rows, cols, false);
  Sweep final;
  if (options.fixedOutliers) {
    assert(options.fixedOutliers->rows() == rows &&
           options.fixedOutliers->cols() == cols);
    chosen = *options.fixedOutliers;
    final = sweep(w0, u, spec, options, chosen, nullptr, false);
  } else {
    const int64_t cap =
        int64_t(std::floor(options.maxFraction * double(w.size()) + 1e-9));
    if (cap > 0 && !std::isinf(options.threshold)) {
      Sweep last = sweep(w0, u, spec, options, chosen, nullptr, true);
      const double mean = last.sensitivity.cast<double>().sum() / double(w.size());
      int64_t budget = cap;
      for (int round = 0; round < kRounds; ++round) {
        // The budget-th largest score of the last sweep among the elements
        // not chosen yet, lowered a hair so that it qualifies itself.
        std::vector<float> s;
        for (int64_t i = 0; i < w.size(); ++i)
          if (!chosen.data()[i])
            s.push_back(last.sensitivity.data()[i]);
        double limit = options.threshold * mean;
        // The last sweep takes whatever passes the threshold, so that the
        // cap is reached whenever enough elements pass it.
        if (round + 1 < kRounds && int64_t(s.size()) >= budget) {
          std::nth_element(s.begin(), s.begin() + budget - 1, s.end(),
                           std::greater<float>());
          limit = std::max(limit, std::nextafter(double(s[budget - 1]), 0.0));
        }
        Detection detect{limit, budget};
        last = sweep(w0, u, spec, options, chosen, &detect, true);
        budget = detect.budget;
        if (budget == 0)
          break;
      }
      final = std::move(last);
    } else {
      final = sweep(w0, u, spec, options, chosen, nullptr, false);
    }
  }
  result.quantized.codes = std::move(final.codes);
  result.quantized.scales = std::move(final.scales);
  result.scaleCodes = std::move(final.scaleCodes);
  result.statScales = std::move(final.statScales);
  result.statZeros = std::move(final.statZeros);
  if (!spec.symmetric)
    result.quantized.zeros = std::move(final.zeros);
  for (int64_t i = 0; i < w.size(); ++i)
    if (chosen.data()[i]) {
      result.outlierIndices.push_back(i);
      result.outlierValues.push_back(final.residual.data()[i]);
    }
  return result;
}

double qsl::compress::calibratedError(const Matrix &w, const Matrix &approx,
                                      const MatrixD &hessian) {
  Eigen::MatrixXd e = (w - approx).cast<double>();
  return (e * hessian).cwiseProduct(e).sum();
}
