//===- EncodedConstantTest.cpp - Position-wise contents <-> qsl.constant ---===//
//
// Packs random position-wise contents into a qsl.constant for every sparse
// layout (N:M along either axis, unstructured, block) with and without a
// quant facet, reads them back, and checks the round trip and the dense
// approximation against the encoding's definition computed here by hand.
//
//===----------------------------------------------------------------------===//
#include "qsl/Dialect/QSL/IR/EncodedConstant.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include "gtest/gtest.h"

#include <random>

using namespace mlir;
using namespace mlir::qsl;

namespace {

class EncodedConstantTest : public ::testing::Test {
protected:
  EncodedConstantTest() : builder(&ctx) {
    ctx.loadDialect<QslDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
  }

  RankedTensorType type(StringRef text) {
    return llvm::cast<RankedTensorType>(parseType(text, &ctx));
  }

  /// A keep mask with exactly `n` kept per run of `m` along `axis`.
  std::vector<uint8_t> nmMask(int64_t rows, int64_t cols, int64_t n, int64_t m,
                              int64_t axis) {
    std::vector<uint8_t> keep(rows * cols, 0);
    int64_t runs = (axis == 0 ? rows : cols) / m, across = axis == 0 ? cols : rows;
    for (int64_t a = 0; a < across; ++a)
      for (int64_t run = 0; run < runs; ++run) {
        std::vector<int64_t> pos(m);
        for (int64_t p = 0; p < m; ++p)
          pos[p] = p;
        std::shuffle(pos.begin(), pos.end(), rng);
        for (int64_t s = 0; s < n; ++s) {
          int64_t p = run * m + pos[s];
          keep[axis == 0 ? p * cols + a : a * cols + p] = 1;
        }
      }
    return keep;
  }

  /// Builds, reads back and compares; returns the contents read.
  EncodedContents roundTrip(RankedTensorType t, const EncodedContents &in) {
    FailureOr<ConstantOp> op =
        buildEncodedConstant(builder, builder.getUnknownLoc(), t, in, "w");
    EXPECT_TRUE(succeeded(op));
    if (failed(op))
      return {};
    FailureOr<EncodedContents> back = readEncodedConstant(*op);
    EXPECT_TRUE(succeeded(back));
    return *back;
  }

  MLIRContext ctx;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  std::mt19937 rng{42};
};

TEST_F(EncodedConstantTest, SparseOnlyLayoutsRoundTrip) {
  std::normal_distribution<double> normal;
  struct Case {
    const char *type;
    std::function<std::vector<uint8_t>()> mask;
  };
  std::vector<Case> cases = {
      {"tensor<8x6xf32, #qsl.encoding<sparse = <2:4>>>",
       [&] { return nmMask(8, 6, 2, 4, 0); }},
      {"tensor<6x8xf32, #qsl.encoding<sparse = <2:4, axis = 1>>>",
       [&] { return nmMask(6, 8, 2, 4, 1); }},
      {"tensor<4x16xf32, #qsl.encoding<sparse = <4:8, axis = 1>>>",
       [&] { return nmMask(4, 16, 4, 8, 1); }},
  };
  for (const Case &c : cases) {
    RankedTensorType t = type(c.type);
    int64_t size = t.getNumElements();
    EncodedContents in;
    in.keep = c.mask();
    for (int64_t i = 0; i < size; ++i)
      in.values.push_back(in.keep[i] ? double(float(normal(rng))) : 0.0);
    EncodedContents back = roundTrip(t, in);
    EXPECT_EQ(back.keep, in.keep) << c.type;
    EXPECT_EQ(back.values, in.values) << c.type;
    // Dense approximation: the kept values, zeros elsewhere.
    std::vector<double> dense =
        denseApproximation(*EncodedTensorType::get(t), back);
    EXPECT_EQ(dense, in.values) << c.type;
  }
}

TEST_F(EncodedConstantTest, UnstructuredAndBlock) {
  // 4x4 with 5 kept elements.
  RankedTensorType u =
      type("tensor<4x4xf32, #qsl.encoding<sparse = <unstructured, nnz = 5>>>");
  EncodedContents in;
  in.keep = {1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1};
  for (int i = 0; i < 16; ++i)
    in.values.push_back(in.keep[i] ? i + 0.5 : 0.0);
  EncodedContents back = roundTrip(u, in);
  EXPECT_EQ(back.values, in.values);
  EXPECT_EQ(back.keep, in.keep);

  // 4x4 with 2x2 blocks: blocks (0,1) and (1,0) kept.
  RankedTensorType b =
      type("tensor<4x4xf32, #qsl.encoding<sparse = <block = 2x2, nnz = 2>>>");
  EncodedContents blk;
  blk.keep = {0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0};
  for (int i = 0; i < 16; ++i)
    blk.values.push_back(blk.keep[i] ? -i - 1.0 : 0.0);
  back = roundTrip(b, blk);
  EXPECT_EQ(back.values, blk.values);

  // A partially kept block, or a wrong count, is refused.
  blk.keep[2] = 0;
  EXPECT_TRUE(failed(buildEncodedConstant(builder, builder.getUnknownLoc(), b,
                                          blk, "bad")));
}

TEST_F(EncodedConstantTest, QuantWithSparsityStoresOnlyKeptCodes) {
  // 4x2, 2:4 along axis 0, asymmetric 4-bit, one group per column.
  RankedTensorType t = type("tensor<4x2xf32, #qsl.encoding<quant = <bits = 4, "
                            "scale = f32, zero = i4>, sparse = <2:4>>>");
  EncodedContents in;
  in.keep = {1, 0, 0, 1, 1, 1, 0, 0};
  in.codes = {3, 9, 15, 1, 7, 2, 0, 0};
  in.scales = {0.5, 0.25};
  in.zeros = {8, 4};
  EncodedContents back = roundTrip(t, in);
  EXPECT_EQ(back.keep, in.keep);
  for (int i = 0; i < 8; ++i)
    if (in.keep[i])
      EXPECT_EQ(back.codes[i], in.codes[i]) << i;
  // By hand: column 0 keeps rows 0 and 2: 0.5*(3-8), 0.5*(7-8);
  // column 1 keeps rows 1 and 2: 0.25*(1-4), 0.25*(2-4).
  std::vector<double> want = {-2.5, 0, 0, -0.75, -0.5, -0.5, 0, 0};
  EXPECT_EQ(denseApproximation(*EncodedTensorType::get(t), back), want);
  // Codes outside the 4-bit range are refused.
  in.codes[0] = 16;
  EXPECT_TRUE(failed(buildEncodedConstant(builder, builder.getUnknownLoc(), t,
                                          in, "bad")));
}

// Codebook quant: codes index per-group tables (group shape x K); with and
// without 2:4 sparsity; out-of-range codes are refused.
TEST_F(EncodedConstantTest, CodebookRoundTrip) {
  for (bool sparse : {false, true}) {
    int64_t rows = 6, cols = 8, k = 8, group = 4, groups = cols / group;
    RankedTensorType t = type(
        sparse ? "tensor<6x8xf32, #qsl.encoding<quant = <bits = 3, axis = 1, "
                 "group = 4, scale = f16, codebook = 8>, sparse = <2:4, axis = "
                 "1>>>"
               : "tensor<6x8xf32, #qsl.encoding<quant = <bits = 3, axis = 1, "
                 "group = 4, scale = f16, codebook = 8>>>");
    EncodedContents in;
    for (int64_t i = 0; i < rows * groups * k; ++i)
      in.codebook.push_back(0.25 * double(int64_t(rng() % 64) - 32));
    for (int64_t i = 0; i < rows * cols; ++i)
      in.codes.push_back(rng() % k);
    if (sparse) {
      in.keep = nmMask(rows, cols, 2, 4, 1);
      for (int64_t i = 0; i < rows * cols; ++i)
        if (!in.keep[i])
          in.codes[i] = 0; // what the reader returns for pruned slots
    }
    EncodedContents back = roundTrip(t, in);
    EXPECT_EQ(back.codebook, in.codebook);
    EXPECT_EQ(back.keep, in.keep);
    for (int64_t i = 0; i < rows * cols; ++i)
      if (!sparse || in.keep[i])
        EXPECT_EQ(back.codes[i], in.codes[i]) << i;
    std::vector<double> w =
        denseApproximation(*EncodedTensorType::get(t), back);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        int64_t i = r * cols + c;
        double want = (sparse && !in.keep[i])
                          ? 0.0
                          : in.codebook[(r * groups + c / group) * k +
                                        in.codes[i]];
        EXPECT_EQ(w[i], want) << r << "," << c;
      }
  }
  RankedTensorType t = type("tensor<2x4xf32, #qsl.encoding<quant = <bits = 3, "
                            "scale = f16, codebook = 4>>>");
  EncodedContents in;
  in.codebook.assign(4 * 4, 1.0);
  in.codes = {0, 1, 2, 3, 4, 0, 0, 0}; // 4 is past the 4-entry table
  EXPECT_TRUE(failed(buildEncodedConstant(builder, builder.getUnknownLoc(), t,
                                          in, "w")));
}

} // namespace
