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

// Row order of N:M storage: [kept, n] storage read by rows, each run's two
// entries ordered by position; a run that repeats a position is refused.
TEST(GpuLayout, SparseRowOrderSortsRuns) {
  // [kept = 4, n = 2]: row 0 positions (3, 1 | 0, 2), row 1 (0, 2 | 2, 1).
  std::vector<int64_t> pos = {3, 0, 1, 2, 0, 2, 2, 1};
  std::vector<int64_t> order = sparseRowOrder(pos, 2, 4, 2, false);
  ASSERT_EQ(order.size(), 8u);
  // Row 0: storage indices of entries 0..3 are 0, 2, 4, 6; run 0 swaps.
  EXPECT_EQ(order, (std::vector<int64_t>{2, 0, 4, 6, 1, 3, 7, 5}));
  // [n, kept] storage: the same positions per row.
  std::vector<int64_t> rows = {3, 1, 0, 2, 0, 2, 2, 1};
  EXPECT_EQ(sparseRowOrder(rows, 2, 4, 2, true),
            (std::vector<int64_t>{1, 0, 2, 3, 4, 5, 7, 6}));
  rows[1] = 3;
  EXPECT_TRUE(sparseRowOrder(rows, 2, 4, 2, true).empty());
}

// Metadata registers, worked by hand: row 0 of a 3-row weight with 4 kept
// entries (K = 8, one step) has positions (1, 3 | 0, 2); entries 4..15 and
// rows 3..15 are padding runs (0, 1).
TEST(GpuLayout, SparseMmaMetaLiteral) {
  std::vector<int64_t> pos = {1, 3, 0, 2, /*row 1*/ 0, 1, 2, 3,
                              /*row 2*/ 1, 2, 0, 3};
  std::vector<uint32_t> m = packSparseMmaMeta(pos, 3, 4, 16, 1);
  ASSERT_EQ(m.size(), 16u);
  // Lane 0 (g = 0, h = 0): row 0 entries 0..7 = 1,3,0,2,0,1,0,1 in bits
  // 0-15 (0x448D), row 8 (padding, 0x4444) in bits 16-31.
  EXPECT_EQ(m[0], 0x4444448Du);
  // Lane 1 (h = 1): entries 8..15 of rows 0 and 8, all padding.
  EXPECT_EQ(m[1], 0x44444444u);
  // Lane 4 (g = 1): row 1 entries 0,1,2,3 = 0,1,2,3 -> 0x44E4.
  EXPECT_EQ(m[2], 0x444444E4u);
  // Lane 8 (g = 2): row 2 = 1,2,0,3 -> 0x44C9.
  EXPECT_EQ(m[4], 0x444444C9u);
  // No nibble is one of the patterns PTX leaves undefined (repeated
  // positions 0x0, 0x5, 0xA, 0xF).
  for (uint32_t w : m)
    for (int i = 0; i < 8; ++i) {
      uint32_t nib = (w >> (4 * i)) & 0xF;
      EXPECT_TRUE(nib != 0x0 && nib != 0x5 && nib != 0xA && nib != 0xF);
    }
}

// The two tiles of a 2-tile, 2-step table land at [t, s, lane slot].
TEST(GpuLayout, SparseMmaMetaTileOrder) {
  int64_t n = 20, kept = 20; // K = 40: two steps, the second partly padding
  std::vector<int64_t> pos(n * kept);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t e = 0; e < kept; ++e)
      pos[r * kept + e] = e % 2 ? 3 : 2; // every run (2, 3): nibble 0xE
  std::vector<uint32_t> m = packSparseMmaMeta(pos, n, kept, 32, 2);
  ASSERT_EQ(m.size(), 2u * 2u * 16u);
  EXPECT_EQ(m[(0 * 2 + 0) * 16 + 0], 0xEEEEEEEEu); // rows 0, 8; entries 0-7
  // Step 1, h = 0: entries 16..23: 16..19 real, 20..23 padding.
  EXPECT_EQ(m[(0 * 2 + 1) * 16 + 0], 0x44EE44EEu);
  // Tile 1, g = 3: rows 19 (real) and 27 (padding).
  EXPECT_EQ(m[(1 * 2 + 0) * 16 + 6], 0x4444EEEEu);
  EXPECT_EQ(m[(1 * 2 + 1) * 16 + 6], 0x444444EEu);
}

TEST(GpuLayout, HalfBits) {
  EXPECT_EQ(toHalfBits(1.0f), 0x3C00);
  EXPECT_EQ(toHalfBits(-2.5f), 0xC100);
  EXPECT_EQ(toHalfBits(65504.0f), 0x7BFF);
  EXPECT_EQ(toHalfBits(0.0f), 0x0000);
  // Ties round to even: 1 + 2^-11 -> 1.0; 1 + 3 * 2^-11 -> 1 + 2^-9.
  EXPECT_EQ(toHalfBits(1.0f + 0x1p-11f), 0x3C00);
  EXPECT_EQ(toHalfBits(1.0f + 3 * 0x1p-11f), 0x3C02);
}

// Literal example of the fragment-ordered words: 4-bit codes (c + k) % 16
// of an [N = 9, K = 20] weight: one tile (columns 9..31 padding), one chunk
// of two k-steps (rows 20..31 padding). Lane 0 (g = 0, i = 0), word 0 holds
// pairs 0..3 of step 0: (n-tile 0, rows 0/1), (n-tile 0, rows 8/9), (n-tile
// 1 = column 8, rows 0/1), (column 8, rows 8/9); even rows in the low half.
TEST(GpuLayout, LiteralMmaFragmentWords) {
  int64_t n = 9, k = 20;
  std::vector<int64_t> codes(n * k);
  for (int64_t c = 0; c < n; ++c)
    for (int64_t kk = 0; kk < k; ++kk)
      codes[c * k + kk] = (c + kk) % 16;
  std::vector<uint32_t> w =
      packMmaFragmentWords(codes.data(), n, k, 4, /*transposed=*/true, 0);
  ASSERT_EQ(w.size(), 1u * 1u * 32u * 4u);
  // Low half: 0 | 8 << 4 | 8 << 8 | 0 << 12; high: 1 | 9 << 4 | 9 << 8 | 1 << 12.
  EXPECT_EQ(w[0], 0x19910880u);
  EXPECT_EQ(w[1], 0u); // n-tiles 2 and 3: padding columns
  // Word 2, step 1: (column 0, rows 16/17), (rows 24/25: padding),
  // (column 8, rows 16/17), padding.
  EXPECT_EQ(w[2], 0x09010800u);
  // Lane 5 (g = 1, i = 1): column 1, rows 2/3 then 10/11; column 9 absent.
  EXPECT_EQ(w[5 * 4 + 0], (4u << 16 | 3u) | ((12u << 16 | 11u) << 4));
}

// Every code comes back from its place, for 1..8 bits, both weight forms,
// signed codes stored with an offset; and the kernel's decoding of a pair,
// (word >> slot b) & (m | m << 16), gives the codes of rows k and k + 1 of
// one column in its two halves, for every lane, pair and chunk.
TEST(GpuLayout, MmaFragmentRoundTripAndPairs) {
  std::mt19937 rng(11);
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (bool transposed : {false, true}) {
      int64_t n = 45, k = 70, offset = bits > 1 ? 1 << (bits - 1) : 0;
      std::uniform_int_distribution<int64_t> dist(-offset,
                                                  (1 << bits) - 1 - offset);
      std::vector<int64_t> codes(n * k);
      for (int64_t &c : codes)
        c = dist(rng);
      auto at = [&](int64_t c, int64_t kk) {
        return transposed ? codes[c * k + kk] : codes[kk * n + c];
      };
      std::vector<uint32_t> w =
          packMmaFragmentWords(codes.data(), n, k, bits, transposed, offset);
      MmaFragmentShape f = mmaFragmentShape(n, k, bits);
      ASSERT_EQ(static_cast<int64_t>(w.size()), f.words());
      for (int64_t c = 0; c < n; ++c)
        for (int64_t kk = 0; kk < k; ++kk)
          ASSERT_EQ(readMmaFragmentCode(w, n, k, bits, c, kk),
                    static_cast<uint32_t>(at(c, kk) + offset))
              << "bits " << bits << " col " << c << " k " << kk;
      uint32_t m = (1u << bits) - 1u, pairMask = m | (m << 16);
      int64_t perWord = 2 * f.steps;
      for (int64_t tile = 0; tile < f.tiles; ++tile)
        for (int64_t chunk = 0; chunk < f.chunks; ++chunk)
          for (int64_t lane = 0; lane < 32; ++lane)
            for (int64_t p = 0; p < 8 * f.steps; ++p) {
              uint32_t word =
                  w[((tile * f.chunks + chunk) * 32 + lane) * 4 + p / perWord];
              uint32_t pair = (word >> ((p % perWord) * bits)) & pairMask;
              int64_t step = p / 8, t = (p % 8) / 2, r = p % 2;
              int64_t col = tile * 32 + 8 * t + lane / 4;
              int64_t row = chunk * 16 * f.steps + step * 16 + 8 * r +
                            2 * (lane % 4);
              for (int64_t h = 0; h < 2; ++h) {
                uint32_t expect = col < n && row + h < k
                                      ? static_cast<uint32_t>(
                                            at(col, row + h) + offset) & m
                                      : 0u;
                ASSERT_EQ((pair >> (16 * h)) & m, expect)
                    << "bits " << bits << " lane " << lane << " pair " << p;
              }
            }
    }
}

// The sparse variant: every kept code comes back, and the pair the kernel
// decodes for (lane, step, register) holds kept entries 16 s + 8 (r / 2) +
// 2 i + {0, 1} of row g + 8 (r % 2).
TEST(GpuLayout, MmaSparseRoundTripAndPairs) {
  std::mt19937 rng(13);
  for (unsigned bits : {2u, 3u, 4u, 8u, 16u}) { // 16: f16 values
    int64_t n = 37, k = 200, perRow = k / 2, offset = 1 << (bits - 1);
    std::uniform_int_distribution<int64_t> dist(-offset,
                                                (1 << bits) - 1 - offset);
    std::vector<int64_t> kept(n * perRow);
    for (int64_t &c : kept)
      c = dist(rng);
    std::vector<uint32_t> w = packMmaSparseWords(kept, n, k, bits, offset);
    MmaSparseShape f = mmaSparseShape(n, k, bits);
    ASSERT_EQ(static_cast<int64_t>(w.size()), f.words());
    for (int64_t r = 0; r < n; ++r)
      for (int64_t e = 0; e < perRow; ++e)
        ASSERT_EQ(readMmaSparseCode(w, n, k, bits, r, e),
                  static_cast<uint32_t>(kept[r * perRow + e] + offset))
            << "bits " << bits << " row " << r << " entry " << e;
    uint32_t m = (1u << bits) - 1u;
    for (int64_t tile = 0; tile < f.tiles; ++tile)
      for (int64_t chunk = 0; chunk < f.chunks; ++chunk)
        for (int64_t lane = 0; lane < 32; ++lane)
          for (int64_t p = 0; p < 4 * f.steps; ++p) {
            uint32_t word =
                w[((tile * f.chunks + chunk) * 32 + lane) * 4 + p / f.steps];
            uint32_t pair = (word >> ((p % f.steps) * bits)) & (m | m << 16);
            int64_t s = p / 4, reg = p % 4;
            int64_t row = tile * 16 + lane / 4 + 8 * (reg % 2);
            int64_t e = (chunk * f.steps + s) * 16 + 8 * (reg / 2) +
                        2 * (lane % 4);
            for (int64_t h = 0; h < 2; ++h) {
              uint32_t expect =
                  row < n && e + h < perRow
                      ? static_cast<uint32_t>(kept[row * perRow + e + h] +
                                              offset) & m
                      : 0u;
              ASSERT_EQ((pair >> (16 * h)) & m, expect)
                  << "bits " << bits << " lane " << lane << " pair " << p;
            }
          }
  }
}

TEST(GpuLayout, ScaleZeroWords) {
  // [n = 2, groups = 2] -> [gPad = 3, nPad = 4], transposed.
  std::vector<float> s = {1.0f, 2.0f, /*col 1*/ 0.5f, -1.0f};
  std::vector<float> z = {0.0f, 3.0f, /*col 1*/ 15.0f, 8.0f};
  std::vector<uint32_t> w = packScaleZeroWords(s, z, 2, 2, 4, 3);
  ASSERT_EQ(w.size(), 12u);
  EXPECT_EQ(w[0], 0x64003C00u); // 1, 1024
  EXPECT_EQ(w[1], 0x640F3800u); // 0.5, 1039
  EXPECT_EQ(w[4], 0x64034000u); // 2, 1027
  EXPECT_EQ(w[5], 0x6408BC00u); // -1, 1032
  for (int i : {2, 3, 6, 7, 8, 9, 10, 11})
    EXPECT_EQ(w[i], 0u);
  std::vector<float> t = transposeGroupTable(s, 2, 2, 4, 3);
  EXPECT_EQ(t, (std::vector<float>{1, 0.5f, 0, 0, 2, -1, 0, 0, 0, 0, 0, 0}));
}

} // namespace
