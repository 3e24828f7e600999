//===- Quantize.cpp - Uniform weight quantization (RTN, MSE, GPTQ) --------===//
//
// The numerics of Quantize.h: per-group scales and zero points (min/max or
// an MSE clip-ratio search), round-to-nearest quantization and GPTQ
// (Frantar et al., 2022) with lazy batch updates, act-order and static
// groups. W is [rows = outputs, cols = inputs]; groups run along a row and
// GPTQ walks the columns.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/Quantize.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

using namespace qsl::compress;

//===----------------------------------------------------------------------===//
// QuantSpec
//===----------------------------------------------------------------------===//

int64_t QuantSpec::numGroups(int64_t cols) const {
  if (group <= 0)
    return 1;
  return (std::max<int64_t>(cols, 0) + group - 1) / group;
}

int64_t QuantSpec::groupBegin(int64_t g) const {
  return group <= 0 ? 0 : g * group;
}

int64_t QuantSpec::groupEnd(int64_t g, int64_t cols) const {
  return group <= 0 ? cols : std::min((g + 1) * group, cols);
}

std::string QuantSpec::validate(int64_t cols) const {
  if (bits < 2 || bits > 8)
    return "quantization bits must be in 2..8, got " + std::to_string(bits);
  if (group < 0)
    return "quantization group size must be >= 0 (0: one group per row), "
           "got " +
           std::to_string(group);
  if (cols < 0)
    return "negative number of columns: " + std::to_string(cols);
  return {};
}

//===----------------------------------------------------------------------===//
// Scalar quantization
//===----------------------------------------------------------------------===//

namespace {

/// The codes of a spec: [-2^(b-1), 2^(b-1)-1] or [0, 2^b-1].
struct CodeRange {
  int32_t lo, hi;
};

CodeRange codeRange(const QuantSpec &spec) {
  if (spec.symmetric)
    return {-(int32_t(1) << (spec.bits - 1)),
            (int32_t(1) << (spec.bits - 1)) - 1};
  return {0, (int32_t(1) << spec.bits) - 1};
}

/// clamp(round(w / s) + z, lo, hi), ties to even (the reference rounds
/// w / s and then adds z, so a tie of w / s goes to the even integer
/// whatever the parity of z). `zero` is 0 for symmetric specs. NaN
/// encodes as the zero point; the clamp happens in float so that the
/// conversion to int is defined for every input.
inline int32_t quantizeScalar(float w, float scale, int32_t zero,
                              CodeRange range) {
  float r = std::nearbyint(w / scale);
  if (r != r)
    r = 0;
  r = std::min(std::max(r, float(range.lo - zero)), float(range.hi - zero));
  return int32_t(r) + zero;
}

inline float dequantizeScalar(int32_t q, float scale, int32_t zero) {
  return scale * float(q - zero);
}

/// A scale that is 0 (zero range, underflow), NaN or infinite becomes 1.
inline float sanitizeScale(double s) {
  float f = float(s);
  return (f > 0 && std::isfinite(f)) ? f : 1.0f;
}

/// The extremes a group's parameters derive from: max|w| (symmetric) or
/// min/max widened to contain 0 (asymmetric).
struct GroupExtremes {
  double lo = 0, hi = 0;
};

GroupExtremes groupExtremes(const float *v, int64_t n, const QuantSpec &spec) {
  GroupExtremes e;
  if (spec.symmetric) {
    float m = 0;
    for (int64_t i = 0; i < n; ++i)
      m = std::max(m, std::fabs(v[i])); // NaN is skipped
    e.hi = m;
  } else {
    float lo = 0, hi = 0;
    for (int64_t i = 0; i < n; ++i) {
      lo = std::min(lo, v[i]);
      hi = std::max(hi, v[i]);
    }
    e.lo = lo;
    e.hi = hi;
  }
  return e;
}

/// Scale and zero point of the range `e` shrunk by the clip ratio p.
void paramsForRatio(const GroupExtremes &e, double p, const QuantSpec &spec,
                    CodeRange range, float &scale, int32_t &zero) {
  if (spec.symmetric) {
    scale = sanitizeScale(p * e.hi / double(range.hi));
    zero = 0;
    return;
  }
  double lo = p * e.lo, hi = p * e.hi;
  scale = sanitizeScale((hi - lo) / double(range.hi));
  // lo <= 0 <= hi, so -lo / s lies in [0, 2^b - 1] up to rounding.
  double z = std::nearbyint(-lo / double(scale));
  zero = int32_t(std::min(std::max(z, 0.0), double(range.hi)));
}

/// sum_i |v_i - deq(q(v_i))|^norm, giving up (returning a value >= bound)
/// as soon as the partial sum reaches `bound`: the terms are nonnegative.
double groupError(const float *v, int64_t n, float scale, int32_t zero,
                  CodeRange range, double norm, double bound) {
  const bool square = norm == 2.0;
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    float deq =
        dequantizeScalar(quantizeScalar(v[i], scale, zero, range), scale, zero);
    double err = std::fabs(double(v[i]) - double(deq));
    sum += square ? err * err : std::pow(err, norm);
    if (sum >= bound)
      return sum;
  }
  return sum;
}

} // namespace

void qsl::compress::chooseGroupRange(const float *values, int64_t count,
                                     const QuantSpec &spec,
                                     const RangeOptions &range, float &scale,
                                     int32_t &zero) {
  assert(spec.validate(count).empty() && "invalid quantization spec");
  assert((count == 0 || values) && "group without values");
  const CodeRange codes = codeRange(spec);
  const GroupExtremes e =
      groupExtremes(values, std::max<int64_t>(count, 0), spec);
  paramsForRatio(e, 1.0, spec, codes, scale, zero);
  if (range.search != RangeSearch::MSE || count <= 0 || range.gridPoints <= 0 ||
      (e.lo == 0 && e.hi == 0))
    return;
  // Clip ratios 1, 1 - 1/grid, ..., 1 - maxShrink (GPTQ's grid); the first
  // strictly smaller error wins, so ties keep the larger ratio.
  const int64_t steps = int64_t(
      std::floor(std::max(range.maxShrink, 0.0) * range.gridPoints + 1e-9));
  double best = groupError(values, count, scale, zero, codes, range.norm,
                           std::numeric_limits<double>::infinity());
  for (int64_t i = 1; i <= steps; ++i) {
    double p = 1.0 - double(i) / range.gridPoints;
    if (p <= 0)
      break;
    float s;
    int32_t z;
    paramsForRatio(e, p, spec, codes, s, z);
    double err = groupError(values, count, s, z, codes, range.norm, best);
    if (err < best) {
      best = err;
      scale = s;
      zero = z;
    }
  }
}

int32_t qsl::compress::quantizeValue(float w, float scale, int32_t zero,
                                     const QuantSpec &spec) {
  return quantizeScalar(w, scale, spec.symmetric ? 0 : zero, codeRange(spec));
}

float qsl::compress::dequantizeValue(int32_t q, float scale, int32_t zero,
                                     const QuantSpec &spec) {
  return dequantizeScalar(q, scale, spec.symmetric ? 0 : zero);
}

Matrix QuantizedMatrix::dequantize() const {
  const int64_t rows = codes.rows(), cols = codes.cols();
  Matrix out(rows, cols);
  const int64_t groups = spec.numGroups(cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float s = scales(r, g);
      const int32_t z = spec.symmetric ? 0 : zeros(r, g);
      for (int64_t c = spec.groupBegin(g), e = spec.groupEnd(g, cols); c < e;
           ++c)
        out(r, c) = dequantizeScalar(codes(r, c), s, z);
    }
  return out;
}

//===----------------------------------------------------------------------===//
// Round to nearest
//===----------------------------------------------------------------------===//

namespace {

/// An empty result of the right spec, with room for rows x cols codes.
QuantizedMatrix allocate(const QuantSpec &spec, int64_t rows, int64_t cols) {
  QuantizedMatrix out;
  out.spec = spec;
  const int64_t groups = spec.numGroups(cols);
  out.codes.resize(rows, cols);
  out.scales.resize(rows, groups);
  if (!spec.symmetric)
    out.zeros.resize(rows, groups);
  return out;
}

/// Parameters of every group of every row of the row-major `w`:
/// scales(r, g), zeros(r, g).
template <typename ScaleMat, typename ZeroMat>
void allGroupParams(const Matrix &w, const QuantSpec &spec,
                    const RangeOptions &range, ScaleMat &&scales,
                    ZeroMat &&zeros) {
  const int64_t cols = w.cols(), groups = spec.numGroups(cols);
  for (int64_t r = 0; r < w.rows(); ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const int64_t b = spec.groupBegin(g), e = spec.groupEnd(g, cols);
      float s;
      int32_t z;
      chooseGroupRange(w.data() + r * cols + b, e - b, spec, range, s, z);
      scales(r, g) = s;
      zeros(r, g) = z;
    }
}

} // namespace

QuantizedMatrix qsl::compress::quantizeRTN(const Matrix &w,
                                           const QuantSpec &spec,
                                           const RangeOptions &range) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(spec.validate(cols).empty() && "invalid quantization spec");
  if (!spec.validate(cols).empty())
    return QuantizedMatrix{spec, {}, {}, {}};
  QuantizedMatrix out = allocate(spec, rows, cols);
  const int64_t groups = spec.numGroups(cols);
  IntMatrix zeros(rows, groups);
  allGroupParams(w, spec, range, out.scales, zeros);
  const CodeRange codes = codeRange(spec);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < groups; ++g) {
      const float s = out.scales(r, g);
      const int32_t z = zeros(r, g);
      for (int64_t c = spec.groupBegin(g), e = spec.groupEnd(g, cols); c < e;
           ++c)
        out.codes(r, c) = quantizeScalar(w(r, c), s, z, codes);
    }
  if (!spec.symmetric)
    out.zeros = std::move(zeros);
  return out;
}

//===----------------------------------------------------------------------===//
// GPTQ
//===----------------------------------------------------------------------===//
//
// The reference walks the columns with U, the upper Cholesky factor of
// H^{-1} = U^T U: once column k is quantized to q_k,
//
//   err_k = (w_k - q_k) / U_kk,   w_l -= err_k U_kl  for all l > k.
//
// Unrolled, w0_k - q_k = sum_{j<=k} err_j U_jk for the weights W0 before any
// update, i.e. W0 - Q = Err U, so Err = (W0 - Q) V with V = U^{-1}, the upper
// triangular matrix with H = V V^T. Substituted back (U_kk = 1 / V_kk), the
// value column k is quantized from is
//
//   w_k = w0_k + sum_{j<k} (w0_j - q_j) V_jk / V_kk,
//
// the same algorithm in exact arithmetic but with one Cholesky factorization
// of H instead of the reference's factorization, inversion and second
// factorization (GPTQ is Babai's nearest-plane walk in the basis
// H = V' D V'^T, V' = V diag(V)^{-1} unit upper triangular). The lazy batch
// form is unchanged: within a block of columns rank-1 updates, after it one
// matrix product W[:, end:] += (W0 - Q)[:, block] V'[block, end:]. Only the
// intermediate values of the not-yet-quantized columns differ from the
// reference's; where they matter (the parameters of a group chosen when its
// first column comes up) currentWeights() recovers them.
//
//===----------------------------------------------------------------------===//

namespace {

/// The working precision of the weight updates (the reference works in
/// float32); the Hessian and its factorization are in double.
using Real = float;
using WorkMatrix = Eigen::Matrix<Real, Eigen::Dynamic, Eigen::Dynamic>;

/// out[:, c] = w[:, perm[c]], column-major out from row-major w, by tiles so
/// that neither side is walked with a stride of a whole matrix row per
/// element.
void gatherColumns(const Matrix &w, const std::vector<int64_t> &perm,
                   WorkMatrix &out) {
  const int64_t rows = w.rows(), cols = w.cols(), tile = 64;
  out.resize(rows, cols);
  for (int64_t r0 = 0; r0 < rows; r0 += tile)
    for (int64_t c0 = 0; c0 < cols; c0 += tile) {
      const int64_t r1 = std::min(r0 + tile, rows);
      const int64_t c1 = std::min(c0 + tile, cols);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r)
          out(r, c) = Real(w(r, perm[c]));
    }
}

/// The strictly upper triangle of V' = V diag(V)^{-1} for the upper
/// triangular V with H = V V^T, from `reversed` = J H J (J the reversal
/// permutation; only its lower triangle is read, and it is overwritten):
/// chol(J H J) = L L^T gives H = (J L J)(J L J)^T, so V = J L J. False when
/// H is not numerically positive definite.
bool unitUpperFactor(Eigen::MatrixXd &reversed, WorkMatrix &vp) {
  const int64_t n = reversed.rows();
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(reversed); // in place
  if (llt.info() != Eigen::Success)
    return false;
  const Eigen::MatrixXd &l = reversed; // L in the lower triangle
  vp.setZero(n, n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t lk = n - 1 - k; // V(j, k) = L(n-1-j, n-1-k)
    const double d = l(lk, lk);
    for (int64_t j = 0; j < k; ++j)
      vp(j, k) = Real(l(n - 1 - j, lk) / d);
  }
  return vp.allFinite();
}

/// The reference's working weights of columns [k, k+n) just before column
/// k is quantized (a dynamic group's parameters are chosen from them), when
/// every column before k has been quantized and `work` has received all
/// their updates. Column l of `work` holds w0_l + s_l with
/// s_l = sum_{j<k} d_j V'_jl, the reference's w0_l - sum_{j<k} err_j U_jl:
/// both are the OBS compensation of the same errors d_F = (w0 - q)_F, i.e.
/// d_F V_FR V_RR^{-1} over the remaining columns R, whose first n columns
/// only involve the leading n x n block of V_RR. With V = V' diag(V), that
/// is s_[k,k+n) V'_[k,k+n)^{-1}, one small unit-triangular solve.
Matrix currentWeights(const WorkMatrix &orig, const WorkMatrix &work,
                      const WorkMatrix &vp, int64_t k, int64_t n) {
  Matrix shift = (work.middleCols(k, n) - orig.middleCols(k, n)).cast<float>();
  vp.block(k, k, n, n)
      .triangularView<Eigen::UnitUpper>()
      .solveInPlace<Eigen::OnTheRight>(shift);
  Matrix current = orig.middleCols(k, n).cast<float>() + shift;
  current.col(0) = work.col(k).cast<float>(); // exactly what is quantized
  return current;
}

} // namespace

QuantizedMatrix qsl::compress::quantizeGPTQ(const Matrix &w,
                                            const MatrixD &hessian,
                                            const QuantSpec &spec,
                                            const GPTQOptions &options) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(spec.validate(cols).empty() && "invalid quantization spec");
  assert(hessian.rows() == cols && hessian.cols() == cols &&
         "the Hessian must be [cols, cols]");
  if (!spec.validate(cols).empty() || hessian.rows() != cols ||
      hessian.cols() != cols)
    return QuantizedMatrix{spec, {}, {}, {}};
  QuantizedMatrix out = allocate(spec, rows, cols);
  const int64_t groups = spec.numGroups(cols);
  if (rows == 0 || cols == 0) {
    out.scales.setOnes();
    if (!spec.symmetric)
      out.zeros.setZero();
    return out;
  }

  // A Hessian with NaN/inf cannot be factored (and would break the sort
  // below): quantize as if H were the identity, i.e. RTN.
  Eigen::MatrixXd h;
  if (hessian.allFinite())
    h = hessian;
  else
    h.setIdentity(cols, cols);
  // Dead inputs: their column of W only ever multiplies zeros.
  Matrix w0 = w;
  for (int64_t j = 0; j < cols; ++j)
    if (h(j, j) == 0) {
      h(j, j) = 1;
      w0.col(j).setZero();
    }

  // Group parameters, column-major so that the parameters of one group are
  // contiguous in the column walk. Per-row and static (act-order) groups
  // come from the original weights up front; otherwise each group's are
  // chosen when its first column comes up.
  const bool staticParams = spec.group == 0 || groups == 1 || options.actOrder;
  Eigen::MatrixXf scales(rows, groups);
  Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic> zeros(rows, groups);
  if (staticParams)
    allGroupParams(w0, spec, options.range, scales, zeros);

  // Act-order: decreasing diag(H), ties in column order.
  std::vector<int64_t> perm(cols);
  std::iota(perm.begin(), perm.end(), 0);
  if (options.actOrder)
    std::stable_sort(perm.begin(), perm.end(),
                     [&](int64_t a, int64_t b) { return h(a, a) > h(b, b); });

  // V' of the permuted, damped H. The dampening is raised tenfold while H
  // is not numerically positive definite.
  WorkMatrix vp;
  {
    const double mean = h.diagonal().mean();
    double lambda = std::max(options.damp, 0.0) * mean;
    Eigen::MatrixXd reversed(cols, cols);
    bool factored = false;
    for (int attempt = 0; attempt < 8 && !factored; ++attempt) {
      // reversed(i, j) = H(p(n-1-i), p(n-1-j)), lower triangle only.
      for (int64_t j = 0; j < cols; ++j) {
        const int64_t pj = perm[cols - 1 - j];
        for (int64_t i = j; i < cols; ++i)
          reversed(i, j) = h(perm[cols - 1 - i], pj);
        reversed(j, j) += lambda;
      }
      factored = unitUpperFactor(reversed, vp);
      lambda = std::max(lambda * 10, 1e-6 * std::fabs(mean));
    }
    if (!factored) // no usable second-order information: RTN
      vp.setZero(cols, cols);
  }
  h.resize(0, 0);

  // The original and the working weights, one contiguous column per input
  // in the order of the walk.
  WorkMatrix orig;
  gatherColumns(w0, perm, orig);
  w0.resize(0, 0);
  WorkMatrix work = orig;

  const CodeRange codes = codeRange(spec);
  const int64_t blockSize = options.blockSize > 0 ? options.blockSize : 128;
  WorkMatrix diff(rows, std::min(blockSize, cols)); // (W0 - Q) of a block
  Eigen::Matrix<int32_t, Eigen::Dynamic, Eigen::Dynamic> blockCodes(
      rows, diff.cols());
  Matrix groupWeights;

  for (int64_t begin = 0; begin < cols;) {
    int64_t end = std::min(begin + blockSize, cols);
    // A dynamic group reads the current weights of all its columns when its
    // first column comes up, but the columns past the block have not yet
    // received this block's updates: a group that starts inside the block
    // must end inside it, or the block ends where the group starts. (This
    // also makes the result independent of the block size.)
    if (!staticParams && end < cols) {
      const int64_t lastStart = (end - 1) / spec.group * spec.group;
      if (lastStart > begin && lastStart + spec.group > end)
        end = lastStart;
    }
    const int64_t count = end - begin;

    for (int64_t j = begin; j < end; ++j) {
      if (!staticParams && j % spec.group == 0) {
        const int64_t g = j / spec.group, gEnd = spec.groupEnd(g, cols);
        groupWeights = currentWeights(orig, work, vp, j, gEnd - j);
        allGroupParams(groupWeights, spec, options.range, scales.col(g),
                       zeros.col(g));
      }
      const int64_t g = spec.group > 0 ? perm[j] / spec.group : 0;
      const float *s = scales.col(g).data();
      const int32_t *z = zeros.col(g).data();
      const Real *w0j = orig.col(j).data();
      const Real *wj = work.col(j).data();
      Real *dj = diff.col(j - begin).data();
      int32_t *qj = blockCodes.col(j - begin).data();
      const int64_t col = perm[j];
      for (int64_t r = 0; r < rows; ++r) {
        // A pruned position stores the code of 0 (sparse + quant), and its
        // whole weight is error to compensate.
        const bool pruned = options.keep && !(*options.keep)(r, col);
        const int32_t q = pruned ? (spec.symmetric ? 0 : z[r])
                                 : quantizeScalar(float(wj[r]), s[r], z[r], codes);
        qj[r] = q;
        dj[r] = w0j[r] - Real(pruned ? 0.0f : dequantizeScalar(q, s[r], z[r]));
      }
      // The rest of the block, rank 1: W[:, j+1:end] += d_j V'[j, j+1:end].
      if (j + 1 < end)
        work.middleCols(j + 1, end - j - 1).noalias() +=
            diff.col(j - begin) * vp.row(j).segment(j + 1, end - j - 1);
    }
    // The lazy batch update of all later columns, one matrix product.
    if (end < cols)
      work.rightCols(cols - end).noalias() +=
          diff.leftCols(count) * vp.block(begin, end, count, cols - end);

    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < count; ++j)
        out.codes(r, perm[begin + j]) = blockCodes(r, j);
    begin = end;
  }

  out.scales = scales;
  if (!spec.symmetric)
    out.zeros = zeros;
  return out;
}
