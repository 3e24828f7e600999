//===- Prune.h - Weight pruning: masks, Wanda, SparseGPT, DSnoT -*- C++ -*-===//
//
// Pruning of a weight matrix W : [rows, cols] (orientation in Matrix.h):
// a keep mask under a sparsity pattern, and for SparseGPT updated values of
// the kept weights. Patterns:
//
//   Unstructured  `sparsity` of the elements of every row are removed
//                 (per-output comparison group, as in Wanda and SparseGPT).
//   N:M           in every run of M consecutive elements of a row, N are
//                 kept (cols must be a multiple of M).
//   Block RxC     W is tiled by RxC blocks (rows % R == 0, cols % C == 0);
//                 `sparsity` of the blocks of every block-row are removed,
//                 ranked by the sum of their element scores.
//
// The number removed is round(sparsity * count) per comparison group.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_PRUNE_H
#define QSL_COMPRESS_PRUNE_H

#include "qsl/Compress/Matrix.h"

#include <string>

namespace qsl {
namespace compress {

struct SparsityPattern {
  enum class Kind { Unstructured, NM, Block };
  Kind kind = Kind::Unstructured;
  double sparsity = 0.5; // Unstructured and Block
  int64_t n = 2, m = 4;  // NM
  int64_t blockRows = 1, blockCols = 1;

  static SparsityPattern unstructured(double sparsity);
  static SparsityPattern nm(int64_t n, int64_t m);
  static SparsityPattern block(int64_t r, int64_t c, double sparsity);
  /// An error message when the pattern cannot apply to a rows x cols matrix
  /// (N > M, cols % M != 0, sparsity outside [0, 1), ...), else empty.
  std::string validate(int64_t rows, int64_t cols) const;
  /// Fraction of elements kept (N/M, or 1 - sparsity).
  double density() const;
};

/// Keeps, within every comparison group of the pattern, the elements with
/// the highest scores (ties: the lower column index is kept). The pattern
/// must validate() for the matrix (asserted); so for pruneSparseGPT.
Mask selectMask(const Matrix &scores, const SparsityPattern &pattern);

/// Magnitude: |W|.
Matrix magnitudeScores(const Matrix &w);
/// Wanda (Sun et al., 2023): |W_ij| * ||X_j||_2, with `inputNorms` the
/// l2 norm of input feature j over the calibration tokens ([cols]).
Matrix wandaScores(const Matrix &w, const VectorD &inputNorms);

struct PruneResult {
  Matrix weights; // the pruned weights (0 where the mask is false)
  Mask mask;
};

struct SparseGPTOptions {
  double damp = 0.01;
  int64_t blockSize = 128;
};

/// SparseGPT (Frantar & Alistarh, 2023): column blocks of `blockSize`;
/// inside a block the mask is chosen by w^2 / [H^-1]_jj^2 (N:M: per run of M
/// when the run starts), each pruned weight's error is compensated on the
/// remaining columns with the Cholesky factor of H^-1 (OBS update).
/// Block patterns fall back to a mask chosen on the block's OBS scores.
PruneResult pruneSparseGPT(const Matrix &w, const MatrixD &hessian,
                           const SparsityPattern &pattern,
                           const SparseGPTOptions &options);

struct DSnoTOptions {
  int maxCycles = 50;           // swap attempts per row at most
  double updateThreshold = 0.1; // stop when |e| falls below this fraction of
                                // its start value (relative, unlike the
                                // reference's absolute 0.1)
  /// When set (X^T X, [cols, cols]), a swap is accepted only if it also
  /// lowers the row's calibrated output error (W_r - What_r)^T H (...):
  /// the mean-based criterion proposes, the exact objective decides.
  const MatrixD *gram = nullptr;
};

/// DSnoT (Zhang et al., 2024), training-free mask refinement: per row, the
/// expected reconstruction error e = sum_j (W_ij - What_ij) * mean(X_j) is
/// reduced by swapping one pruned weight back in (the one whose
/// contribution W_ij * mean_j best cancels e, ranked by its sign) for a kept
/// one (the smallest Wanda-style score |W_ij| * ||X_j|| among those that
/// move e the same way). The swaps keep the pattern (within an N:M run for
/// N:M). `inputMean`/`inputNorms` are per input feature ([cols]).
Mask refineDSnoT(const Matrix &w, const Mask &mask, const VectorD &inputMean,
                 const VectorD &inputNorms, const SparsityPattern &pattern,
                 const DSnoTOptions &options = {});

/// W with pruned elements set to 0.
Matrix applyMask(const Matrix &w, const Mask &mask);
/// True when `mask` satisfies `pattern` exactly (N:M: exactly N per run;
/// unstructured/block: the per-group removed count).
bool satisfiesPattern(const Mask &mask, const SparsityPattern &pattern);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_PRUNE_H
