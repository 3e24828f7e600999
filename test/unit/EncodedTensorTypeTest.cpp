//===- EncodedTensorTypeTest.cpp - Storage questions on encoded tensors ----===//
//
// Expected sizes are worked out by hand from the side-tensor shapes in the
// comments, independently of the implementation.
//
//===----------------------------------------------------------------------===//
#include "qsl/Dialect/QSL/IR/EncodedTensorType.h"
#include "qsl/Dialect/QSL/IR/QslDialect.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::qsl;

namespace {

class EncodedTensorTypeTest : public ::testing::Test {
protected:
  EncodedTensorTypeTest() { ctx.loadDialect<QslDialect>(); }

  Type parse(StringRef text) { return parseType(text, &ctx); }

  EncodedTensorType view(StringRef text) {
    std::optional<EncodedTensorType> v = EncodedTensorType::get(parse(text));
    EXPECT_TRUE(v.has_value()) << text.str();
    return *v;
  }

  std::string str(Type t) {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << t;
    return s;
  }

  MLIRContext ctx;
};

TEST_F(EncodedTensorTypeTest, W4G128) {
  EncodedTensorType v = view(
      "tensor<768x3072xf16, #qsl.encoding<quant = <bits = 4, group = 128, "
      "scale = f16>>>");
  SmallVector<StorageTensor> storage = v.getStorage();
  ASSERT_EQ(storage.size(), 2u);
  EXPECT_EQ(storage[0].role, StorageRole::Values);
  EXPECT_EQ(str(storage[0].type), "tensor<768x3072xi4>");
  EXPECT_EQ(storage[1].role, StorageRole::Scales);
  EXPECT_EQ(str(storage[1].type), "tensor<6x3072xf16>");
  // 768*3072*4 + 6*3072*16
  EXPECT_EQ(v.getStorageBits(), 9437184 + 294912);
  EXPECT_DOUBLE_EQ(v.getBitsPerParameter(), 4.125);
  EXPECT_EQ(v.getDenseBits(), 768 * 3072 * 16);
  EXPECT_EQ(v.getStorageBytes(), (9437184 + 294912) / 8);
}

TEST_F(EncodedTensorTypeTest, AllFacetsInStorageOrder) {
  EncodedTensorType v = view(
      "tensor<256x512xf16, #qsl.encoding<quant = <bits = 4, group = 64, "
      "scale = f16, zero = i4>, sparse = <2:4>, outliers = <count = 128, "
      "type = f16>, lowrank = <rank = 16, type = f16>>>");
  std::vector<std::pair<std::string, std::string>> expected = {
      {"values", "tensor<128x512xi4>"}, {"scales", "tensor<4x512xf16>"},
      {"zeros", "tensor<4x512xi4>"},    {"meta", "tensor<128x512xi2>"},
      {"outlier_indices", "tensor<128xi32>"},
      {"outlier_values", "tensor<128xf16>"},
      {"u", "tensor<256x16xf16>"},      {"v", "tensor<16x512xf16>"}};
  SmallVector<StorageTensor> storage = v.getStorage();
  ASSERT_EQ(storage.size(), expected.size());
  for (size_t i = 0; i < storage.size(); ++i) {
    EXPECT_EQ(getStorageRoleName(storage[i].role).str(), expected[i].first);
    EXPECT_EQ(str(storage[i].type), expected[i].second);
  }
  EXPECT_EQ(v.getStorageBits(), 636928);
  EXPECT_FALSE(v.getStorage(StorageRole::Codebook).has_value());
  EXPECT_EQ(v.getStorage(StorageRole::Meta)->bitsPerElement, 2u);
}

TEST_F(EncodedTensorTypeTest, ConvFilterMatrixView) {
  EncodedTensorType v = view(
      "tensor<64x32x3x3xf32, #qsl.encoding<quant = <bits = 8, axis = 1, "
      "group = 96, scale = f32>, lowrank = <rank = 4, type = f32>>>");
  EXPECT_EQ(v.getMatrixRows(), 64);
  EXPECT_EQ(v.getMatrixCols(), 288);
  EXPECT_EQ(v.getGroupShape(), (SmallVector<int64_t>{64, 3}));
  EXPECT_EQ(str(v.getStorage(StorageRole::Values)->type),
            "tensor<64x288xi8>");
  EXPECT_EQ(str(v.getStorage(StorageRole::LowRankV)->type),
            "tensor<4x288xf32>");
}

TEST_F(EncodedTensorTypeTest, VectorIsAColumn) {
  EncodedTensorType v =
      view("tensor<10xf32, #qsl.encoding<sparse = <unstructured, nnz = 3>>>");
  EXPECT_EQ(v.getMatrixRows(), 10);
  EXPECT_EQ(v.getMatrixCols(), 1);
  EXPECT_EQ(str(v.getStorage(StorageRole::Mask)->type), "tensor<10x1xi1>");
  EXPECT_EQ(str(v.getStorage(StorageRole::Values)->type), "tensor<3xf32>");
  EXPECT_EQ(v.getStorageBits(), 3 * 32 + 10);
}

TEST_F(EncodedTensorTypeTest, OutlierIndexWidth) {
  // 2^31 - 65536 elements still fit i32; 2^31 elements need i64.
  EncodedTensorType small = view(
      "tensor<65535x32768xf16, #qsl.encoding<outliers = <count = 1, type = "
      "f16>>>");
  EXPECT_EQ(small.getOutlierIndexType().getWidth(), 32u);
  EncodedTensorType large = view(
      "tensor<65536x32768xf16, #qsl.encoding<outliers = <count = 1, type = "
      "f16>>>");
  EXPECT_EQ(large.getOutlierIndexType().getWidth(), 64u);
}

TEST_F(EncodedTensorTypeTest, NotEncoded) {
  EXPECT_FALSE(EncodedTensorType::get(parse("tensor<4x4xf32>")).has_value());
  EXPECT_FALSE(EncodedTensorType::get(parse("f32")).has_value());
}

TEST_F(EncodedTensorTypeTest, InvalidEncodingIsDiagnosed) {
  std::string message;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  Type t = parse("tensor<100x8xf32, #qsl.encoding<quant = <bits = 4, group = "
                 "48, scale = f16>>>");
  EXPECT_FALSE(t);
  EXPECT_EQ(message, "quant group size 48 does not divide axis 0 of size 100 "
                     "(matrix view 100x8)");
}

} // namespace
