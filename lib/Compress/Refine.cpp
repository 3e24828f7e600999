//===- Refine.cpp - End-to-end refinement of an allocation ----------------===//
#include "qsl/Compress/Refine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

using namespace qsl::compress;
using Table = std::vector<std::vector<AllocationOption>>;

namespace {

/// Per weight: the options worth stepping through, sorted by bits.
std::vector<std::vector<int>> ladders(const Table &options,
                                      const std::vector<std::vector<int>> &seeds) {
  std::vector<std::vector<int>> result(options.size());
  for (size_t w = 0; w < options.size(); ++w) {
    const auto &opts = options[w];
    for (int o = 0; o < int(opts.size()); ++o) {
      bool dominated = false;
      for (int p = 0; p < int(opts.size()) && !dominated; ++p)
        dominated = p != o && opts[p].bits <= opts[o].bits &&
                    opts[p].error <= opts[o].error &&
                    (opts[p].bits < opts[o].bits ||
                     opts[p].error < opts[o].error);
      bool seeded = std::any_of(seeds.begin(), seeds.end(),
                                [&](const std::vector<int> &s) {
                                  return s[w] == o;
                                });
      if (!dominated || seeded)
        result[w].push_back(o);
    }
    std::stable_sort(result[w].begin(), result[w].end(), [&](int a, int b) {
      return opts[a].bits < opts[b].bits;
    });
  }
  return result;
}

} // namespace

std::optional<Allocation> qsl::compress::refineAllocation(
    const Table &options, double budget,
    const std::vector<std::vector<int>> &seeds,
    const AllocationFitness &fitness, const RefineOptions &opts,
    RefineTrace *trace) {
  RefineTrace local;
  RefineTrace &t = trace ? *trace : local;
  t = RefineTrace();
  size_t n = options.size();
  // Sums of doubles in another order may differ in the last bits.
  double limit = budget + 1e-9 * std::abs(budget);
  auto bitsOf = [&](const std::vector<int> &c) {
    double b = 0;
    for (size_t w = 0; w < n; ++w)
      b += options[w][c[w]].bits;
    return b;
  };
  std::map<std::vector<int>, double> seen;
  bool failed = false;
  auto evaluate = [&](const std::vector<int> &c) -> double {
    auto it = seen.find(c);
    if (it != seen.end())
      return it->second;
    std::optional<double> f = fitness(c);
    ++t.evaluations;
    if (!f) {
      failed = true;
      return std::numeric_limits<double>::infinity();
    }
    seen.emplace(c, *f);
    return *f;
  };

  std::vector<int> parent;
  double parentFitness = std::numeric_limits<double>::infinity();
  for (size_t s = 0; s < seeds.size(); ++s) {
    if (seeds[s].size() != n || bitsOf(seeds[s]) > limit) {
      t.seedFitness.push_back(std::numeric_limits<double>::quiet_NaN());
      continue;
    }
    double f = evaluate(seeds[s]);
    if (failed)
      return std::nullopt;
    t.seedFitness.push_back(f);
    if (parent.empty() || f < parentFitness) {
      parent = seeds[s];
      parentFitness = f;
      t.bestSeed = s;
    }
  }
  if (parent.empty())
    return std::nullopt;
  t.startFitness = parentFitness;

  std::vector<std::vector<int>> ladder = ladders(options, seeds);
  // Position of each weight's current option on its ladder.
  auto positions = [&](const std::vector<int> &c) {
    std::vector<int> pos(n);
    for (size_t w = 0; w < n; ++w)
      pos[w] = int(std::find(ladder[w].begin(), ladder[w].end(), c[w]) -
                   ladder[w].begin());
    return pos;
  };
  std::mt19937_64 rng(opts.seed);
  auto pick = [&](size_t count) {
    return size_t(std::uniform_int_distribution<size_t>(0, count - 1)(rng));
  };

  auto mutate = [&](const std::vector<int> &from) {
    std::vector<int> pos = positions(from);
    std::vector<char> touched(n, 0); // 1: stepped up, 2: stepped down
    int switches = 1 + int(pick(size_t(std::max(1, opts.maxSwitches))));
    for (int s = 0; s < switches; ++s) {
      size_t w = pick(n);
      int size = int(ladder[w].size());
      if (size < 2)
        continue;
      bool up = pick(2) == 0;
      if (up && pos[w] + 1 >= size)
        up = false;
      if (!up && pos[w] == 0)
        up = true;
      pos[w] += up ? 1 : -1;
      touched[w] = up ? 1 : 2;
    }
    auto choiceOf = [&] {
      std::vector<int> c(n);
      for (size_t w = 0; w < n; ++w)
        c[w] = ladder[w][pos[w]];
      return c;
    };
    double bits = bitsOf(choiceOf());
    // Repair: step random weights (not just stepped up) down until it fits.
    std::vector<size_t> order(n);
    for (size_t w = 0; w < n; ++w)
      order[w] = w;
    while (bits > limit) {
      std::vector<size_t> down;
      for (size_t w = 0; w < n; ++w)
        if (pos[w] > 0 && touched[w] != 1)
          down.push_back(w);
      if (down.empty())
        for (size_t w = 0; w < n; ++w)
          if (pos[w] > 0)
            down.push_back(w);
      if (down.empty())
        break;
      size_t w = down[pick(down.size())];
      bits -= options[w][ladder[w][pos[w]]].bits;
      --pos[w];
      bits += options[w][ladder[w][pos[w]]].bits;
      touched[w] = 2;
    }
    // Spend the slack: random weights a step up where it still fits.
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t w : order) {
      if (touched[w] == 2 || pos[w] + 1 >= int(ladder[w].size()))
        continue;
      double delta = options[w][ladder[w][pos[w] + 1]].bits -
                     options[w][ladder[w][pos[w]]].bits;
      if (bits + delta <= limit && pick(2) == 0) {
        ++pos[w];
        bits += delta;
      }
    }
    return choiceOf();
  };

  for (int g = 0; g < opts.generations; ++g) {
    std::vector<int> best;
    double bestFitness = std::numeric_limits<double>::infinity();
    for (int k = 0; k < opts.offspring; ++k) {
      std::vector<int> child;
      // A few tries for a child not evaluated before.
      for (int attempt = 0; attempt < 8; ++attempt) {
        child = mutate(parent);
        if (!seen.count(child))
          break;
      }
      if (bitsOf(child) > limit)
        continue;
      double f = evaluate(child);
      if (failed)
        return std::nullopt;
      if (f < bestFitness) {
        bestFitness = f;
        best = child;
      }
    }
    if (!best.empty() && bestFitness < parentFitness) {
      parent = best;
      parentFitness = bestFitness;
      ++t.improvements;
    }
  }
  t.finalFitness = parentFitness;
  Allocation a;
  a.choice = parent;
  a.bits = bitsOf(parent);
  a.error = parentFitness;
  return a;
}
