//===- Pack.cpp - Bit packing of codes and N:M metadata -------------------===//
//
// The byte layouts of Pack.h (pictures in docs/formats/packing.md): b-bit
// codes as one little-endian bit stream, and N:M compression of a row into
// its kept values and their positions inside each run of M.
//
//===----------------------------------------------------------------------===//
#include "qsl/Compress/Pack.h"

#include <cassert>

using namespace qsl::compress;

std::vector<uint8_t> qsl::compress::packBits(const int32_t *codes,
                                             int64_t count, unsigned bits) {
  assert(bits >= 1 && bits <= 8 && "codes are 1 to 8 bits wide");
  assert(count >= 0 && (count == 0 || codes));
  if (bits < 1 || bits > 8 || count <= 0)
    return {};
  std::vector<uint8_t> out((count * bits + 7) / 8, 0);
  const uint32_t low = (1u << bits) - 1;
  // Element i lands at stream bit i*b: the bits enter an accumulator above
  // the ones not yet written out, and every complete byte leaves from the
  // bottom (least significant bits first).
  uint32_t acc = 0;
  unsigned held = 0;
  size_t byte = 0;
  for (int64_t i = 0; i < count; ++i) {
    acc |= (uint32_t(codes[i]) & low) << held;
    held += bits;
    while (held >= 8) {
      out[byte++] = uint8_t(acc);
      acc >>= 8;
      held -= 8;
    }
  }
  if (held > 0)
    out[byte++] = uint8_t(acc); // the last, partial byte; high bits are 0
  assert(byte == out.size());
  return out;
}

std::vector<int32_t> qsl::compress::unpackBits(const uint8_t *packed,
                                               int64_t count, unsigned bits,
                                               bool isSigned) {
  assert(bits >= 1 && bits <= 8 && "codes are 1 to 8 bits wide");
  assert(count >= 0 && (count == 0 || packed));
  if (bits < 1 || bits > 8 || count <= 0)
    return {};
  std::vector<int32_t> out(count);
  const uint32_t low = (1u << bits) - 1, sign = 1u << (bits - 1);
  uint32_t acc = 0;
  unsigned held = 0;
  const uint8_t *next = packed;
  for (int64_t i = 0; i < count; ++i) {
    if (held < bits) { // bits <= 8: one more byte always suffices
      acc |= uint32_t(*next++) << held;
      held += 8;
    }
    uint32_t v = acc & low;
    acc >>= bits;
    held -= bits;
    // Two's complement of b bits: subtract 2^b when the top bit is set.
    out[i] =
        isSigned && (v & sign) ? int32_t(v) - int32_t(1u << bits) : int32_t(v);
  }
  return out;
}

template <typename T>
bool qsl::compress::compressNM(
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
        &dense,
    const Mask &mask, int64_t n, int64_t m,
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> &values,
    IntMatrix &positions) {
  const int64_t rows = dense.rows(), cols = dense.cols();
  assert(mask.rows() == rows && mask.cols() == cols);
  if (m < 1 || n < 0 || n > m || cols % m != 0 || mask.rows() != rows ||
      mask.cols() != cols)
    return false;
  const int64_t outCols = cols / m * n;
  Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> v(rows,
                                                                      outCols);
  IntMatrix pos(rows, outCols);
  for (int64_t r = 0; r < rows; ++r) {
    int64_t k = 0;
    for (int64_t c0 = 0; c0 < cols; c0 += m) {
      int64_t kept = 0;
      for (int64_t i = 0; i < m; ++i) {
        if (!mask(r, c0 + i))
          continue;
        if (++kept > n)
          return false;
        v(r, k) = dense(r, c0 + i);
        pos(r, k) = int32_t(i);
        ++k;
      }
      if (kept != n)
        return false;
    }
  }
  values = std::move(v);
  positions = std::move(pos);
  return true;
}

namespace {

/// Whether every consecutive chunk of n positions of every row is strictly
/// increasing inside [0, m): the shape of an N:M run.
bool runsConsistent(const IntMatrix &positions, int64_t n, int64_t m) {
  for (int64_t r = 0; r < positions.rows(); ++r)
    for (int64_t k = 0; k < positions.cols(); ++k) {
      int32_t p = positions(r, k);
      if (p < 0 || p >= m)
        return false;
      if (k % n != 0 && p <= positions(r, k - 1))
        return false;
    }
  return true;
}

} // namespace

template <typename T>
Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
qsl::compress::expandNM(const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic,
                                            Eigen::RowMajor> &values,
                        const IntMatrix &positions, int64_t m) {
  using Dense =
      Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const int64_t rows = values.rows(), k = values.cols();
  assert(positions.rows() == rows && positions.cols() == k);
  if (m < 1 || positions.rows() != rows || positions.cols() != k)
    return Dense();
  // The signature does not carry N; it is recovered from the positions,
  // which increase strictly inside a run. N = M/2 (2:4, 4:8) is preferred
  // when consistent, else the largest consistent divisor of the row length.
  // A matrix whose every row also reads as a longer run (e.g. one 2:4 row
  // with positions {0,1},{2,3}) is ambiguous and read as M/2 or the longer
  // run.
  int64_t n = 0;
  if (m % 2 == 0 && m / 2 >= 1 && k % (m / 2) == 0 &&
      runsConsistent(positions, m / 2, m))
    n = m / 2;
  for (int64_t c = std::min(k, m); n == 0 && c >= 1; --c)
    if (k % c == 0 && runsConsistent(positions, c, m))
      n = c;
  if (k == 0)
    n = 1;
  assert(n > 0 && "positions do not form N:M runs");
  if (n == 0)
    return Dense();
  Dense dense = Dense::Zero(rows, k / n * m);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < k; ++i)
      dense(r, i / n * m + positions(r, i)) = values(r, i);
  return dense;
}

// The element types the header's templates are used with.
template bool qsl::compress::compressNM<float>(
    const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>
        &,
    const Mask &, int64_t, int64_t,
    Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> &,
    IntMatrix &);
template bool qsl::compress::compressNM<int32_t>(const IntMatrix &,
                                                 const Mask &, int64_t, int64_t,
                                                 IntMatrix &, IntMatrix &);
template Matrix qsl::compress::expandNM<float>(const Matrix &,
                                               const IntMatrix &, int64_t);
template IntMatrix qsl::compress::expandNM<int32_t>(const IntMatrix &,
                                                    const IntMatrix &, int64_t);
