//===- GpuLayout.cpp - Weight layouts the GPU kernels read ----------------===//
#include "qsl/Compress/GpuLayout.h"

#include <cassert>

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

} // namespace compress
} // namespace qsl
