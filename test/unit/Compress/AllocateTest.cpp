//===- AllocateTest.cpp - The qsl-allocate solver on synthetic tables -----===//
#include "qsl/Compress/Allocate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace qsl::compress;
using Table = std::vector<std::vector<AllocationOption>>;

namespace {

/// Every combination: the least error within the budget (inf if none).
double bruteForce(const Table &t, double budget) {
  double best = std::numeric_limits<double>::infinity();
  std::vector<int> c(t.size(), 0);
  while (true) {
    Allocation a = evaluateAllocation(t, c);
    if (a.bits <= budget)
      best = std::min(best, a.error);
    size_t i = 0;
    while (i < t.size() && ++c[i] == int(t[i].size()))
      c[i++] = 0;
    if (i == t.size())
      return best;
  }
}

/// Weights with options like quantizers: more bits, less error (roughly
/// geometric, with noise and an occasional dominated option).
Table randomTable(std::mt19937 &rng, int weights, int optionsPer,
                  bool integral) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Table t(weights);
  for (auto &w : t) {
    double params = integral ? std::floor(1 + 8 * u(rng)) : 1 + 100 * u(rng);
    double sensitivity = std::exp(4 * u(rng));
    for (int o = 0; o < optionsPer; ++o) {
      double bitsPer = 2 + o + (integral ? 0 : u(rng));
      double bits = integral ? params * bitsPer : params * bitsPer;
      double err = sensitivity * params * std::pow(4.0, -bitsPer) *
                   (0.5 + u(rng));
      w.push_back({bits, err});
    }
  }
  return t;
}

} // namespace

TEST(Allocate, MatchesBruteForceOnSmallIntegerTables) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 200; ++trial) {
    Table t = randomTable(rng, 2 + trial % 5, 2 + trial % 4, true);
    double lo = minimumBits(t), hi = maximumBits(t);
    double budget = std::floor(lo + (hi - lo) * ((trial % 7) / 6.0));
    Allocation a = allocateBits(t, budget);
    ASSERT_EQ(a.choice.size(), t.size());
    EXPECT_LE(a.bits, budget);
    EXPECT_NEAR(a.error, bruteForce(t, budget), 1e-9 * (1 + a.error))
        << "trial " << trial;
  }
}

TEST(Allocate, NearOptimalOnRealValuedTables) {
  // Real-valued costs: the rounded dynamic program and the greedy are not
  // exact, but the better of them stays within 1% of the optimum here.
  std::mt19937 rng(2);
  double worst = 0;
  for (int trial = 0; trial < 100; ++trial) {
    Table t = randomTable(rng, 6, 4, false);
    double lo = minimumBits(t), hi = maximumBits(t);
    double budget = lo + (hi - lo) * (0.1 + 0.8 * (trial % 9) / 8.0);
    Allocation a = allocateBits(t, budget);
    EXPECT_LE(a.bits, budget);
    double opt = bruteForce(t, budget);
    EXPECT_GE(a.error, opt - 1e-12);
    worst = std::max(worst, (a.error - opt) / opt);
  }
  EXPECT_LT(worst, 0.01);
}

TEST(Allocate, GreedyRespectsBudgetAndBeatsUniform) {
  std::mt19937 rng(3);
  Table t = randomTable(rng, 200, 6, false);
  for (int o = 0; o < 6; ++o) {
    // The uniform choice o fits its own size; the allocation of the same
    // size is at least as good.
    std::vector<int> uniform(t.size(), o);
    Allocation u = evaluateAllocation(t, uniform);
    for (Allocation a : {allocateBits(t, u.bits), allocateGreedy(t, u.bits)}) {
      EXPECT_LE(a.bits, u.bits);
      EXPECT_LE(a.error, u.error * (1 + 1e-12));
    }
  }
}

TEST(Allocate, MonotoneInBudget) {
  std::mt19937 rng(4);
  Table t = randomTable(rng, 5, 4, true);
  double previous = std::numeric_limits<double>::infinity();
  for (double b = minimumBits(t); b <= maximumBits(t) + 3; b += 1) {
    Allocation a = allocateBits(t, b);
    EXPECT_LE(a.bits, b);
    EXPECT_LE(a.error, previous + 1e-12) << "budget " << b;
    previous = a.error;
  }
  // The largest budget affords the best option of every weight.
  Allocation top = allocateBits(t, maximumBits(t));
  double bestSum = 0;
  for (const auto &w : t) {
    double e = w[0].error;
    for (const AllocationOption &o : w)
      e = std::min(e, o.error);
    bestSum += e;
  }
  EXPECT_NEAR(top.error, bestSum, 1e-12);
}

TEST(Allocate, HullSkipsDominatedAndNonConvexOptions) {
  // Weight 0: option 1 is dominated (more bits, more error); option 2 lies
  // above the hull from 0 to 3. The greedy still ends at the best answer.
  Table t = {{{2, 10}, {3, 11}, {3.5, 9.9}, {4, 1}}, {{2, 5}, {4, 4}}};
  Allocation a = allocateGreedy(t, 6);
  EXPECT_EQ(a.choice[0], 3);
  EXPECT_EQ(a.choice[1], 0);
  EXPECT_DOUBLE_EQ(a.bits, 6);
  EXPECT_DOUBLE_EQ(a.error, 6);
}

TEST(Allocate, FillUsesLeftoverBudgetOffTheHull) {
  // The hull of weight 0 is {2, 6}; with 3 bits left after the cheapest
  // choices, only the off-hull option (4 bits) fits and the fill takes it.
  Table t = {{{2, 10}, {4, 8}, {6, 0}}, {{1, 1}}};
  Allocation a = allocateGreedy(t, 6);
  EXPECT_EQ(a.choice[0], 1);
  EXPECT_DOUBLE_EQ(a.error, 9);
}
