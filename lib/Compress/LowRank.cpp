//===- LowRank.cpp - Low-rank factorization and error compensation --------===//
#include "qsl/Compress/LowRank.h"

#include <Eigen/Cholesky>
#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <random>

using namespace qsl::compress;

RankTarget RankTarget::forEnergy(double energy, int64_t maxRank) {
  RankTarget t;
  t.energy = energy;
  t.maxRank = maxRank;
  return t;
}

RankTarget RankTarget::forError(double error, int64_t maxRank) {
  RankTarget t;
  t.error = error;
  t.maxRank = maxRank;
  return t;
}

double LowRankFactors::residualEnergy() const {
  double kept = singularValues.head(std::min<int64_t>(rank(),
                                                      singularValues.size()))
                    .squaredNorm();
  return std::max(totalEnergy - kept, 0.0);
}

std::string qsl::compress::validateRank(int64_t rows, int64_t cols,
                                        int64_t rank) {
  int64_t limit = std::min(rows, cols);
  if (rank < 1)
    return "rank must be at least 1, got " + std::to_string(rank);
  if (rank >= limit)
    return "rank " + std::to_string(rank) + " must be below min(rows, cols) = " +
           std::to_string(limit) + " of a " + std::to_string(rows) + "x" +
           std::to_string(cols) + " matrix";
  return {};
}

int64_t qsl::compress::rankForEnergy(const VectorD &sv, double energy,
                                     double total) {
  if (total < 0)
    total = sv.squaredNorm();
  const double goal = energy * total;
  double kept = 0;
  for (int64_t i = 0; i < sv.size(); ++i) {
    if (kept >= goal)
      return i;
    kept += sv(i) * sv(i);
  }
  return sv.size();
}

int64_t qsl::compress::rankForError(const VectorD &sv, double error,
                                    double total) {
  if (total < 0)
    total = sv.squaredNorm();
  const double goal = error * error * total;
  double tail = total;
  for (int64_t i = 0; i < sv.size(); ++i) {
    if (tail <= goal)
      return i;
    tail -= sv(i) * sv(i);
  }
  return sv.size();
}

int64_t qsl::compress::breakEvenRank(int64_t rows, int64_t cols,
                                     double denseBits, double factorBits) {
  // Largest r with (rows + cols) * r * factorBits < rows * cols * denseBits.
  double dense = double(rows) * double(cols) * denseBits;
  double perRank = double(rows + cols) * factorBits;
  if (perRank <= 0)
    return 0;
  int64_t r = int64_t(std::ceil(dense / perRank)) - 1;
  while (r > 0 && double(r) * perRank >= dense)
    --r;
  while (double(r + 1) * perRank < dense)
    ++r;
  return std::max<int64_t>(r, 0);
}

Matrix qsl::compress::roundToFactorType(const Matrix &m, FactorType type) {
  switch (type) {
  case FactorType::F32:
    return m;
  case FactorType::F16:
    return m.unaryExpr([](float x) { return float(Eigen::half(x)); });
  case FactorType::BF16:
    return m.unaryExpr([](float x) { return float(Eigen::bfloat16(x)); });
  }
  return m;
}

VectorD qsl::compress::rowImportance(const Matrix &fisher) {
  return fisher.cast<double>().rowwise().sum();
}

namespace {

/// The leading singular triplets of a matrix: u [m, k], v [n, k], and the
/// singular values computed (all min(m, n), or the randomized l >= k).
struct TopSVD {
  MatrixD u, v;
  VectorD s;
};

/// An orthonormal basis of the columns of y (thin Q of a Householder QR).
MatrixD orthonormalBasis(const MatrixD &y) {
  Eigen::HouseholderQR<MatrixD> qr(y);
  return qr.householderQ() * MatrixD::Identity(y.rows(), y.cols());
}

TopSVD exactTopSVD(const MatrixD &a, int64_t k) {
  Eigen::BDCSVD<MatrixD> svd(a, Eigen::ComputeThinU | Eigen::ComputeThinV);
  TopSVD r;
  k = std::min<int64_t>(k, svd.singularValues().size());
  r.s = svd.singularValues();
  r.u = svd.matrixU().leftCols(k);
  r.v = svd.matrixV().leftCols(k);
  return r;
}

/// Halko, Martinsson & Tropp (2011), Algorithms 4.4 (randomized subspace
/// iteration) and 5.1 (direct SVD of Q^T A).
TopSVD randomizedTopSVD(const MatrixD &a, int64_t k, const SVDOptions &o) {
  const int64_t m = a.rows(), n = a.cols();
  const int64_t l = std::min(k + std::max<int64_t>(o.oversampling, 0),
                             std::min(m, n));
  std::mt19937_64 gen(o.seed);
  std::normal_distribution<double> dist(0.0, 1.0);
  MatrixD omega(n, l);
  for (int64_t j = 0; j < l; ++j) // column by column: fixed draw order
    for (int64_t i = 0; i < n; ++i)
      omega(i, j) = dist(gen);
  MatrixD q = orthonormalBasis(a * omega);
  for (int it = 0; it < o.powerIterations; ++it) {
    MatrixD z = orthonormalBasis(a.transpose() * q);
    q = orthonormalBasis(a * z);
  }
  MatrixD b = q.transpose() * a; // [l, n]
  Eigen::BDCSVD<MatrixD> svd(b, Eigen::ComputeThinU | Eigen::ComputeThinV);
  TopSVD r;
  k = std::min<int64_t>(k, svd.singularValues().size());
  r.s = svd.singularValues();
  r.u = q * svd.matrixU().leftCols(k);
  r.v = svd.matrixV().leftCols(k);
  return r;
}

bool useRandomized(int64_t m, int64_t n, int64_t needed, const SVDOptions &o) {
  switch (o.method) {
  case SVDMethod::Exact:
    return false;
  case SVDMethod::Randomized:
    return true;
  case SVDMethod::Auto:
    break;
  }
  int64_t small = std::min(m, n);
  return small >= o.randomizedThreshold &&
         2 * (needed + std::max<int64_t>(o.oversampling, 0)) <= small;
}

/// The largest rank a target may choose for an rows x cols weight.
int64_t maxRankFor(const RankTarget &t, int64_t rows, int64_t cols) {
  int64_t limit = std::max<int64_t>(std::min(rows, cols) - 1, 1);
  return t.maxRank > 0 ? std::min(t.maxRank, limit) : limit;
}

/// The decomposition of the transformed problem `a` at the rank `target`
/// asks for. `rows`/`cols` are the weight's (a may have fewer columns, when
/// EoRA drops null directions). Returns u0 = U_r Sigma^(1/2) [m, r] and
/// v0 = Sigma^(1/2) V_r^T [r, n], zero-padded when a has rank < r.
struct Truncation {
  MatrixD u0, v0;
  VectorD s;
  double total = 0;
};

Truncation truncate(const MatrixD &a, int64_t rows, int64_t cols,
                    const RankTarget &target, const SVDOptions &svdOptions) {
  const bool fixed = target.rank > 0;
  if (fixed)
    assert(validateRank(rows, cols, target.rank).empty() && "bad rank");
  else
    assert((target.energy > 0 || target.error > 0) && "no rank target");
  const int64_t needed = fixed ? target.rank : maxRankFor(target, rows, cols);

  Truncation t;
  t.total = a.squaredNorm();
  TopSVD svd;
  if (a.size() == 0)
    svd.s = VectorD();
  else if (useRandomized(a.rows(), a.cols(), needed, svdOptions))
    svd = randomizedTopSVD(a, needed, svdOptions);
  else
    svd = exactTopSVD(a, needed);
  t.s = svd.s;

  int64_t r = target.rank;
  if (!fixed) {
    r = target.energy > 0 ? rankForEnergy(svd.s, target.energy, t.total)
                          : rankForError(svd.s, target.error, t.total);
    r = std::clamp<int64_t>(r, 1, needed);
  }
  const int64_t have = std::min<int64_t>(r, svd.u.cols());
  t.u0 = MatrixD::Zero(a.rows(), r);
  t.v0 = MatrixD::Zero(r, a.cols());
  for (int64_t i = 0; i < have; ++i) {
    double root = std::sqrt(std::max(svd.s(i), 0.0));
    t.u0.col(i) = svd.u.col(i) * root;
    t.v0.row(i) = svd.v.col(i).transpose() * root;
  }
  return t;
}

/// H + damp * mean(diag H) * I.
MatrixD damped(const MatrixD &gram, double damp) {
  MatrixD h = gram;
  if (damp > 0 && h.rows() > 0) {
    double mean = h.diagonal().mean();
    h.diagonal().array() += damp * (mean > 0 ? mean : 1.0);
  }
  return h;
}

/// The refit weighting: a dense H, a diagonal one, or none (H = I).
struct Weighting {
  const MatrixD *dense = nullptr;
  const VectorD *diagonal = nullptr;
};

/// U = T H V^T (V H V^T)^-1 in double.
Matrix refit(const Matrix &target, const Matrix &v, Weighting h) {
  MatrixD vd = v.cast<double>();
  MatrixD hvt; // H V^T, [K, r]
  if (h.dense)
    hvt = *h.dense * vd.transpose();
  else if (h.diagonal)
    hvt = h.diagonal->asDiagonal() * vd.transpose();
  else
    hvt = vd.transpose();
  MatrixD g = vd * hvt;                        // [r, r]
  MatrixD rhs = target.cast<double>() * hvt;   // [N, r]
  MatrixD ut = g.completeOrthogonalDecomposition().solve(rhs.transpose());
  return ut.transpose().cast<float>();
}

/// Converts the double factors to the result, rounding to the storage
/// type (V first, then U re-fitted to the rounded V and rounded).
LowRankFactors finish(Truncation &&t, const MatrixD &u, const MatrixD &v,
                      const Matrix &target, Weighting h,
                      const LowRankOptions &options) {
  LowRankFactors f;
  f.singularValues = std::move(t.s);
  f.totalEnergy = t.total;
  f.v = roundToFactorType(v.cast<float>(), options.factorType);
  if (options.factorType == FactorType::F32)
    f.u = u.cast<float>();
  else
    f.u = roundToFactorType(refit(target, f.v, h), options.factorType);
  return f;
}

/// Whitening by the eigenvectors of H (EoRA): the columns of Q Lambda^(1/2)
/// over the eigenvalues above the floor, and their Lambda^(-1/2) Q^T.
struct EigenWhitening {
  MatrixD forward;  // [K, K+]: Q_+ Lambda_+^(1/2)
  MatrixD backward; // [K+, K]: Lambda_+^(-1/2) Q_+^T
};

EigenWhitening eigenWhitening(const MatrixD &h, double floor) {
  Eigen::SelfAdjointEigenSolver<MatrixD> eig(h);
  const VectorD &lambda = eig.eigenvalues(); // ascending
  const MatrixD &q = eig.eigenvectors();
  const int64_t k = h.rows();
  double top = k ? std::max(lambda(k - 1), 0.0) : 0.0;
  int64_t first = 0;
  while (first < k && !(lambda(first) > floor * top && lambda(first) > 0))
    ++first;
  const int64_t kept = k - first;
  EigenWhitening w;
  w.forward = q.rightCols(kept);
  w.backward = q.rightCols(kept).transpose();
  for (int64_t i = 0; i < kept; ++i) {
    double root = std::sqrt(lambda(first + i));
    w.forward.col(i) *= root;
    w.backward.row(i) /= root;
  }
  return w;
}

/// The factors of target T minimising tr((T - UV) H (T - UV)^T) through
/// eigen whitening (EoRA's projection).
LowRankFactors eigenWhitenedFactors(const Matrix &t, const MatrixD &h,
                                    const RankTarget &rank,
                                    const LowRankOptions &options) {
  EigenWhitening wh = eigenWhitening(h, options.eigenFloor);
  MatrixD a = t.cast<double>() * wh.forward;
  Truncation tr = truncate(a, t.rows(), t.cols(), rank, options.svd);
  MatrixD v = tr.v0 * wh.backward;
  MatrixD u = tr.u0;
  return finish(std::move(tr), u, v, t, {&h, nullptr}, options);
}

/// Output-error-optimal factors of T through Cholesky whitening
/// (SVD-LLM), falling back to eigen whitening when H is not positive
/// definite.
LowRankFactors choleskyWhitenedFactors(const Matrix &t, const MatrixD &h,
                                       const RankTarget &rank,
                                       const LowRankOptions &options) {
  Eigen::LLT<MatrixD> llt(h);
  if (llt.info() != Eigen::Success)
    return eigenWhitenedFactors(t, h, rank, options);
  MatrixD a = t.cast<double>() * llt.matrixL(); // W S, S = L
  Truncation tr = truncate(a, t.rows(), t.cols(), rank, options.svd);
  // V = V0 S^-1  <=>  S^T V^T = V0^T, with S^T = L^T upper triangular.
  MatrixD v = llt.matrixU().solve(tr.v0.transpose()).transpose();
  MatrixD u = tr.u0;
  return finish(std::move(tr), u, v, t, {&h, nullptr}, options);
}

} // namespace

LowRankFactors qsl::compress::truncatedSVD(const Matrix &w,
                                           const RankTarget &rank,
                                           const LowRankOptions &options) {
  Truncation tr = truncate(w.cast<double>(), w.rows(), w.cols(), rank,
                           options.svd);
  MatrixD u = tr.u0, v = tr.v0;
  return finish(std::move(tr), u, v, w, {}, options);
}

LowRankFactors qsl::compress::whitenedSVD(const Matrix &w, const MatrixD &gram,
                                          const RankTarget &rank,
                                          const LowRankOptions &options) {
  assert(gram.rows() == w.cols() && gram.cols() == w.cols());
  return choleskyWhitenedFactors(w, damped(gram, options.damp), rank, options);
}

LowRankFactors qsl::compress::fisherWeightedSVD(const Matrix &w,
                                                const VectorD &importance,
                                                const RankTarget &rank,
                                                const LowRankOptions &options) {
  assert(importance.size() == w.rows());
  const double top = importance.size() ? importance.maxCoeff() : 0.0;
  const double floor = top > 0 ? 1e-12 * top : 1.0;
  VectorD root = importance.cwiseMax(floor).cwiseSqrt();
  MatrixD a = root.asDiagonal() * w.cast<double>();
  Truncation tr = truncate(a, w.rows(), w.cols(), rank, options.svd);
  MatrixD u = root.cwiseInverse().asDiagonal() * tr.u0;
  MatrixD v = tr.v0;
  // Each row's least-squares fit is independent of its weight: refit with
  // H = I.
  return finish(std::move(tr), u, v, w, {}, options);
}

LowRankFactors qsl::compress::lqerWithScales(const Matrix &w,
                                             const Matrix &what,
                                             const VectorD &scales,
                                             const RankTarget &rank,
                                             const LowRankOptions &options) {
  assert(scales.size() == w.cols() && what.rows() == w.rows() &&
         what.cols() == w.cols());
  assert((scales.array() > 0).all() && "LQER scales must be positive");
  Matrix e = w - what;
  MatrixD a = e.cast<double>() * scales.asDiagonal();
  Truncation tr = truncate(a, w.rows(), w.cols(), rank, options.svd);
  MatrixD v = tr.v0 * scales.cwiseInverse().asDiagonal();
  MatrixD u = tr.u0;
  VectorD squares = scales.cwiseAbs2();
  return finish(std::move(tr), u, v, e, {nullptr, &squares}, options);
}

LowRankFactors qsl::compress::lqer(const Matrix &w, const Matrix &what,
                                   const MatrixD &gram, const RankTarget &rank,
                                   const LowRankOptions &options) {
  assert(gram.rows() == w.cols());
  // RMS up to the constant 1/sqrt(tokens), which the normalisation removes.
  VectorD a = gram.diagonal().cwiseMax(0.0).cwiseSqrt();
  const double top = a.size() ? a.maxCoeff() : 0.0;
  VectorD s(a.size());
  for (int64_t j = 0; j < a.size(); ++j)
    s(j) = top > 0 ? std::pow(std::max(a(j), 1e-4 * top) / top,
                              options.lqerExponent)
                   : 1.0;
  if (s.size())
    s /= std::sqrt(s.maxCoeff() * s.minCoeff());
  return lqerWithScales(w, what, s, rank, options);
}

LowRankFactors qsl::compress::eora(const Matrix &w, const Matrix &what,
                                   const MatrixD &gram, const RankTarget &rank,
                                   const LowRankOptions &options) {
  assert(gram.rows() == w.cols() && what.rows() == w.rows() &&
         what.cols() == w.cols());
  return eigenWhitenedFactors(w - what, damped(gram, options.damp), rank,
                              options);
}

Matrix qsl::compress::refitLeft(const Matrix &target, const Matrix &v,
                                const MatrixD *gram) {
  return refit(target, v, {gram, nullptr});
}
