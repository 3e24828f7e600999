//===- Allocate.cpp - Per-weight encoding choice under a bit budget -------===//
#include "qsl/Compress/Allocate.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <queue>

using namespace qsl::compress;
using Table = std::vector<std::vector<AllocationOption>>;

double qsl::compress::minimumBits(const Table &options) {
  double total = 0;
  for (const auto &w : options) {
    double best = std::numeric_limits<double>::infinity();
    for (const AllocationOption &o : w)
      best = std::min(best, o.bits);
    total += best;
  }
  return total;
}

double qsl::compress::maximumBits(const Table &options) {
  double total = 0;
  for (const auto &w : options) {
    double best = 0;
    for (const AllocationOption &o : w)
      best = std::max(best, o.bits);
    total += best;
  }
  return total;
}

Allocation qsl::compress::evaluateAllocation(const Table &options,
                                             std::vector<int> choice) {
  Allocation a;
  for (size_t i = 0; i < options.size(); ++i) {
    a.bits += options[i][choice[i]].bits;
    a.error += options[i][choice[i]].error;
  }
  a.choice = std::move(choice);
  return a;
}

/// Spends what the budget leaves on single-weight changes: repeatedly the
/// change that lowers the total error most and still fits.
static void fill(const Table &options, double budget, Allocation &a) {
  for (size_t round = 0;; ++round) {
    double left = budget - a.bits;
    double bestGain = 0;
    size_t bestW = 0;
    int bestO = -1;
    for (size_t i = 0; i < options.size(); ++i) {
      const AllocationOption &cur = options[i][a.choice[i]];
      for (int o = 0; o < int(options[i].size()); ++o) {
        const AllocationOption &c = options[i][o];
        double gain = cur.error - c.error;
        if (c.bits - cur.bits <= left && gain > bestGain) {
          bestGain = gain;
          bestW = i;
          bestO = o;
        }
      }
    }
    if (bestO < 0 || round > 64 * options.size())
      return;
    a.bits += options[bestW][bestO].bits - options[bestW][a.choice[bestW]].bits;
    a.error -= bestGain;
    a.choice[bestW] = bestO;
  }
}

Allocation qsl::compress::allocateGreedy(const Table &options, double budget) {
  size_t n = options.size();
  // Per weight: the lower convex hull of (bits, error), cheapest first.
  std::vector<std::vector<int>> hull(n);
  for (size_t i = 0; i < n; ++i) {
    const auto &w = options[i];
    std::vector<int> order(w.size());
    for (size_t o = 0; o < w.size(); ++o)
      order[o] = int(o);
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return w[a].bits < w[b].bits ||
             (w[a].bits == w[b].bits && w[a].error < w[b].error);
    });
    std::vector<int> &h = hull[i];
    for (int o : order) {
      if (!h.empty() && w[o].error >= w[h.back()].error)
        continue; // dominated: costs as much or more and is no better
      // Drop the last point while it lies on or above the segment from the
      // one before it to `o` (error reduction per bit must fall along
      // the hull).
      while (h.size() >= 2) {
        const AllocationOption &a = w[h[h.size() - 2]], &b = w[h.back()];
        double gainAB = (a.error - b.error) / (b.bits - a.bits);
        double gainBO = (b.error - w[o].error) / (w[o].bits - b.bits);
        if (gainAB > gainBO)
          break;
        h.pop_back();
      }
      h.push_back(o);
    }
  }
  std::vector<int> choice(n);
  std::vector<size_t> at(n, 0);
  for (size_t i = 0; i < n; ++i)
    choice[i] = hull[i][0];
  Allocation a = evaluateAllocation(options, choice);
  // Steepest upgrades first.
  using Item = std::pair<double, size_t>; // gain per bit, weight
  std::priority_queue<Item> queue;
  auto push = [&](size_t i) {
    if (at[i] + 1 >= hull[i].size())
      return;
    const AllocationOption &cur = options[i][hull[i][at[i]]],
                           &next = options[i][hull[i][at[i] + 1]];
    queue.push({(cur.error - next.error) / (next.bits - cur.bits), i});
  };
  for (size_t i = 0; i < n; ++i)
    push(i);
  while (!queue.empty()) {
    size_t i = queue.top().second;
    queue.pop();
    const AllocationOption &cur = options[i][hull[i][at[i]]],
                           &next = options[i][hull[i][at[i] + 1]];
    if (a.bits + (next.bits - cur.bits) > budget)
      continue; // this weight's later hull points cost even more
    a.bits += next.bits - cur.bits;
    a.error -= cur.error - next.error;
    ++at[i];
    a.choice[i] = hull[i][at[i]];
    push(i);
  }
  fill(options, budget, a);
  return evaluateAllocation(options, a.choice);
}

/// The dynamic program over `resolution` budget units (costs rounded up).
static Allocation allocateDP(const Table &options, double budget,
                             int64_t resolution) {
  size_t n = options.size();
  bool integral = budget <= double(resolution);
  for (const auto &w : options)
    for (const AllocationOption &o : w)
      integral = integral && o.bits == std::floor(o.bits);
  double unit = integral ? 1.0 : budget / double(resolution);
  int64_t cap = integral ? int64_t(std::floor(budget)) : resolution;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> dp(cap + 1, 0.0), next(cap + 1);
  std::vector<std::vector<uint16_t>> pick(n, std::vector<uint16_t>(cap + 1));
  for (size_t i = 0; i < n; ++i) {
    std::vector<int64_t> cost(options[i].size());
    for (size_t o = 0; o < options[i].size(); ++o)
      cost[o] = int64_t(std::ceil(options[i][o].bits / unit - 1e-9));
    for (int64_t c = 0; c <= cap; ++c) {
      double best = inf;
      uint16_t bestO = 0;
      for (size_t o = 0; o < options[i].size(); ++o) {
        if (cost[o] > c || dp[c - cost[o]] == inf)
          continue;
        double v = dp[c - cost[o]] + options[i][o].error;
        if (v < best) {
          best = v;
          bestO = uint16_t(o);
        }
      }
      next[c] = best;
      pick[i][c] = bestO;
    }
    std::swap(dp, next);
  }
  if (dp[cap] == inf)
    return {};
  std::vector<int> choice(n);
  int64_t c = cap;
  for (size_t i = n; i-- > 0;) {
    choice[i] = pick[i][c];
    c -= int64_t(std::ceil(options[i][choice[i]].bits / unit - 1e-9));
  }
  Allocation a = evaluateAllocation(options, choice);
  if (a.bits > budget)
    return {};
  fill(options, budget, a);
  return evaluateAllocation(options, a.choice);
}

Allocation qsl::compress::allocateBits(const Table &options, double budget,
                                       int64_t resolution) {
  assert(budget >= minimumBits(options) && "budget below the cheapest options");
  Allocation greedy = allocateGreedy(options, budget);
  bool anyOptions = options.size() < 65536;
  for (const auto &w : options)
    anyOptions = anyOptions && !w.empty() && w.size() < 65535;
  // The dynamic program's table is weights x units; keep it near 10^8.
  if (resolution <= 0 || !anyOptions ||
      double(options.size()) * double(resolution) > 2e8)
    return greedy;
  Allocation dp = allocateDP(options, budget, resolution);
  if (!dp.choice.empty() && dp.error < greedy.error)
    return dp;
  return greedy;
}
