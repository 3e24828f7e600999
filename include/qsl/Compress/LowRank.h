//===- LowRank.h - Low-rank factorization and error compensation -*- C++ -*-===//
//
// The numerics behind the `lowrank` facet (docs/formats/lowrank.md):
// W += U V with U : [N, r], V : [r, K] in the orientation of Matrix.h
// (N outputs, K inputs, y = W x). Alone the term is a factorization of W;
// beside a main term What (quantized, pruned, both) it approximates the
// compression error E = W - What.
//
// Every method is a truncated SVD of a transformed matrix A = L T R, where
// T is the target (W or E) and L, R are invertible weightings; the factors
// are mapped back as U = L^-1 U_r Sigma_r^(1/2), V = Sigma_r^(1/2) V_r^T R^-1
// (the singular values are split evenly between the factors, which keeps
// both in the same dynamic range for f16/bf16 storage). By Eckart-Young the
// result minimises ||L (T - U V) R||_F over all rank-r pairs, and that
// minimum is the sum of the dropped sigma_i^2 of A ("truncation-aware":
// every singular value is exactly the loss of dropping it).
//
//   method              L              R                   optimal for
//   truncatedSVD        I              I                   ||W - UV||_F
//   whitenedSVD         I              S, S S^T = H + dI   tr(E H E^T) (SVD-LLM)
//   fisherWeightedSVD   diag(sqrt f)   I                   sum_i f_i ||row_i E||^2
//   lqer                I              diag(s)             ||E diag(s)||_F (L2QER)
//   eora                I              Q Lambda^(1/2)      tr(E H E^T) (EoRA)
//
// with H = X^T X the calibration Gram matrix (Statistics.h) over the inputs,
// so tr(E H E^T) = ||(T - UV) X^T||_F^2 is the calibrated output error.
// whitenedSVD (Cholesky whitening) and eora (eigen whitening) solve the same
// problem and reach the same minimum; they differ in how they treat a
// singular H (damping vs dropping the null directions).
//
// Large SVDs use the randomized range finder of Halko, Martinsson & Tropp
// (2011): Gaussian test matrix with oversampling, power iterations
// re-orthonormalised by QR, then an exact SVD of the small projected matrix.
// All decompositions are Eigen's and run in double; the factors are
// returned in float (Matrix).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_LOWRANK_H
#define QSL_COMPRESS_LOWRANK_H

#include "qsl/Compress/Matrix.h"

#include <string>

namespace qsl {
namespace compress {

/// How the rank is chosen. Implicitly constructible from an integer, so
/// `truncatedSVD(w, 16)` asks for rank 16.
struct RankTarget {
  /// > 0: exactly this rank (1 <= rank < min(N, K), see validateRank).
  int64_t rank = 0;
  /// When rank == 0 and energy > 0: the smallest r whose leading singular
  /// values hold `energy` of sum sigma^2 of the (weighted) problem.
  double energy = 0;
  /// When rank == 0, energy == 0 and error > 0: the smallest r whose
  /// relative residual sqrt(sum_{i>r} sigma_i^2 / sum sigma^2) is <= error.
  /// For whitenedSVD/eora that is the relative calibrated output error.
  double error = 0;
  /// Upper bound for a target-chosen rank (0: min(N, K) - 1). A chosen rank
  /// is clamped to [1, maxRank]; also bounds how many singular values a
  /// randomized SVD computes when choosing by target.
  int64_t maxRank = 0;

  RankTarget() = default;
  RankTarget(int64_t r) : rank(r) {} // NOLINT: implicit on purpose
  static RankTarget forEnergy(double energy, int64_t maxRank = 0);
  static RankTarget forError(double error, int64_t maxRank = 0);
};

enum class SVDMethod {
  Auto,       // Randomized when the matrix is large (see SVDOptions), else Exact
  Exact,      // Eigen's BDCSVD of the whole matrix: every singular value
  Randomized, // Halko-Martinsson-Tropp range finder + exact SVD of Q^T A
};

struct SVDOptions {
  SVDMethod method = SVDMethod::Auto;
  /// Auto picks Randomized when min(N, K) >= this and the singular values
  /// needed (rank + oversampling) are at most half of min(N, K).
  int64_t randomizedThreshold = 1024;
  /// Extra columns of the test matrix (HMT's p; 5-10 suffice for most
  /// spectra).
  int64_t oversampling = 10;
  /// Power (subspace) iterations: each sharpens the captured subspace by a
  /// factor (sigma_{k+1} / sigma_k)^2; 2 is enough for the slowly decaying
  /// spectra of trained weights.
  int powerIterations = 2;
  /// Seed of the Gaussian test matrix (std::mt19937_64): the same seed
  /// gives bit-identical factors.
  uint64_t seed = 0x5eed;
};

/// The storage type of the factors. For F16/BF16 the factors are rounded
/// to it (round to nearest even) so that what the facet stores is exactly
/// what was evaluated; V is rounded first and U is then re-fitted to the
/// rounded V in closed form (refitLeft) before it is rounded itself.
enum class FactorType { F32, F16, BF16 };

struct LowRankOptions {
  SVDOptions svd;
  /// whitenedSVD/eora: H + damp * mean(diag H) * I is whitened (the
  /// factors are optimal for that damped H). 0 is allowed when H is
  /// positive definite; whitenedSVD then falls back to eigen whitening if
  /// the Cholesky factorization fails.
  double damp = 0.01;
  /// eora (and the fallback): eigenvalues <= eigenFloor * max eigenvalue are
  /// treated as 0; the factors get no component along those directions
  /// (pseudo-inverse back-projection) instead of a division by ~0.
  double eigenFloor = 1e-10;
  /// lqer: s_j = a_j^exponent, a_j the RMS of input feature j.
  double lqerExponent = 1.0;
  FactorType factorType = FactorType::F32;
};

struct LowRankFactors {
  Matrix u; // [N, r]
  Matrix v; // [r, K]
  /// Singular values of the transformed problem A (see the table above),
  /// descending: all min(N, K) of them for an exact SVD, the leading
  /// (requested + oversampling) for a randomized one.
  VectorD singularValues;
  /// ||A||_F^2 = sum of all sigma_i^2, known even when only the leading
  /// singular values were computed.
  double totalEnergy = 0;

  int64_t rank() const { return u.cols(); }
  /// U V, [N, K].
  Matrix product() const { return u * v; }
  /// The minimised objective at the chosen rank, totalEnergy minus the
  /// kept sigma_i^2 (before any rounding of the factors): ||W - UV||_F^2
  /// for truncatedSVD, tr(E H_damped E^T) for whitenedSVD/eora, ...
  double residualEnergy() const;
};

/// An error message when a fixed `rank` is unusable for a rows x cols
/// matrix (rank < 1 or rank >= min(rows, cols): the factors would hold at
/// least as many values as a dense term of the same rank could), else
/// empty. The functions below assert it for a fixed rank.
std::string validateRank(int64_t rows, int64_t cols, int64_t rank);

/// Plain truncated SVD: W ~ U V minimising ||W - UV||_F.
LowRankFactors truncatedSVD(const Matrix &w, const RankTarget &rank,
                            const LowRankOptions &options = {});

/// SVD-LLM (Wang et al., 2024, arXiv:2403.07378): minimises the output
/// error tr((W - UV) H (W - UV)^T) for the Gram matrix H = X^T X of the
/// layer's inputs ([K, K]): S = chol(H + damp mean(diag H) I) (lower), SVD
/// of W S, V = Sigma^(1/2) V_r^T S^-1 by a triangular solve.
LowRankFactors whitenedSVD(const Matrix &w, const MatrixD &gram,
                           const RankTarget &rank,
                           const LowRankOptions &options = {});

/// FWSVD (Hsu et al., 2022, arXiv:2207.00112): minimises
/// sum_i f_i ||W_i - (UV)_i||^2 over the output rows i, with f_i >= 0 the
/// row's Fisher importance ([N]; the paper's row-wise sum of the
/// per-element Fisher information, see rowImportance()). SVD of
/// diag(sqrt f) W, U = diag(1/sqrt f) U_r Sigma^(1/2); rows with f_i = 0
/// get a small floor instead (1e-12 of the largest f).
LowRankFactors fisherWeightedSVD(const Matrix &w, const VectorD &importance,
                                 const RankTarget &rank,
                                 const LowRankOptions &options = {});

/// FWSVD's row importance from per-element Fisher information
/// ([N, K], e.g. accumulated squared gradients): the sum over each row.
VectorD rowImportance(const Matrix &fisher);

/// LQER / L2QER (Zhang et al., 2024, arXiv:2402.02446): U V ~ E = W - What
/// from the SVD of E diag(s), V = Sigma^(1/2) V_r^T diag(1/s), where
/// s_j = a_j^lqerExponent for the RMS a_j = sqrt(H_jj / tokens) of input
/// feature j (the paper's mean |x_j|; QSL records X^T X, whose diagonal gives
/// the RMS), floored at 1e-4 of the largest and normalised by
/// sqrt(max s * min s) as in the reference code. Only diag(gram) is used.
LowRankFactors lqer(const Matrix &w, const Matrix &what, const MatrixD &gram,
                    const RankTarget &rank, const LowRankOptions &options = {});
/// The same with caller-chosen positive scales s ([K]).
LowRankFactors lqerWithScales(const Matrix &w, const Matrix &what,
                              const VectorD &scales, const RankTarget &rank,
                              const LowRankOptions &options = {});

/// EoRA (Liu et al., 2024, arXiv:2410.21271): H + damp I = Q Lambda Q^T,
/// SVD of E' = E Q Lambda^(1/2), V = Sigma^(1/2) V_r^T Lambda^(-1/2) Q^T
/// (eigenvalues under the floor dropped). Minimises tr(E_r H E_r^T) for the
/// remaining error E_r = E - UV, like whitenedSVD applied to E.
LowRankFactors eora(const Matrix &w, const Matrix &what, const MatrixD &gram,
                    const RankTarget &rank, const LowRankOptions &options = {});

/// Closed-form update of the left factor for a fixed right factor: the U
/// minimising tr((T - UV) H (T - UV)^T), U = T H V^T (V H V^T)^-1 (H = I
/// when `gram` is null; V H V^T is solved by a complete orthogonal
/// decomposition, so a singular one gives the least-squares solution of
/// smallest norm). T : [N, K], V : [r, K]. Computed in double.
Matrix refitLeft(const Matrix &target, const Matrix &v,
                 const MatrixD *gram = nullptr);

/// The smallest r with sum_{i<=r} sigma_i^2 >= energy * totalEnergy
/// (totalEnergy < 0: the sum over `singularValues`). Returns
/// singularValues.size() when the computed values do not reach it.
int64_t rankForEnergy(const VectorD &singularValues, double energy,
                      double totalEnergy = -1);
/// The smallest r with sqrt(sum_{i>r} sigma_i^2 / totalEnergy) <= error
/// (the tail counted as totalEnergy minus the kept values), likewise.
int64_t rankForError(const VectorD &singularValues, double error,
                     double totalEnergy = -1);

/// The largest rank at which the factors, (rows + cols) * r values of
/// `factorBits` bits, still take fewer bits than the dense rows x cols
/// matrix of `denseBits` bits; 0 when even rank 1 does not. A
/// factorization at a rank above this saves nothing.
int64_t breakEvenRank(int64_t rows, int64_t cols, double denseBits,
                      double factorBits);

/// Rounds every element to `type` (round to nearest even).
Matrix roundToFactorType(const Matrix &m, FactorType type);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_LOWRANK_H
