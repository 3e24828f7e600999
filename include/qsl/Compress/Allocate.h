//===- Allocate.h - Per-weight encoding choice under a bit budget -*- C++ -*-=//
//
// The solver behind qsl-allocate. Every weight w has a few options (one per
// candidate encoding), each with a storage cost in bits (all side tensors
// included) and an error that adds across weights (the calibrated output
// error energy tr(E H Eᵀ), or ||E||²_F data-free). The solver picks one
// option per weight to
//
//   minimise Σ_w err_w(c_w)   subject to   Σ_w bits_w(c_w) ≤ budget,
//
// a multiple-choice knapsack. Two solvers run and the better feasible
// answer is kept:
//  * the Lagrangian / convex-hull greedy of HAWQ-V2 and BAQ: per weight the
//    lower convex hull of (bits, err); starting from the cheapest option of
//    every weight, the steepest error-per-bit hull upgrade that still fits
//    is taken until none fits;
//  * a dynamic program over the budget cut into `resolution` units, every
//    option's cost rounded up (so its answers always fit), exact when the
//    costs are integers and the budget is at most `resolution`.
// Both end with a fill pass that spends what is left on any single-weight
// change (not only hull points) that lowers the error and still fits.
// No MLIR here: unit-tested on synthetic tables (test/unit/Compress).
//
//===----------------------------------------------------------------------===//
#ifndef QSL_COMPRESS_ALLOCATE_H
#define QSL_COMPRESS_ALLOCATE_H

#include <cstdint>
#include <string>
#include <vector>

namespace qsl {
namespace compress {

struct AllocationOption {
  double bits = 0;  // storage of the whole weight under this option
  double error = 0; // additive error of the weight under this option
};

struct Allocation {
  std::vector<int> choice; // per weight, an index into its options
  double bits = 0;         // Σ bits of the chosen options
  double error = 0;        // Σ error of the chosen options
};

/// Σ of every weight's cheapest / most expensive option: the budgets the
/// options can meet lie in [minimumBits, ∞); a budget at or above
/// maximumBits affords the most expensive option everywhere.
double minimumBits(const std::vector<std::vector<AllocationOption>> &options);
double maximumBits(const std::vector<std::vector<AllocationOption>> &options);

/// The allocation of least total error whose total bits are ≤ `budget`.
/// Requires budget ≥ minimumBits(options) and at least one option per
/// weight; `resolution` is the number of budget units of the dynamic
/// program (0 skips it: greedy alone).
Allocation allocateBits(const std::vector<std::vector<AllocationOption>> &options,
                        double budget, int64_t resolution = 20000);

/// The greedy alone (tests compare both against brute force).
Allocation allocateGreedy(const std::vector<std::vector<AllocationOption>> &options,
                          double budget);

/// Totals of `choice` (bits and error).
Allocation evaluateAllocation(
    const std::vector<std::vector<AllocationOption>> &options,
    std::vector<int> choice);

} // namespace compress
} // namespace qsl

#endif // QSL_COMPRESS_ALLOCATE_H
