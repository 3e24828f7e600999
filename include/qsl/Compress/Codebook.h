//===- Codebook.h - Non-uniform (codebook) quantization ----------*- C++ -*-===//
//
// SqueezeLLM (Kim et al. 2023, "SqueezeLLM: Dense-and-Sparse Quantization")
// look-up-table quantization of W : [rows, cols] (see Matrix.h): every row
// (output channel), or every group of `group` consecutive elements of a
// row, gets its own table of K = 2^bits centroids c_0..c_{K-1} and each
// element stores the index of one of them, w ~ c[q].
//
// The table of a group minimises the sensitivity-weighted squared error
//
//   sum_j  s_j (w_j - c[q_j])^2
//
// over the centroids and the assignment: a 1-D weighted k-means, solved by
// Lloyd iterations from a weighted-quantile initialisation. SqueezeLLM's
// sensitivity is the Fisher diagonal; with calibration statistics we use
// s_j = H_jj = (X^T X)_jj of the element's input channel (the same
// second-order proxy GPTQ uses), with none s_j = 1 (plain k-means).
// Deterministic: no random initialisation.
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_CODEBOOK_H
#define QSL_COMPRESS_CODEBOOK_H

#include "qsl/Compress/Matrix.h"

#include <string>
#include <vector>

namespace qsl {
namespace compress {

struct CodebookSpec {
  unsigned bits = 3;  // 2..8; K = 2^bits centroids per table
  int64_t group = 0;  // elements per table along a row; 0 = whole row
  int maxIterations = 100; // Lloyd iterations (stops earlier when stable)

  int64_t entries() const { return int64_t(1) << bits; }
  int64_t numGroups(int64_t cols) const;
  /// An error message when the spec is unusable for `cols` columns, else
  /// empty: bits outside 2..8, group < 0, group not dividing cols, or a
  /// group smaller than the table.
  std::string validate(int64_t cols) const;
};

/// Codes plus one table per (row, group).
struct CodebookMatrix {
  CodebookSpec spec;
  IntMatrix codes; // [rows, cols], in [0, K)
  Matrix tables;   // [rows * numGroups, K]: row r, group g is row r*G + g;
                   // entries sorted ascending
  Matrix dequantize() const;
};

/// 1-D weighted k-means of `values` with `weights` (>= 0) into k
/// centroids (sorted ascending). Returns the centroids; `assign` receives
/// the index of each value's nearest centroid. When the values with
/// positive weight take at most k distinct values the result is exact.
std::vector<float> weightedKMeans1D(const float *values, const float *weights,
                                    int64_t count, int64_t k,
                                    int maxIterations,
                                    std::vector<int32_t> &assign);

/// Quantizes every group of `w`. `sensitivity` (length cols, >= 0) weights
/// the elements of column j; null means uniform. `keep` (optional) marks
/// the positions that count: pruned positions get weight 0 and code 0.
CodebookMatrix quantizeCodebook(const Matrix &w, const CodebookSpec &spec,
                                const Vector *sensitivity = nullptr,
                                const Mask *keep = nullptr);

/// sum_j s_j (w_j - deq_j)^2 over the matrix (s_j of the column; 1 when
/// `sensitivity` is null).
double weightedSquaredError(const Matrix &w, const Matrix &deq,
                            const Vector *sensitivity = nullptr);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_CODEBOOK_H
