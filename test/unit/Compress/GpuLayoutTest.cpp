//===- GpuLayoutTest.cpp - Word layout of the GPU GEMV kernels ------------===//
#include "qsl/Compress/GpuLayout.h"
#include "qsl/Compress/Pack.h"

#include <gtest/gtest.h>

#include <random>

using namespace qsl::compress;

namespace {

TEST(GpuLayout, WordsPerRow) {
  EXPECT_EQ(gpuWordsPerRow(37, 4), 5);
  EXPECT_EQ(gpuWordsPerRow(32, 4), 4);
  EXPECT_EQ(gpuWordsPerRow(1, 8), 1);
  EXPECT_EQ(gpuWordsPerRow(9, 8), 3);
  EXPECT_EQ(gpuWordsPerRow(17, 2), 2);
}

// Literal example: 4-bit codes 1..9 of one row (K = 9): word 0 holds codes
// 0..7 from the low nibble up, word 1 holds code 8 and zero padding.
TEST(GpuLayout, LiteralInt4Row) {
  std::vector<int64_t> codes = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<uint32_t> w = packGpuCodeWords(codes.data(), 1, 9, 4, true);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0], 0x87654321u);
  EXPECT_EQ(w[1], 0x00000009u);
}

// A row of the word layout is the bit stream of packing.md, read as
// little-endian 32-bit words and padded to whole words.
TEST(GpuLayout, RowIsLittleEndianBitStream) {
  std::mt19937 rng(7);
  for (unsigned bits : {2u, 4u, 8u}) {
    int64_t n = 3, k = 45;
    std::vector<int64_t> codes(n * k);
    std::vector<int32_t> codes32(n * k);
    std::uniform_int_distribution<int> dist(0, (1 << bits) - 1);
    for (int64_t i = 0; i < n * k; ++i)
      codes32[i] = static_cast<int32_t>(codes[i] = dist(rng));
    std::vector<uint32_t> words = packGpuCodeWords(codes.data(), n, k, bits,
                                                   /*transposed=*/true);
    int64_t w = gpuWordsPerRow(k, bits);
    for (int64_t r = 0; r < n; ++r) {
      std::vector<uint8_t> stream = packBits(codes32.data() + r * k, k, bits);
      stream.resize(w * 4, 0);
      for (int64_t i = 0; i < w; ++i) {
        uint32_t expect = stream[4 * i] | (stream[4 * i + 1] << 8) |
                          (stream[4 * i + 2] << 16) |
                          (uint32_t(stream[4 * i + 3]) << 24);
        EXPECT_EQ(words[r * w + i], expect) << "bits " << bits << " row " << r;
      }
    }
  }
}

// [K, N] input is transposed into [N, W]; signed codes come back
// sign-extended.
TEST(GpuLayout, TransposeAndSignedRoundTrip) {
  std::mt19937 rng(11);
  for (unsigned bits : {4u, 8u}) {
    int64_t kDim = 13, nDim = 5;
    std::vector<int64_t> kn(kDim * nDim);
    std::uniform_int_distribution<int> dist(-(1 << (bits - 1)),
                                            (1 << (bits - 1)) - 1);
    for (auto &c : kn)
      c = dist(rng);
    std::vector<uint32_t> words =
        packGpuCodeWords(kn.data(), nDim, kDim, bits, /*transposed=*/false);
    EXPECT_EQ(words.size(), size_t(nDim * gpuWordsPerRow(kDim, bits)));
    for (int64_t c = 0; c < kDim; ++c)
      for (int64_t r = 0; r < nDim; ++r)
        EXPECT_EQ(readGpuCode(words, kDim, r, c, bits, /*isSigned=*/true),
                  kn[c * nDim + r]);
  }
}

// Widths that do not divide 32: floor(32 / b) codes per word, never split
// across words, the top bits of every word zero.
TEST(GpuLayout, NonDividingWidthsPadEachWord) {
  EXPECT_EQ(gpuCodesPerWord(3), 10);
  EXPECT_EQ(gpuCodesPerWord(5), 6);
  EXPECT_EQ(gpuCodesPerWord(6), 5);
  EXPECT_EQ(gpuCodesPerWord(7), 4);
  EXPECT_EQ(gpuWordsPerRow(21, 3), 3);
  // 3-bit codes 1..7 then 0, 1, 2, 3: ten in word 0 (bits 0..29), the
  // eleventh starts word 1.
  std::vector<int64_t> codes = {1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3};
  std::vector<uint32_t> w = packGpuCodeWords(codes.data(), 1, 11, 3, true);
  ASSERT_EQ(w.size(), 2u);
  uint32_t expect = 0;
  for (int i = 0; i < 10; ++i)
    expect |= uint32_t(codes[i]) << (3 * i);
  EXPECT_EQ(w[0], expect);
  EXPECT_EQ(w[0] >> 30, 0u);
  EXPECT_EQ(w[1], 3u);

  std::mt19937 rng(5);
  for (unsigned bits : {3u, 5u, 6u, 7u}) {
    int64_t kDim = 23, nDim = 4;
    std::vector<int64_t> kn(kDim * nDim);
    std::uniform_int_distribution<int> dist(-(1 << (bits - 1)),
                                            (1 << (bits - 1)) - 1);
    for (auto &c : kn)
      c = dist(rng);
    std::vector<uint32_t> words =
        packGpuCodeWords(kn.data(), nDim, kDim, bits, /*transposed=*/false);
    int64_t perWord = gpuCodesPerWord(bits);
    for (uint32_t word : words)
      EXPECT_EQ(uint64_t(word) >> (perWord * bits), 0u) << "bits " << bits;
    for (int64_t c = 0; c < kDim; ++c)
      for (int64_t r = 0; r < nDim; ++r)
        EXPECT_EQ(readGpuCode(words, kDim, r, c, bits, /*isSigned=*/true),
                  kn[c * nDim + r])
            << "bits " << bits;
  }
}

} // namespace
