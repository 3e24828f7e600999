//===- Random.h - Random matrices for the numerics tests --------*- C++ -*-===//
#ifndef QSL_TEST_UNIT_COMPRESS_RANDOM_H
#define QSL_TEST_UNIT_COMPRESS_RANDOM_H

#include "qsl/Compress/Matrix.h"

#include <random>

namespace qsl {
namespace compress {
namespace testing {

/// A [rows, cols] matrix of independent N(0, sd^2) draws from `gen`, filled
/// in row-major order.
inline Matrix gaussian(int64_t rows, int64_t cols, std::mt19937 &gen,
                       float sd = 1.0f) {
  std::normal_distribution<float> dist(0.0f, sd);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < m.size(); ++i)
    m.data()[i] = dist(gen);
  return m;
}

/// The same from a generator seeded with `seed`.
inline Matrix gaussian(int64_t rows, int64_t cols, unsigned seed,
                       float sd = 1.0f) {
  std::mt19937 gen(seed);
  return gaussian(rows, cols, gen, sd);
}

} // namespace testing
} // namespace compress
} // namespace qsl

#endif // QSL_TEST_UNIT_COMPRESS_RANDOM_H
