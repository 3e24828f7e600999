//===- GpuLayout.cpp - Weight layouts the GPU kernels read ----------------===//
#include "qsl/Compress/GpuLayout.h"

#include <Eigen/Core>

#include <algorithm>
#include <cassert>
#include <numeric>
#include <utility>

namespace qsl {
namespace compress {

int64_t gpuCodesPerWord(unsigned bits) {
  assert(bits > 0 && bits <= 32 && "codes of 1 to 32 bits");
  return 32 / bits;
}

int64_t gpuWordsPerRow(int64_t k, unsigned bits) {
  int64_t perWord = gpuCodesPerWord(bits);
  return (k + perWord - 1) / perWord;
}

std::vector<uint32_t> packGpuCodeWords(const int64_t *codes, int64_t n,
                                       int64_t k, unsigned bits,
                                       bool transposed) {
  int64_t words = gpuWordsPerRow(k, bits);
  int64_t perWord = gpuCodesPerWord(bits);
  uint32_t mask = bits == 32 ? 0xffffffffu : ((1u << bits) - 1u);
  std::vector<uint32_t> out(n * words, 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c) {
      int64_t code = transposed ? codes[r * k + c] : codes[c * n + r];
      uint32_t bitsOf = static_cast<uint32_t>(code) & mask;
      out[r * words + c / perWord] |= bitsOf << ((c % perWord) * bits);
    }
  return out;
}

int32_t readGpuCode(const std::vector<uint32_t> &words, int64_t k,
                    int64_t row, int64_t col, unsigned bits, bool isSigned) {
  int64_t perWord = gpuCodesPerWord(bits);
  uint32_t word = words[row * gpuWordsPerRow(k, bits) + col / perWord];
  uint32_t v = (word >> ((col % perWord) * bits)) &
               (bits == 32 ? 0xffffffffu : ((1u << bits) - 1u));
  if (isSigned && bits < 32 && (v >> (bits - 1)) != 0)
    return static_cast<int32_t>(v) - (1 << bits);
  return static_cast<int32_t>(v);
}

std::vector<int64_t> sparseRowOrder(const std::vector<int64_t> &positions,
                                    int64_t n, int64_t kept, int64_t keep,
                                    bool transposed) {
  assert(kept % keep == 0 && "whole runs");
  std::vector<int64_t> order(n * kept);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t e = 0; e < kept; ++e)
      order[r * kept + e] = transposed ? r * kept + e : e * n + r;
  for (int64_t r = 0; r < n; ++r)
    for (int64_t run = 0; run < kept / keep; ++run) {
      auto first = order.begin() + r * kept + run * keep;
      std::stable_sort(first, first + keep, [&](int64_t a, int64_t b) {
        return positions[a] < positions[b];
      });
      for (int64_t i = 1; i < keep; ++i)
        if (positions[first[i]] == positions[first[i - 1]])
          return {};
    }
  return order;
}

std::vector<uint32_t> packSparseMmaMeta(const std::vector<int64_t> &positions,
                                        int64_t n, int64_t kept,
                                        int64_t nPad, int64_t steps) {
  assert(nPad % 16 == 0 && nPad >= n && steps * 16 >= kept);
  // 2-bit position of kept entry e of row r; padding runs read (0, 1).
  auto at = [&](int64_t r, int64_t e) -> uint32_t {
    if (r < n && e < kept)
      return static_cast<uint32_t>(positions[r * kept + e]) & 3u;
    return static_cast<uint32_t>(e % 2);
  };
  auto half = [&](int64_t r, int64_t first) {
    uint32_t bits = 0;
    for (int64_t i = 0; i < 8; ++i)
      bits |= at(r, first + i) << (2 * i);
    return bits;
  };
  std::vector<uint32_t> out(nPad / 16 * steps * 16);
  for (int64_t t = 0; t < nPad / 16; ++t)
    for (int64_t s = 0; s < steps; ++s)
      for (int64_t g = 0; g < 8; ++g)
        for (int64_t h = 0; h < 2; ++h) {
          int64_t first = 16 * s + 8 * h;
          out[(t * steps + s) * 16 + 2 * g + h] =
              half(16 * t + g, first) | (half(16 * t + g + 8, first) << 16);
        }
  return out;
}

uint16_t toHalfBits(float v) {
  return Eigen::numext::bit_cast<uint16_t>(Eigen::half(v));
}

int64_t mmaChunkSteps(unsigned bits) {
  assert(bits >= 1 && bits <= 8 && "pairs of codes in 16-bit halves");
  return bits <= 2 ? 4 : bits <= 4 ? 2 : 1;
}

MmaFragmentShape mmaFragmentShape(int64_t n, int64_t k, unsigned bits) {
  MmaFragmentShape f;
  f.steps = mmaChunkSteps(bits);
  f.tiles = (n + 31) / 32;
  f.chunks = (k + 16 * f.steps - 1) / (16 * f.steps);
  return f;
}

namespace {
/// Where the code of weight row `kk`, column `col` lives: word index and
/// bit shift.
std::pair<int64_t, unsigned> mmaFragmentPlace(const MmaFragmentShape &f,
                                              unsigned bits, int64_t col,
                                              int64_t kk) {
  int64_t tile = col / 32, t = (col % 32) / 8, g = col % 8;
  int64_t chunk = kk / (16 * f.steps), step = (kk % (16 * f.steps)) / 16;
  int64_t inStep = kk % 16, r = inStep / 8, i = (inStep % 8) / 2;
  int64_t lane = 4 * g + i, pair = (step * 4 + t) * 2 + r;
  int64_t perWord = 2 * f.steps;
  int64_t word = ((tile * f.chunks + chunk) * 32 + lane) * 4 + pair / perWord;
  unsigned shift = static_cast<unsigned>((pair % perWord) * bits +
                                         16 * (inStep % 2));
  return {word, shift};
}
} // namespace

std::vector<uint32_t> packMmaFragmentWords(const int64_t *codes, int64_t n,
                                           int64_t k, unsigned bits,
                                           bool transposed, int64_t offset) {
  MmaFragmentShape f = mmaFragmentShape(n, k, bits);
  uint32_t mask = (1u << bits) - 1u;
  std::vector<uint32_t> out(f.words(), 0);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t kk = 0; kk < k; ++kk) {
      int64_t code = transposed ? codes[c * k + kk] : codes[kk * n + c];
      auto [word, shift] = mmaFragmentPlace(f, bits, c, kk);
      out[word] |= (static_cast<uint32_t>(code + offset) & mask) << shift;
    }
  return out;
}

uint32_t readMmaFragmentCode(const std::vector<uint32_t> &words, int64_t n,
                             int64_t k, unsigned bits, int64_t col,
                             int64_t kk) {
  auto [word, shift] =
      mmaFragmentPlace(mmaFragmentShape(n, k, bits), bits, col, kk);
  return (words[word] >> shift) & ((1u << bits) - 1u);
}

int64_t mmaSparseChunkSteps(unsigned bits) {
  return bits == 16 ? 1 : 2 * mmaChunkSteps(bits);
}

MmaSparseShape mmaSparseShape(int64_t n, int64_t k, unsigned bits) {
  MmaSparseShape f;
  f.steps = mmaSparseChunkSteps(bits);
  f.tiles = (n + 15) / 16;
  f.chunks = ((k + 31) / 32 + f.steps - 1) / f.steps;
  return f;
}

namespace {
/// Word index and bit shift of kept entry `e` of row `row`.
std::pair<int64_t, unsigned> mmaSparsePlace(const MmaSparseShape &f,
                                            unsigned bits, int64_t row,
                                            int64_t e) {
  int64_t tile = row / 16, g = row % 8, hiRow = (row % 16) / 8;
  int64_t step = e / 16, inStep = e % 16;
  int64_t chunk = step / f.steps, s = step % f.steps;
  int64_t r = hiRow + 2 * (inStep / 8), i = (inStep % 8) / 2;
  int64_t lane = 4 * g + i, pair = 4 * s + r;
  int64_t word = ((tile * f.chunks + chunk) * 32 + lane) * 4 + pair / f.steps;
  unsigned shift = static_cast<unsigned>((pair % f.steps) * bits +
                                         16 * (inStep % 2));
  return {word, shift};
}
} // namespace

std::vector<uint32_t> packMmaSparseWords(const std::vector<int64_t> &kept,
                                         int64_t n, int64_t k, unsigned bits,
                                         int64_t offset) {
  MmaSparseShape f = mmaSparseShape(n, k, bits);
  int64_t perRow = k / 2;
  uint32_t mask = (1u << bits) - 1u;
  std::vector<uint32_t> out(f.words(), 0);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t e = 0; e < perRow; ++e) {
      auto [word, shift] = mmaSparsePlace(f, bits, r, e);
      out[word] |= (static_cast<uint32_t>(kept[r * perRow + e] + offset) &
                    mask)
                   << shift;
    }
  return out;
}

uint32_t readMmaSparseCode(const std::vector<uint32_t> &words, int64_t n,
                           int64_t k, unsigned bits, int64_t row, int64_t e) {
  auto [word, shift] = mmaSparsePlace(mmaSparseShape(n, k, bits), bits, row, e);
  return (words[word] >> shift) & ((1u << bits) - 1u);
}

namespace {
/// A [gPad, nPad] table whose [g, c] entry is at(c, g) for c < n and
/// g < groups, and T() elsewhere.
template <typename T, typename At>
std::vector<T> transposedGroups(int64_t n, int64_t groups, int64_t nPad,
                                int64_t gPad, At at) {
  assert(nPad >= n && gPad >= groups);
  std::vector<T> out(gPad * nPad, T());
  for (int64_t c = 0; c < n; ++c)
    for (int64_t g = 0; g < groups; ++g)
      out[g * nPad + c] = at(c, g);
  return out;
}
} // namespace

std::vector<uint32_t> packScaleZeroWords(const std::vector<float> &scales,
                                         const std::vector<float> &zeros,
                                         int64_t n, int64_t groups,
                                         int64_t nPad, int64_t gPad) {
  return transposedGroups<uint32_t>(
      n, groups, nPad, gPad, [&](int64_t c, int64_t g) {
        return toHalfBits(scales[c * groups + g]) |
               (uint32_t(toHalfBits(1024.0f + zeros[c * groups + g])) << 16);
      });
}

std::vector<float> transposeGroupTable(const std::vector<float> &scales,
                                       int64_t n, int64_t groups,
                                       int64_t nPad, int64_t gPad) {
  return transposedGroups<float>(
      n, groups, nPad, gPad,
      [&](int64_t c, int64_t g) { return scales[c * groups + g]; });
}

} // namespace compress
} // namespace qsl
