//===- PackTest.cpp - Bit packing of codes and N:M compression ------------===//
#include "qsl/Compress/Pack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>

using namespace qsl::compress;

namespace {

/// An independent packer: stream bit i*b + k is bit k of code i, and stream
/// bit s is bit s % 8 of byte s / 8.
std::vector<uint8_t> packBitByBit(const std::vector<int32_t> &codes,
                                  unsigned bits) {
  std::vector<uint8_t> out((codes.size() * bits + 7) / 8, 0);
  for (size_t i = 0; i < codes.size(); ++i)
    for (unsigned k = 0; k < bits; ++k)
      if ((codes[i] >> k) & 1) {
        size_t s = i * bits + k;
        out[s / 8] |= uint8_t(1u << (s % 8));
      }
  return out;
}

std::vector<uint8_t> pack(const std::vector<int32_t> &codes, unsigned bits) {
  return packBits(codes.data(), int64_t(codes.size()), bits);
}

std::vector<int32_t> unpack(const std::vector<uint8_t> &bytes, int64_t count,
                            unsigned bits, bool isSigned) {
  return unpackBits(bytes.data(), count, bits, isSigned);
}

/// A random mask with exactly n kept in every run of m along each row.
Mask randomNMMask(int64_t rows, int64_t cols, int64_t n, int64_t m,
                  std::mt19937 &rng) {
  Mask mask = Mask::Constant(rows, cols, false);
  std::vector<int> order(m);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c0 = 0; c0 < cols; c0 += m) {
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      for (int64_t k = 0; k < n; ++k)
        mask(r, c0 + order[k]) = true;
    }
  return mask;
}

} // namespace

TEST(PackBits, RoundTripsEveryWidthAndLength) {
  std::mt19937 rng(7);
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (bool isSigned : {false, true})
      for (int64_t count : {1, 7, 13, 1000}) {
        int32_t lo = isSigned ? -(1 << (bits - 1)) : 0;
        int32_t hi = isSigned ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
        std::uniform_int_distribution<int32_t> dist(lo, hi);
        std::vector<int32_t> codes(count);
        for (auto &c : codes)
          c = dist(rng);
        std::vector<uint8_t> bytes = pack(codes, bits);
        SCOPED_TRACE("bits " + std::to_string(bits) + " count " +
                     std::to_string(count) + (isSigned ? " signed" : ""));
        ASSERT_EQ(bytes.size(), size_t((count * bits + 7) / 8));
        EXPECT_EQ(bytes, packBitByBit(codes, bits));
        EXPECT_EQ(unpack(bytes, count, bits, isSigned), codes);
      }
}

TEST(PackBits, FourBitCodesByHand) {
  // Code 0 in bits 0-3 of byte 0, code 1 in bits 4-7, code 2 in bits 0-3 of
  // byte 1: 0x21, 0x0F.
  std::vector<uint8_t> expected = {0x21, 0x0F};
  EXPECT_EQ(pack({1, 2, 15}, 4), expected);
  EXPECT_EQ(unpack(expected, 3, 4, false), (std::vector<int32_t>{1, 2, 15}));
  // Signed: -1 -> 1111, -8 -> 1000, 7 -> 0111; byte 0 = 1000'1111.
  std::vector<uint8_t> signedBytes = {0x8F, 0x07};
  EXPECT_EQ(pack({-1, -8, 7}, 4), signedBytes);
  EXPECT_EQ(unpack(signedBytes, 3, 4, true), (std::vector<int32_t>{-1, -8, 7}));
  EXPECT_EQ(unpack(signedBytes, 3, 4, false), (std::vector<int32_t>{15, 8, 7}));
}

TEST(PackBits, ThreeBitCodesStraddleBytes) {
  // {1, 2, 3}: 001 at bits 0-2, 010 at bits 3-5, 011 at bits 6-8.
  // byte 0 = bits 7..0 = 11'010'001 = 0xD1; byte 1 = bit 8 = 0 -> 0x00.
  std::vector<uint8_t> a = {0xD1, 0x00};
  EXPECT_EQ(pack({1, 2, 3}, 3), a);
  EXPECT_EQ(unpack(a, 3, 3, false), (std::vector<int32_t>{1, 2, 3}));
  // {5, 6, 7}: 101, 110, 111. byte 0 = 11'110'101 = 0xF5; byte 1 holds the
  // top bit of 7 -> 0x01.
  std::vector<uint8_t> b = {0xF5, 0x01};
  EXPECT_EQ(pack({5, 6, 7}, 3), b);
  EXPECT_EQ(unpack(b, 3, 3, false), (std::vector<int32_t>{5, 6, 7}));
  // As signed 3-bit codes, 101/110/111 are -3/-2/-1.
  EXPECT_EQ(unpack(b, 3, 3, true), (std::vector<int32_t>{-3, -2, -1}));
}

TEST(PackBits, OneBitAndOutOfRangeCodes) {
  // Bits 0..8 of the stream: 1,0,1,1,0,0,0,0 | 1 -> 0x0D, 0x01.
  EXPECT_EQ(pack({1, 0, 1, 1, 0, 0, 0, 0, 1}, 1),
            (std::vector<uint8_t>{0x0D, 0x01}));
  // Only the low b bits are stored: 17 = 1'0001 -> 0001.
  EXPECT_EQ(pack({17}, 4), (std::vector<uint8_t>{0x01}));
  EXPECT_EQ(pack({0x1FF}, 8), (std::vector<uint8_t>{0xFF}));
  EXPECT_TRUE(pack({}, 4).empty());
}

TEST(PackBits, TwoFourMetadataBytePacksTwoRuns) {
  // Run 0 keeps positions {0, 2}, run 1 keeps {1, 3}; 2-bit fields, run 0
  // in bits 0-3: 3<<6 | 1<<4 | 2<<2 | 0 = 0xC0 + 0x10 + 0x08 = 0xD8.
  Matrix dense(1, 8);
  dense << 1, 0, 2, 0, 0, 3, 0, 4;
  Mask mask(1, 8);
  mask << true, false, true, false, false, true, false, true;
  Matrix values;
  IntMatrix positions;
  ASSERT_TRUE(compressNM<float>(dense, mask, 2, 4, values, positions));
  ASSERT_EQ(positions.cols(), 4);
  std::vector<int32_t> meta(positions.data(), positions.data() + 4);
  EXPECT_EQ(meta, (std::vector<int32_t>{0, 2, 1, 3}));
  EXPECT_EQ(pack(meta, 2), (std::vector<uint8_t>{0xD8}));
}

TEST(CompressNM, ValuesAndPositionsByHand) {
  Matrix dense(2, 8);
  dense << 1, 2, 3, 4, 5, 6, 7, 8, //
      -1, -2, -3, -4, -5, -6, -7, -8;
  Mask mask(2, 8);
  mask << false, true, false, true, true, true, false, false, //
      true, false, false, true, false, false, true, true;
  Matrix values;
  IntMatrix positions;
  ASSERT_TRUE(compressNM<float>(dense, mask, 2, 4, values, positions));
  Matrix expectedValues(2, 4);
  expectedValues << 2, 4, 5, 6, //
      -1, -4, -7, -8;
  IntMatrix expectedPositions(2, 4);
  expectedPositions << 1, 3, 0, 1, //
      0, 3, 2, 3;
  EXPECT_EQ(values, expectedValues);
  EXPECT_EQ(positions, expectedPositions);
  Matrix expectedDense(2, 8);
  expectedDense << 0, 2, 0, 4, 5, 6, 0, 0, //
      -1, 0, 0, -4, 0, 0, -7, -8;
  EXPECT_EQ(expandNM<float>(values, positions, 4), expectedDense);
}

TEST(CompressNM, RoundTripsRandomMasks) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal;
  for (auto [n, m] :
       {std::pair<int64_t, int64_t>{2, 4}, {4, 8}, {1, 4}, {3, 8}}) {
    const int64_t rows = 9, cols = 48;
    Matrix dense(rows, cols);
    for (int64_t i = 0; i < dense.size(); ++i)
      dense.data()[i] = normal(rng);
    Mask mask = randomNMMask(rows, cols, n, m, rng);
    Matrix values;
    IntMatrix positions;
    SCOPED_TRACE(std::to_string(n) + ":" + std::to_string(m));
    ASSERT_TRUE(compressNM<float>(dense, mask, n, m, values, positions));
    ASSERT_EQ(values.rows(), rows);
    ASSERT_EQ(values.cols(), cols * n / m);
    // Every stored value is the dense element its position points at.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t k = 0; k < values.cols(); ++k) {
        int64_t c = k / n * m + positions(r, k);
        EXPECT_TRUE(mask(r, c));
        EXPECT_EQ(values(r, k), dense(r, c));
      }
    Matrix back = expandNM<float>(values, positions, m);
    ASSERT_EQ(back.rows(), rows);
    ASSERT_EQ(back.cols(), cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c)
        EXPECT_EQ(back(r, c), mask(r, c) ? dense(r, c) : 0.0f);
  }
}

TEST(CompressNM, IntegerCodes) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> dist(-8, 7);
  IntMatrix codes(4, 16);
  for (int64_t i = 0; i < codes.size(); ++i)
    codes.data()[i] = dist(rng);
  Mask mask = randomNMMask(4, 16, 2, 4, rng);
  IntMatrix values, positions;
  ASSERT_TRUE(compressNM<int32_t>(codes, mask, 2, 4, values, positions));
  IntMatrix back = expandNM<int32_t>(values, positions, 4);
  for (int64_t r = 0; r < 4; ++r)
    for (int64_t c = 0; c < 16; ++c)
      EXPECT_EQ(back(r, c), mask(r, c) ? codes(r, c) : 0);
}

TEST(CompressNM, RejectsRunsWithTheWrongCount) {
  Matrix dense = Matrix::Ones(2, 8);
  Mask mask(2, 8);
  mask << true, true, false, false, true, false, true, false, //
      true, true, true, false, true, false, false, false;     // 3 then 1
  Matrix values;
  IntMatrix positions;
  EXPECT_FALSE(compressNM<float>(dense, mask, 2, 4, values, positions));
  mask.row(1) << true, true, false, false, true, true, false, false;
  EXPECT_TRUE(compressNM<float>(dense, mask, 2, 4, values, positions));
  // One run keeping a single element.
  mask(1, 5) = false;
  EXPECT_FALSE(compressNM<float>(dense, mask, 2, 4, values, positions));
  // Columns that are not whole runs.
  EXPECT_FALSE(compressNM<float>(Matrix::Ones(1, 6), Mask::Constant(1, 6, true),
                                 2, 4, values, positions));
}

TEST(CompressNM, ExpandReadsAmbiguous24RowsAsTwoFour) {
  // Pack.h's expandNM is not told N; a single 2:4 row keeping {0,1} and
  // {2,3} also reads as one 4:4 run. 2:4 (N = M/2) is the reading taken.
  Matrix values(1, 4);
  values << 1, 2, 3, 4;
  IntMatrix positions(1, 4);
  positions << 0, 1, 2, 3;
  Matrix expected(1, 8);
  expected << 1, 2, 0, 0, 0, 0, 3, 4;
  EXPECT_EQ(expandNM<float>(values, positions, 4), expected);
}
