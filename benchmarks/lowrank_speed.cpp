//===- lowrank_speed.cpp - Exact vs randomized truncated SVD --------------===//
//
// Times Compress/LowRank's truncated SVD of one N x K matrix at rank r,
// exact (Eigen's BDCSVD) against randomized (Halko-Martinsson-Tropp), and
// prints the ratio of their squared Frobenius errors (1 = as good as exact),
// on two spectra: a slowly decaying power law sigma_i = (1 + i)^-0.5 (like
// trained weights) and a Gaussian matrix (flat spectrum, the worst case for
// a range finder). Also times the randomized whitened SVD (SVD-LLM) with a
// Gram matrix of 2K tokens.
//
//   lowrank-speed [N [K [rank [power-iterations]]]] [--no-exact]
//
// Single-threaded (Eigen without OpenMP). Not run by the tests.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/LowRank.h"
#include "qsl/Compress/Statistics.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace qsl::compress;

namespace {

Matrix gaussian(int64_t rows, int64_t cols, unsigned seed, float sd = 1.0f) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, sd);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = dist(gen);
  return m;
}

double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

double error2(const Matrix &w, const LowRankFactors &f) {
  return (w - f.product()).cast<double>().squaredNorm();
}

void compare(const char *name, const Matrix &w, int64_t rank, int power,
             bool exact) {
  LowRankOptions ro;
  ro.svd.method = SVDMethod::Randomized;
  ro.svd.powerIterations = power;
  auto t0 = std::chrono::steady_clock::now();
  LowRankFactors fr = truncatedSVD(w, rank, ro);
  double tr = seconds(t0);
  double er = error2(w, fr);
  std::printf("%-22s randomized (p=%lld q=%d): %8.2f s", name,
              (long long)ro.svd.oversampling, power, tr);
  if (!exact) {
    std::printf("   relative error %.4f\n", std::sqrt(er / fr.totalEnergy));
    return;
  }
  LowRankOptions eo;
  eo.svd.method = SVDMethod::Exact;
  t0 = std::chrono::steady_clock::now();
  LowRankFactors fe = truncatedSVD(w, rank, eo);
  double te = seconds(t0);
  double ee = error2(w, fe);
  std::printf("   exact: %8.2f s   speedup %.1fx   squared error "
              "randomized/exact %.5f   relative error %.4f\n",
              te, te / tr, er / ee, std::sqrt(ee / fe.totalEnergy));
}

} // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress when redirected
  std::vector<int64_t> nums;
  bool exact = true;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--no-exact"))
      exact = false;
    else
      nums.push_back(std::atoll(argv[i]));
  }
  const int64_t n = nums.size() > 0 ? nums[0] : 4096;
  const int64_t k = nums.size() > 1 ? nums[1] : n;
  const int64_t rank = nums.size() > 2 ? nums[2] : 256;
  const int power = nums.size() > 3 ? int(nums[3]) : 2;
  std::string why = validateRank(n, k, rank);
  if (!why.empty()) {
    std::fprintf(stderr, "lowrank-speed: %s\n", why.c_str());
    return 1;
  }
  std::printf("lowrank-speed: %lld x %lld, rank %lld\n", (long long)n,
              (long long)k, (long long)rank);

  // Power-law spectrum: W = A diag(sigma) B with Gaussian A, B scaled to
  // near-orthonormal columns/rows.
  const int64_t m = std::min(n, k);
  Vector sigma(m);
  for (int64_t i = 0; i < m; ++i)
    sigma(i) = float(1.0 / std::sqrt(1.0 + double(i)));
  Matrix decaying = (gaussian(n, m, 1, 1.0f / std::sqrt(float(n))) *
                     sigma.asDiagonal()) *
                    gaussian(m, k, 2, 1.0f / std::sqrt(float(k)));
  compare("power-law spectrum", decaying, rank, power, exact);
  Matrix flat = gaussian(n, k, 3);
  compare("gaussian (flat)", flat, rank, power, exact);

  // Whitened (SVD-LLM) at the same size: Cholesky, W S, randomized SVD,
  // triangular solve.
  Matrix x = gaussian(2 * k, k, 4);
  MatrixD gram = (x.transpose() * x).cast<double>();
  LowRankOptions wo;
  wo.svd.method = SVDMethod::Randomized;
  wo.svd.powerIterations = power;
  auto t0 = std::chrono::steady_clock::now();
  LowRankFactors fw = whitenedSVD(decaying, gram, rank, wo);
  double tw = seconds(t0);
  std::printf("%-22s randomized (p=%lld q=%d): %8.2f s   relative output "
              "error %.4f\n",
              "whitened (SVD-LLM)", (long long)wo.svd.oversampling, power, tw,
              relativeOutputError(decaying, fw.product(), gram));
  return 0;
}
