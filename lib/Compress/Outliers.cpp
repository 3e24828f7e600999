//===- Outliers.cpp - SpQR-style selection of outlier weights --------------===//
#include "qsl/Compress/Outliers.h"

#include <Eigen/Cholesky>

#include <algorithm>
#include <cassert>
#include <queue>
#include <unordered_set>

using namespace qsl::compress;

VectorD qsl::compress::obsSensitivity(const MatrixD &gram, double damp) {
  const int64_t k = gram.rows();
  MatrixD h = gram;
  double mean = k ? h.diagonal().mean() : 0.0;
  double lambda = damp * (mean > 0 ? mean : 1.0);
  h.diagonal().array() += lambda;
  Eigen::LDLT<MatrixD> ldlt(h);
  MatrixD inverse = ldlt.solve(MatrixD::Identity(k, k));
  VectorD out(k);
  for (int64_t j = 0; j < k; ++j)
    out[j] = inverse(j, j) > 0 ? 1.0 / inverse(j, j) : 0.0;
  return out;
}

namespace {

/// One group of one row: the columns still quantized and their range.
struct Group {
  int64_t row = 0;
  std::vector<int64_t> members; // columns
  float scale = 0;
  int32_t zero = 0;
  float lo = 0, hi = 0; // extremes of the members
  int version = 0;
};

class Selector {
public:
  Selector(const Matrix &w, const QuantSpec &spec, const VectorD &h)
      : w(w), spec(spec), h(h) {}

  double weight(int64_t col) const { return h.size() ? h[col] : 1.0; }

  /// Refits `g`'s range over its members except `skip` (-1: none).
  void fit(const Group &g, int64_t skip, float &scale, int32_t &zero,
           float &lo, float &hi) const {
    buffer.clear();
    for (int64_t c : g.members)
      if (c != skip)
        buffer.push_back(w(g.row, c));
    chooseGroupRange(buffer.data(), int64_t(buffer.size()), spec, RangeOptions{},
                     scale, zero);
    lo = hi = 0;
    if (!buffer.empty()) {
      auto [mn, mx] = std::minmax_element(buffer.begin(), buffer.end());
      lo = *mn;
      hi = *mx;
    }
  }

  double elementError(int64_t row, int64_t col, float scale,
                      int32_t zero) const {
    float v = w(row, col);
    float d = dequantizeValue(quantizeValue(v, scale, zero, spec), scale, zero,
                              spec);
    double e = double(v) - double(d);
    return weight(col) * e * e;
  }

  double groupError(const Group &g, int64_t skip, float scale,
                    int32_t zero) const {
    double sum = 0;
    for (int64_t c : g.members)
      if (c != skip)
        sum += elementError(g.row, c, scale, zero);
    return sum;
  }

  /// What removing `col` from `g` lowers the group's weighted error by.
  double gain(const Group &g, int64_t col) const {
    float v = w(g.row, col);
    if (v != g.lo && v != g.hi)
      return elementError(g.row, col, g.scale, g.zero);
    float s, lo, hi;
    int32_t z;
    fit(g, col, s, z, lo, hi);
    return groupError(g, -1, g.scale, g.zero) - groupError(g, col, s, z);
  }

private:
  const Matrix &w;
  const QuantSpec &spec;
  const VectorD &h;
  mutable std::vector<float> buffer;
};

std::vector<Group> makeGroups(const Matrix &w, const QuantSpec &spec,
                              const Selector &sel) {
  const int64_t rows = w.rows(), cols = w.cols();
  const int64_t per = spec.numGroups(cols);
  std::vector<Group> groups(rows * per);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t g = 0; g < per; ++g) {
      Group &grp = groups[r * per + g];
      grp.row = r;
      for (int64_t c = spec.groupBegin(g); c < spec.groupEnd(g, cols); ++c)
        grp.members.push_back(c);
      sel.fit(grp, -1, grp.scale, grp.zero, grp.lo, grp.hi);
    }
  return groups;
}

} // namespace

std::vector<int64_t> qsl::compress::selectOutliers(const Matrix &w,
                                                   const QuantSpec &spec,
                                                   const VectorD &sensitivity,
                                                   int64_t count,
                                                   double threshold) {
  const int64_t rows = w.rows(), cols = w.cols();
  assert(spec.validate(cols).empty() && "invalid quantization spec");
  assert((sensitivity.size() == 0 || sensitivity.size() == cols) &&
         "one sensitivity per column");
  std::vector<int64_t> chosen;
  if (count <= 0 || rows == 0 || cols == 0)
    return chosen;
  Selector sel(w, spec, sensitivity);
  std::vector<Group> groups = makeGroups(w, spec, sel);
  const int64_t per = spec.numGroups(cols);
  double total = 0;
  for (const Group &g : groups)
    total += sel.groupError(g, -1, g.scale, g.zero);
  const double bar = threshold * total / double(rows * cols);

  struct Entry {
    double gain;
    int64_t index; // row * cols + col
    int version;
    bool operator<(const Entry &o) const {
      return gain != o.gain ? gain < o.gain : index > o.index;
    }
  };
  std::priority_queue<Entry> heap;
  auto groupOf = [&](int64_t index) -> Group & {
    int64_t r = index / cols, c = index % cols;
    int64_t g = spec.group == 0 ? 0 : c / spec.group;
    return groups[r * per + g];
  };
  auto push = [&](const Group &g, int64_t col) {
    heap.push({sel.gain(g, col), g.row * cols + col, g.version});
  };
  for (const Group &g : groups)
    for (int64_t c : g.members)
      push(g, c);
  std::unordered_set<int64_t> taken;
  while (int64_t(chosen.size()) < count && !heap.empty()) {
    Entry top = heap.top();
    heap.pop();
    if (taken.count(top.index))
      continue;
    Group &g = groupOf(top.index);
    int64_t col = top.index % cols;
    if (top.version != g.version) { // stale: its group changed since
      push(g, col);
      continue;
    }
    if (!(top.gain > bar) || !(top.gain > 0))
      break;
    chosen.push_back(top.index);
    taken.insert(top.index);
    g.members.erase(std::find(g.members.begin(), g.members.end(), col));
    float oldScale = g.scale;
    int32_t oldZero = g.zero;
    float oldLo = g.lo, oldHi = g.hi;
    sel.fit(g, -1, g.scale, g.zero, g.lo, g.hi);
    ++g.version;
    // A new range changes every member's error; new extremes change what
    // removing them gains. Other members' entries are refreshed lazily.
    bool rangeChanged = g.scale != oldScale || g.zero != oldZero;
    for (int64_t c : g.members) {
      float v = w(g.row, c);
      if (rangeChanged || v == g.lo || v == g.hi || v == oldLo || v == oldHi)
        push(g, c);
    }
  }
  std::sort(chosen.begin(), chosen.end());
  return chosen;
}

double qsl::compress::weightedRTNError(const Matrix &w, const QuantSpec &spec,
                                       const VectorD &sensitivity,
                                       const std::vector<int64_t> &outliers) {
  Selector sel(w, spec, sensitivity);
  std::vector<Group> groups = makeGroups(w, spec, sel);
  const int64_t cols = w.cols(), per = spec.numGroups(cols);
  std::unordered_set<int64_t> out(outliers.begin(), outliers.end());
  double total = 0;
  for (Group &g : groups) {
    std::vector<int64_t> kept;
    for (int64_t c : g.members)
      if (!out.count(g.row * cols + c))
        kept.push_back(c);
    g.members = std::move(kept);
    sel.fit(g, -1, g.scale, g.zero, g.lo, g.hi);
    total += sel.groupError(g, -1, g.scale, g.zero);
  }
  (void)per;
  return total;
}
