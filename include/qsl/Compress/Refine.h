//===- Refine.h - End-to-end refinement of an allocation --------*- C++ -*-===//
//
// The knapsack of Allocate.h adds per-weight errors, but errors compound
// through the layers after a weight, so the allocation with the least
// summed proxy error is often not the one with the least error at the
// model's output. refineAllocation searches the same options with a
// fitness the caller computes end to end (the model run on calibration
// inputs with the chosen encodings), in the spirit of EvoPress (Sieberling
// et al., "EvoPress: Towards Optimal Dynamic Model Compression via
// Evolutionary Search", 2024):
//
//  * every option of a weight that another option beats in both bits and
//    proxy error is dropped (unless a seed uses it); the rest, sorted by
//    bits, is the weight's ladder;
//  * the parent is the fittest seed (the caller passes the knapsack answer
//    and the uniform settings that fit, so the result is never worse, on
//    the fitness, than any of them);
//  * each generation makes `offspring` children of the parent by a few
//    level switches (one weight a step up or down its ladder), repairs the
//    budget by stepping random other weights down, and spends the slack by
//    stepping random weights up where it fits; the fittest child replaces
//    the parent when it is strictly fitter.
//
// Every allocation evaluated fits the budget; fitness values are cached,
// so a child seen before costs nothing. No MLIR here (gtest:
// test/unit/Compress/RefineTest.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_REFINE_H
#define QSL_COMPRESS_REFINE_H

#include "qsl/Compress/Allocate.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace qsl {
namespace compress {

struct RefineOptions {
  int generations = 20;
  int offspring = 6;
  /// At most this many level switches make one child.
  int maxSwitches = 3;
  uint64_t seed = 0;
};

/// What the search did, for reports.
struct RefineTrace {
  std::vector<double> seedFitness; // per seed (NaN for one over budget)
  size_t bestSeed = 0;
  double startFitness = 0, finalFitness = 0;
  int evaluations = 0, improvements = 0;
};

/// Lower is better. Returns std::nullopt when the evaluation failed; the
/// search then stops and refineAllocation returns std::nullopt too.
using AllocationFitness =
    std::function<std::optional<double>(const std::vector<int> &choice)>;

/// The fittest allocation found (its `error` is the fitness, `bits` the
/// options' total bits), starting from `seeds` (choices as in Allocation;
/// seeds over the budget are skipped, at least one must fit).
std::optional<Allocation>
refineAllocation(const std::vector<std::vector<AllocationOption>> &options,
                 double budget, const std::vector<std::vector<int>> &seeds,
                 const AllocationFitness &fitness, const RefineOptions &opts,
                 RefineTrace *trace = nullptr);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_REFINE_H
