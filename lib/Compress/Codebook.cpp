//===- Codebook.cpp - SqueezeLLM-style weighted k-means tables ------------===//
#include "qsl/Compress/Codebook.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace qsl {
namespace compress {

int64_t CodebookSpec::numGroups(int64_t cols) const {
  return group == 0 ? 1 : (cols + group - 1) / group;
}

std::string CodebookSpec::validate(int64_t cols) const {
  if (bits < 2 || bits > 8)
    return "codebook bits must be in [2, 8], got " + std::to_string(bits);
  if (group < 0)
    return "group must be >= 0, got " + std::to_string(group);
  if (group > 0 && cols % group != 0)
    return "group " + std::to_string(group) + " does not divide " +
           std::to_string(cols) + " columns";
  if (group > 0 && group < entries())
    return "group " + std::to_string(group) + " is smaller than the table (" +
           std::to_string(entries()) + " entries)";
  if (maxIterations < 0)
    return "maxIterations must be >= 0";
  return {};
}

namespace {

/// Index of the centroid nearest to v (ties: the lower one); `c` sorted.
int32_t nearest(const std::vector<float> &c, float v) {
  auto it = std::lower_bound(c.begin(), c.end(), v);
  if (it == c.begin())
    return 0;
  if (it == c.end())
    return int32_t(c.size() - 1);
  int32_t hi = int32_t(it - c.begin());
  // Among equal centroids take the first.
  int32_t lo = hi - 1;
  while (lo > 0 && c[lo - 1] == c[lo])
    --lo;
  return (v - c[lo] <= c[hi] - v) ? lo : hi;
}

} // namespace

std::vector<float> weightedKMeans1D(const float *values, const float *weights,
                                    int64_t count, int64_t k, int maxIterations,
                                    std::vector<int32_t> &assign) {
  // Distinct values with their total weight, ascending.
  std::vector<std::pair<float, double>> pts;
  pts.reserve(count);
  bool anyWeight = false;
  for (int64_t i = 0; i < count; ++i)
    anyWeight |= weights ? weights[i] > 0 : true;
  for (int64_t i = 0; i < count; ++i) {
    double wt = weights ? weights[i] : 1.0;
    if (!anyWeight)
      wt = 1.0; // nothing is sensitive: plain k-means
    if (wt > 0)
      pts.push_back({values[i], wt});
  }
  std::sort(pts.begin(), pts.end(),
            [](auto &a, auto &b) { return a.first < b.first; });
  std::vector<float> v;
  std::vector<double> wt;
  for (auto &[x, w] : pts) {
    if (!v.empty() && v.back() == x) {
      wt.back() += w;
      continue;
    }
    v.push_back(x);
    wt.push_back(w);
  }
  int64_t d = v.size();
  std::vector<float> c;
  if (d == 0) {
    c.assign(k, 0.0f);
  } else if (d <= k) {
    // Exact: every distinct value is a centroid; the rest repeat the last.
    c = v;
    c.resize(k, v.back());
  } else {
    // Prefix sums for O(1) interval means and errors.
    std::vector<double> pw(d + 1, 0), pwx(d + 1, 0), pwxx(d + 1, 0);
    for (int64_t i = 0; i < d; ++i) {
      pw[i + 1] = pw[i] + wt[i];
      pwx[i + 1] = pwx[i] + wt[i] * v[i];
      pwxx[i + 1] = pwxx[i] + wt[i] * double(v[i]) * v[i];
    }
    double total = pw[d];
    // Weighted-quantile initialisation: cluster j starts at the value
    // where the cumulative weight passes (j + 0.5) / k.
    std::vector<double> cd(k);
    for (int64_t j = 0; j < k; ++j) {
      double target = (j + 0.5) / double(k) * total;
      int64_t i = std::upper_bound(pw.begin() + 1, pw.end(), target) -
                  (pw.begin() + 1);
      cd[j] = v[std::min(i, d - 1)];
    }
    // Intervals [start[j], start[j+1]) of the sorted distinct values.
    std::vector<int64_t> start(k + 1, 0), prev;
    for (int iter = 0; iter <= maxIterations; ++iter) {
      std::sort(cd.begin(), cd.end());
      // Assignment: boundaries at midpoints of neighbouring centroids.
      start[0] = 0;
      for (int64_t j = 1; j < k; ++j) {
        double mid = 0.5 * (cd[j - 1] + cd[j]);
        // Values <= mid go left (ties to the lower centroid).
        start[j] = std::upper_bound(v.begin(), v.end(), mid) - v.begin();
        start[j] = std::max(start[j], start[j - 1]);
      }
      start[k] = d;
      if (start == prev || iter == maxIterations)
        break;
      prev = start;
      // Update: weighted means; an empty cluster moves to the value with
      // the largest weighted error.
      std::vector<int64_t> empty;
      for (int64_t j = 0; j < k; ++j) {
        double w = pw[start[j + 1]] - pw[start[j]];
        if (w > 0)
          cd[j] = (pwx[start[j + 1]] - pwx[start[j]]) / w;
        else
          empty.push_back(j);
      }
      for (int64_t j : empty) {
        double worst = -1;
        int64_t at = 0;
        for (int64_t cl = 0; cl < k; ++cl)
          for (int64_t i = start[cl]; i < start[cl + 1]; ++i) {
            double e = wt[i] * (v[i] - cd[cl]) * (v[i] - cd[cl]);
            bool taken = false;
            for (int64_t t = 0; t < k; ++t)
              taken |= float(cd[t]) == v[i];
            if (!taken && e > worst) {
              worst = e;
              at = i;
            }
          }
        cd[j] = v[at];
      }
    }
    c.resize(k);
    for (int64_t j = 0; j < k; ++j) {
      // Final centroids: the means of the final intervals.
      double w = pw[start[j + 1]] - pw[start[j]];
      c[j] = w > 0 ? float((pwx[start[j + 1]] - pwx[start[j]]) / w)
                   : float(cd[j]);
    }
    std::sort(c.begin(), c.end());
  }
  assign.resize(count);
  for (int64_t i = 0; i < count; ++i)
    assign[i] = nearest(c, values[i]);
  return c;
}

CodebookMatrix quantizeCodebook(const Matrix &w, const CodebookSpec &spec,
                                const Vector *sensitivity, const Mask *keep) {
  CodebookMatrix out;
  out.spec = spec;
  int64_t rows = w.rows(), cols = w.cols();
  int64_t groups = spec.numGroups(cols), k = spec.entries();
  int64_t g = spec.group == 0 ? cols : spec.group;
  out.codes = IntMatrix::Zero(rows, cols);
  out.tables = Matrix::Zero(rows * groups, k);
  std::vector<float> vals, wts;
  std::vector<int32_t> assign;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t gi = 0; gi < groups; ++gi) {
      int64_t c0 = gi * g, c1 = std::min(cols, c0 + g);
      vals.clear();
      wts.clear();
      for (int64_t c = c0; c < c1; ++c) {
        vals.push_back(w(r, c));
        float s = sensitivity ? (*sensitivity)(c) : 1.0f;
        if (keep && !(*keep)(r, c))
          s = 0.0f;
        wts.push_back(std::max(s, 0.0f));
      }
      std::vector<float> table =
          weightedKMeans1D(vals.data(), wts.data(), vals.size(), k,
                           spec.maxIterations, assign);
      for (int64_t j = 0; j < k; ++j)
        out.tables(r * groups + gi, j) = table[j];
      for (int64_t c = c0; c < c1; ++c)
        out.codes(r, c) = (keep && !(*keep)(r, c)) ? 0 : assign[c - c0];
    }
  return out;
}

Matrix CodebookMatrix::dequantize() const {
  int64_t rows = codes.rows(), cols = codes.cols();
  int64_t groups = spec.numGroups(cols);
  int64_t g = spec.group == 0 ? cols : spec.group;
  Matrix out(rows, cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out(r, c) = tables(r * groups + c / g, codes(r, c));
  return out;
}

double weightedSquaredError(const Matrix &w, const Matrix &deq,
                            const Vector *sensitivity) {
  double e = 0;
  for (int64_t r = 0; r < w.rows(); ++r)
    for (int64_t c = 0; c < w.cols(); ++c) {
      double d = double(w(r, c)) - deq(r, c);
      e += (sensitivity ? (*sensitivity)(c) : 1.0) * d * d;
    }
  return e;
}

} // namespace compress
} // namespace qsl
