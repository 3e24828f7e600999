//===- Prune.cpp - Weight pruning: masks, Wanda, SparseGPT, DSnoT ---------===//
//
// Mask selection under the sparsity patterns of Prune.h, the Wanda and
// magnitude scores, SparseGPT's one-shot pruning with OBS updates and DSnoT's
// training-free mask refinement. W is [rows = outputs, cols = inputs]; every
// comparison group lies inside one row (unstructured, N:M) or one block-row
// (block patterns).
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/Prune.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>
#include <vector>

using namespace qsl::compress;

namespace {

/// Number of elements removed from a group of `count` elements.
int64_t removedCount(double sparsity, int64_t count) {
  return std::llround(sparsity * double(count));
}

/// Number removed from elements [begin, end) of a group when the removal is
/// spread over consecutive slices of it (SparseGPT's column blocks): the
/// cumulative count up to `end` is round(sparsity * end), so the slices add
/// up to exactly removedCount(sparsity, groupSize) and none removes more
/// than its width.
int64_t removedInSlice(double sparsity, int64_t begin, int64_t end) {
  return removedCount(sparsity, end) - removedCount(sparsity, begin);
}

/// A total order for ranking: higher score first, and among equal scores the
/// lower index first (so ties keep the lower column). NaN ranks lowest.
struct Ranked {
  double score;
  int64_t index;
};

bool rankedBefore(const Ranked &a, const Ranked &b) {
  if (a.score != b.score)
    return a.score > b.score;
  return a.index < b.index;
}

double rankKey(double s) {
  return std::isnan(s) ? -std::numeric_limits<double>::infinity() : s;
}

/// Calls set(i, true) for the `keepCount` of the `n` elements with the
/// highest score(i) and set(i, false) for the others. `scratch` is reused
/// between calls.
template <typename ScoreFn, typename SetFn>
void selectHighest(int64_t n, int64_t keepCount, ScoreFn score, SetFn set,
                   std::vector<Ranked> &scratch) {
  assert(keepCount >= 0 && keepCount <= n);
  scratch.resize(n);
  for (int64_t i = 0; i < n; ++i)
    scratch[i] = {rankKey(double(score(i))), i};
  if (keepCount > 0 && keepCount < n)
    std::nth_element(scratch.begin(), scratch.begin() + keepCount,
                     scratch.end(), rankedBefore);
  for (int64_t k = 0; k < n; ++k)
    set(scratch[k].index, k < keepCount);
}

std::string formatDouble(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

std::string checkSparsity(double sparsity) {
  if (!(sparsity >= 0.0 && sparsity < 1.0))
    return "sparsity must be in [0, 1), got " + formatDouble(sparsity);
  return "";
}

} // namespace

//===----------------------------------------------------------------------===//
// SparsityPattern
//===----------------------------------------------------------------------===//

SparsityPattern SparsityPattern::unstructured(double sparsity) {
  SparsityPattern p;
  p.kind = Kind::Unstructured;
  p.sparsity = sparsity;
  return p;
}

SparsityPattern SparsityPattern::nm(int64_t n, int64_t m) {
  SparsityPattern p;
  p.kind = Kind::NM;
  p.n = n;
  p.m = m;
  return p;
}

SparsityPattern SparsityPattern::block(int64_t r, int64_t c, double sparsity) {
  SparsityPattern p;
  p.kind = Kind::Block;
  p.blockRows = r;
  p.blockCols = c;
  p.sparsity = sparsity;
  return p;
}

std::string SparsityPattern::validate(int64_t rows, int64_t cols) const {
  if (rows < 0 || cols < 0)
    return "matrix dimensions must be non-negative, got " +
           std::to_string(rows) + "x" + std::to_string(cols);
  switch (kind) {
  case Kind::Unstructured:
    return checkSparsity(sparsity);
  case Kind::NM:
    if (n < 1 || m < 1 || n > m)
      return "N:M pattern needs 1 <= N <= M, got " + std::to_string(n) + ":" +
             std::to_string(m);
    if (cols % m != 0)
      return "N:M pattern " + std::to_string(n) + ":" + std::to_string(m) +
             " needs the column count (" + std::to_string(cols) +
             ") to be a multiple of M";
    return "";
  case Kind::Block:
    if (blockRows < 1 || blockCols < 1)
      return "block pattern needs positive block dimensions, got " +
             std::to_string(blockRows) + "x" + std::to_string(blockCols);
    if (rows % blockRows != 0)
      return "block " + std::to_string(blockRows) + "x" +
             std::to_string(blockCols) + " pattern needs the row count (" +
             std::to_string(rows) + ") to be a multiple of " +
             std::to_string(blockRows);
    if (cols % blockCols != 0)
      return "block " + std::to_string(blockRows) + "x" +
             std::to_string(blockCols) + " pattern needs the column count (" +
             std::to_string(cols) + ") to be a multiple of " +
             std::to_string(blockCols);
    return checkSparsity(sparsity);
  }
  return "unknown sparsity pattern kind";
}

double SparsityPattern::density() const {
  if (kind == Kind::NM)
    return double(n) / double(m);
  return 1.0 - sparsity;
}

//===----------------------------------------------------------------------===//
// Scores and masks
//===----------------------------------------------------------------------===//

Mask qsl::compress::selectMask(const Matrix &scores,
                               const SparsityPattern &pattern) {
  const int64_t rows = scores.rows(), cols = scores.cols();
  assert(pattern.validate(rows, cols).empty() && "invalid sparsity pattern");
  Mask mask = Mask::Constant(rows, cols, true);
  std::vector<Ranked> scratch;
  switch (pattern.kind) {
  case SparsityPattern::Kind::Unstructured: {
    int64_t keep = cols - removedCount(pattern.sparsity, cols);
    for (int64_t r = 0; r < rows; ++r)
      selectHighest(
          cols, keep, [&](int64_t c) { return scores(r, c); },
          [&](int64_t c, bool k) { mask(r, c) = k; }, scratch);
    break;
  }
  case SparsityPattern::Kind::NM: {
    const int64_t m = pattern.m;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c0 = 0; c0 < cols; c0 += m)
        selectHighest(
            m, pattern.n, [&](int64_t i) { return scores(r, c0 + i); },
            [&](int64_t i, bool k) { mask(r, c0 + i) = k; }, scratch);
    break;
  }
  case SparsityPattern::Kind::Block: {
    const int64_t br = pattern.blockRows, bc = pattern.blockCols;
    const int64_t tiles = cols / bc;
    int64_t keep = tiles - removedCount(pattern.sparsity, tiles);
    std::vector<double> tileScore(tiles);
    for (int64_t r0 = 0; r0 < rows; r0 += br) {
      // A tile's score is the sum of its element scores.
      for (int64_t t = 0; t < tiles; ++t)
        tileScore[t] = scores.block(r0, t * bc, br, bc).cast<double>().sum();
      selectHighest(
          tiles, keep, [&](int64_t t) { return tileScore[t]; },
          [&](int64_t t, bool k) {
            mask.block(r0, t * bc, br, bc).setConstant(k);
          },
          scratch);
    }
    break;
  }
  }
  return mask;
}

Matrix qsl::compress::magnitudeScores(const Matrix &w) { return w.cwiseAbs(); }

Matrix qsl::compress::wandaScores(const Matrix &w, const VectorD &inputNorms) {
  assert(inputNorms.size() == w.cols() && "one input norm per column");
  // |W_ij| * ||X_j||: column j scaled by the norm of input feature j.
  Vector norms = inputNorms.cast<float>();
  return w.cwiseAbs() * norms.asDiagonal();
}

Matrix qsl::compress::applyMask(const Matrix &w, const Mask &mask) {
  assert(w.rows() == mask.rows() && w.cols() == mask.cols());
  // select() writes +0 (never -0) at pruned positions.
  return mask.select(w, Matrix::Zero(w.rows(), w.cols()));
}

bool qsl::compress::satisfiesPattern(const Mask &mask,
                                     const SparsityPattern &pattern) {
  const int64_t rows = mask.rows(), cols = mask.cols();
  if (!pattern.validate(rows, cols).empty())
    return false;
  switch (pattern.kind) {
  case SparsityPattern::Kind::Unstructured: {
    int64_t keep = cols - removedCount(pattern.sparsity, cols);
    for (int64_t r = 0; r < rows; ++r)
      if (mask.row(r).count() != keep)
        return false;
    return true;
  }
  case SparsityPattern::Kind::NM:
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c0 = 0; c0 < cols; c0 += pattern.m)
        if (mask.row(r).segment(c0, pattern.m).count() != pattern.n)
          return false;
    return true;
  case SparsityPattern::Kind::Block: {
    const int64_t br = pattern.blockRows, bc = pattern.blockCols;
    const int64_t tiles = cols / bc;
    int64_t keep = tiles - removedCount(pattern.sparsity, tiles);
    for (int64_t r0 = 0; r0 < rows; r0 += br) {
      int64_t kept = 0;
      for (int64_t t = 0; t < tiles; ++t) {
        int64_t n = mask.block(r0, t * bc, br, bc).count();
        if (n != 0 && n != br * bc)
          return false; // a tile must be all kept or all pruned
        kept += n != 0;
      }
      if (kept != keep)
        return false;
    }
    return true;
  }
  }
  return false;
}

//===----------------------------------------------------------------------===//
// SparseGPT
//===----------------------------------------------------------------------===//

namespace {

using RowMajorD =
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// The inverse of a lower triangular L, one panel of columns at a time: the
/// columns [k, k + b) of L^-1 are zero above row k and solve
/// L[k:, k:] X = I[k:, k:k+b], so only the trailing triangle takes part
/// (n^3/3 flops instead of a full solve against I).
MatrixD lowerTriangularInverse(const MatrixD &l) {
  const int64_t n = l.rows(), panel = 256;
  MatrixD inv = MatrixD::Zero(n, n);
  for (int64_t k = 0; k < n; k += panel) {
    const int64_t b = std::min(panel, n - k);
    auto x = inv.block(k, k, n - k, b);
    x.topRows(b).setIdentity();
    l.bottomRightCorner(n - k, n - k)
        .triangularView<Eigen::Lower>()
        .solveInPlace(x);
  }
  return inv;
}

/// The upper Cholesky factor U of (H + lambda I)^-1, i.e. U^T U = H^-1 with
/// U upper and a positive diagonal: the matrix of the SparseGPT/GPTQ
/// reference (chol(H), H^-1, upper Cholesky factor of H^-1), computed
/// without forming H^-1. With P the order-reversing permutation and
/// P H P = L L^T, H = V V^T for the upper triangular V = P L P, so
/// H^-1 = U^T U with U = V^-1 = P L^-1 P, and U is that (unique) factor.
/// Row j of U holds the OBS update of the columns after j once the columns
/// before j are fixed, and U_jj^2 = [H_F^-1]_jj for F = {j, j+1, ...}.
/// When the damped H is not numerically positive definite, the damping is
/// raised tenfold and the factorization tried again.
RowMajorD upperCholeskyOfInverse(MatrixD h, double lambda) {
  const int64_t n = h.rows();
  if (!(lambda > 0.0) || !std::isfinite(lambda))
    lambda = 1e-8;
  double added = 0.0;
  for (int attempt = 0; attempt < 12; ++attempt, lambda *= 10.0) {
    h.diagonal().array() += lambda - added;
    added = lambda;
    Eigen::LLT<MatrixD> llt(h.reverse());
    if (llt.info() != Eigen::Success)
      continue;
    MatrixD linv = lowerTriangularInverse(llt.matrixL());
    if (!linv.allFinite())
      continue;
    return linv.reverse();
  }
  // Not even a heavily damped H factors (NaN/Inf statistics): no
  // compensation, and the scores reduce to magnitudes.
  return RowMajorD::Identity(n, n);
}

} // namespace

PruneResult qsl::compress::pruneSparseGPT(const Matrix &w,
                                          const MatrixD &hessian,
                                          const SparsityPattern &pattern,
                                          const SparseGPTOptions &options) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(hessian.rows() == cols && hessian.cols() == cols &&
         "the Hessian is [cols, cols]");
  assert(pattern.validate(rows, cols).empty() && "invalid sparsity pattern");
  using Kind = SparsityPattern::Kind;

  // Working copy in double. Row-major: inside a column block every row is
  // processed on its own (its masks and OBS updates involve no other row).
  RowMajorD wd = w.cast<double>();
  MatrixD h = hessian;
  // Dead inputs (never nonzero in calibration) carry no information: fix
  // their diagonal so H stays invertible, and zero their weights, which do
  // not reach the output.
  for (int64_t j = 0; j < cols; ++j)
    if (h(j, j) == 0.0) {
      h(j, j) = 1.0;
      wd.col(j).setZero();
    }
  const double lambda = cols ? options.damp * h.diagonal().mean() : 0.0;
  const RowMajorD u = upperCholeskyOfInverse(std::move(h), lambda);
  // OBS saliency of pruning W_rj alone: w^2 / [H^-1]_jj^2, with U_jj^2 as
  // the inverse Hessian diagonal of the columns not yet fixed (the
  // reference's choice).
  const VectorD invD2 = u.diagonal().cwiseAbs2().cwiseInverse();

  // Column blocks hold whole N:M runs and whole tiles.
  int64_t step = 1;
  if (pattern.kind == Kind::NM)
    step = pattern.m;
  else if (pattern.kind == Kind::Block)
    step = pattern.blockCols;
  int64_t blockSize = std::max<int64_t>(options.blockSize, 1);
  blockSize = (blockSize + step - 1) / step * step;

  Mask mask = Mask::Constant(rows, cols, true);
  std::vector<Ranked> scratch;
  std::vector<double> tileScore;
  RowMajorD err(rows, std::min(blockSize, cols));

  for (int64_t i1 = 0; i1 < cols; i1 += blockSize) {
    const int64_t i2 = std::min(i1 + blockSize, cols), count = i2 - i1;
    auto score = [&](int64_t r, int64_t j) {
      return wd(r, j) * wd(r, j) * invD2(j);
    };

    // Unstructured and block masks are chosen for the whole block first.
    if (pattern.kind == Kind::Unstructured) {
      // Per row, this block's share of the row's removals.
      int64_t keep = count - removedInSlice(pattern.sparsity, i1, i2);
      for (int64_t r = 0; r < rows; ++r)
        selectHighest(
            count, keep, [&](int64_t c) { return score(r, i1 + c); },
            [&](int64_t c, bool k) { mask(r, i1 + c) = k; }, scratch);
    } else if (pattern.kind == Kind::Block) {
      // The block's tiles, ranked per block-row by their summed scores; the
      // removals are spread over the column blocks as above.
      const int64_t br = pattern.blockRows, bc = pattern.blockCols;
      const int64_t t1 = i1 / bc, tiles = count / bc;
      int64_t keep = tiles - removedInSlice(pattern.sparsity, t1, t1 + tiles);
      tileScore.resize(tiles);
      for (int64_t r0 = 0; r0 < rows; r0 += br) {
        for (int64_t t = 0; t < tiles; ++t) {
          double s = 0.0;
          for (int64_t r = r0; r < r0 + br; ++r)
            for (int64_t j = i1 + t * bc; j < i1 + (t + 1) * bc; ++j)
              s += score(r, j);
          tileScore[t] = s;
        }
        selectHighest(
            tiles, keep, [&](int64_t t) { return tileScore[t]; },
            [&](int64_t t, bool k) {
              mask.block(r0, i1 + t * bc, br, bc).setConstant(k);
            },
            scratch);
      }
    }

    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t i = 0; i < count; ++i) {
        const int64_t j = i1 + i;
        if (pattern.kind == Kind::NM && j % pattern.m == 0) {
          // A run starts: keep its N best on the weights as updated by the
          // columns fixed so far.
          selectHighest(
              pattern.m, pattern.n, [&](int64_t k) { return score(r, j + k); },
              [&](int64_t k, bool keep) { mask(r, j + k) = keep; }, scratch);
        }
        // Fix column j: q = w if kept, else 0. The error (w - q) / U_jj is
        // spread over the block's later columns with row j of U (the OBS
        // update); the columns after the block get theirs in one product.
        if (mask(r, j)) {
          err(r, i) = 0.0;
          continue;
        }
        const double e = wd(r, j) / u(j, j);
        err(r, i) = e;
        wd(r, j) = 0.0;
        const int64_t rest = count - i - 1;
        if (rest > 0)
          wd.row(r).segment(j + 1, rest) -= e * u.row(j).segment(j + 1, rest);
      }
    }
    // The lazy batch update of everything right of the block.
    if (i2 < cols)
      wd.rightCols(cols - i2).noalias() -=
          err.leftCols(count) * u.block(i1, i2, count, cols - i2);
  }

  PruneResult result;
  result.weights = mask.select(wd.cast<float>(), Matrix::Zero(rows, cols));
  result.mask = std::move(mask);
  return result;
}

//===----------------------------------------------------------------------===//
// DSnoT
//===----------------------------------------------------------------------===//

Mask qsl::compress::refineDSnoT(const Matrix &w, const Mask &mask,
                                const VectorD &inputMean,
                                const VectorD &inputNorms,
                                const SparsityPattern &pattern,
                                const DSnoTOptions &options) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(mask.rows() == rows && mask.cols() == cols);
  assert(inputMean.size() == cols && inputNorms.size() == cols);
  if (pattern.kind == SparsityPattern::Kind::Block ||
      !pattern.validate(rows, cols).empty())
    return mask;
  const bool isNM = pattern.kind == SparsityPattern::Kind::NM;
  const int64_t m = isNM ? pattern.m : cols;

  Mask out = mask;
  std::vector<double> contrib(cols); // c_j = W_rj * mean_j
  std::vector<char> moved(cols);     // swapped (or tried) once already
  std::vector<std::pair<double, int64_t>> growOrder; // pruned, by c_j
  // Kept weights by increasing Wanda score, split by the sign of c_j:
  // pruning j adds c_j to the error e1 left after growing, so for e1 > 0
  // the candidates are c_j <= 0 and for e1 < 0 those with c_j >= 0.
  std::vector<std::pair<double, int64_t>> pruneNeg, prunePos;

  for (int64_t r = 0; r < rows; ++r) {
    // e = sum_j (W_rj - What_rj) mean_j: the expected output error of the
    // row, the sum of c_j over its pruned weights.
    double e = 0.0;
    growOrder.clear();
    pruneNeg.clear();
    prunePos.clear();
    for (int64_t j = 0; j < cols; ++j) {
      contrib[j] = double(w(r, j)) * inputMean(j);
      moved[j] = 0;
      if (!out(r, j)) {
        e += contrib[j];
        growOrder.push_back({contrib[j], j});
      } else if (!isNM) {
        double wanda = std::abs(double(w(r, j))) * inputNorms(j);
        if (contrib[j] <= 0.0)
          pruneNeg.push_back({wanda, j});
        if (contrib[j] >= 0.0)
          prunePos.push_back({wanda, j});
      }
    }
    const double stop = options.updateThreshold * std::abs(e);
    // With the Gram matrix, hd = H d for the row's error d = W_r - What_r,
    // so that the change of the calibrated error d^T H d by a swap is O(1).
    VectorD hd;
    if (options.gram) {
      VectorD d = VectorD::Zero(cols);
      for (int64_t j = 0; j < cols; ++j)
        if (!out(r, j))
          d(j) = double(w(r, j));
      hd = (*options.gram) * d;
    }
    std::sort(growOrder.begin(), growOrder.end());
    std::sort(pruneNeg.begin(), pruneNeg.end());
    std::sort(prunePos.begin(), prunePos.end());
    size_t negNext = 0, posNext = 0;

    for (int cycle = 0; cycle < options.maxCycles; ++cycle) {
      if (e == 0.0 || std::abs(e) <= stop)
        break;
      // Grow: the untried pruned weight whose c_g has the sign of e and
      // cancels it best (c_g nearest to e), found around e in the order.
      auto it = std::lower_bound(growOrder.begin(), growOrder.end(),
                                 std::make_pair(e, int64_t(-1)));
      int64_t g = -1;
      double best = std::numeric_limits<double>::infinity();
      // Each side is scanned outwards until a usable entry or the sign
      // changes (entries of the wrong sign lie beyond it).
      for (auto a = it; a != growOrder.end() && a->first * e > 0.0; ++a)
        if (!moved[a->second]) { // c >= e side
          best = std::abs(a->first - e);
          g = a->second;
          break;
        }
      for (auto a = it; a != growOrder.begin();) { // c < e side
        --a;
        if (a->first * e <= 0.0)
          break;
        if (!moved[a->second]) {
          if (std::abs(a->first - e) < best)
            g = a->second;
          break;
        }
      }
      if (g < 0)
        break; // nothing left to grow on this side
      moved[g] = 1;
      const double e1 = e - contrib[g];

      // Prune: the kept weight with the smallest Wanda score among those
      // whose c_p moves e1 towards zero (or leaves it); inside g's run for
      // N:M.
      int64_t p = -1;
      if (isNM) {
        const int64_t c0 = g / m * m;
        double bestScore = std::numeric_limits<double>::infinity();
        for (int64_t j = c0; j < c0 + m; ++j) {
          if (!out(r, j) || moved[j] || contrib[j] * e1 > 0.0)
            continue;
          double wanda = std::abs(double(w(r, j))) * inputNorms(j);
          if (p < 0 || wanda < bestScore) {
            bestScore = wanda;
            p = j;
          }
        }
      } else {
        auto &list = e1 > 0.0 ? pruneNeg : prunePos;
        size_t &next = e1 > 0.0 ? negNext : posNext;
        while (next < list.size() && moved[list[next].second])
          ++next;
        if (next < list.size())
          p = list[next].second;
      }
      if (p < 0)
        continue;
      // Accept only a swap that makes |e| strictly smaller.
      const double e2 = e1 + contrib[p];
      if (!(std::abs(e2) < std::abs(e)))
        continue;
      if (options.gram) {
        // Growing g removes w_g from d, pruning p adds w_p:
        // delta = -2 w_g (Hd)_g + w_g^2 H_gg + 2 w_p (Hd)_p + w_p^2 H_pp
        //         - 2 w_g w_p H_gp.
        const MatrixD &h = *options.gram;
        const double wg = w(r, g), wp = w(r, p);
        double delta = -2 * wg * hd(g) + wg * wg * h(g, g) + 2 * wp * hd(p) +
                       wp * wp * h(p, p) - 2 * wg * wp * h(g, p);
        if (!(delta < 0.0))
          continue;
        hd += wp * h.col(p) - wg * h.col(g);
      }
      moved[p] = 1;
      out(r, g) = true;
      out(r, p) = false;
      e = e2;
    }
  }
  return out;
}
