//===- Quantization.cpp - Low-bit ONNX weights as qsl encodings ------------===//
//
// DequantizeLinear of a constant (per-tensor, per-axis, and opset-21
// block-wise with int4/uint4/int8/uint8 codes) and com.microsoft
// MatMulNBits become a qsl.constant with a quant facet; the dense float
// tensor is its qsl.unpack, and MatMul/Gemm on such a weight become
// qsl.matmul (see Linear.cpp). Quantization of values computed at run time
// (QuantizeLinear, DequantizeLinear of a non-constant) is plain arithmetic.
//
//===----------------------------------------------------------------------===//
#include "../ImportContext.h"

#include "qsl/Dialect/QSL/IR/EncodedConstant.h"
#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

namespace {

/// A quantized weight in qsl's terms (matrix view, row-major data).
struct QuantWeight {
  SmallVector<int64_t> shape; // logical
  unsigned bits = 8;
  int64_t axis = 0, group = 0;
  FloatType scaleType;
  SmallVector<int64_t> codes;  // signed when symmetric, else unsigned
  SmallVector<double> scales;  // group shape
  SmallVector<int64_t> zeros;  // unsigned integer zero points (asymmetric)
  bool symmetric = true;
};

/// qsl.constant for `w`, and its qsl.unpack.
Value emitEncoded(NodeContext &n, const QuantWeight &w, llvm::StringRef name) {
  MLIRContext *ctx = n.b.getContext();
  Type codeType = IntegerType::get(ctx, w.bits);
  Type zeroType = w.symmetric ? Type() : codeType;
  auto quant = QuantAttr::get(ctx, w.bits, w.axis, w.group, w.scaleType,
                              zeroType, /*codebook=*/0, /*stat_bits=*/0,
                              /*stat_group=*/0);
  auto encoding = EncodingAttr::get(ctx, quant, {}, {}, {}, {});
  auto type = RankedTensorType::get(w.shape, w.scaleType, encoding);
  std::optional<EncodedTensorType> view = EncodedTensorType::get(type);
  if (!view || failed(encoding.verifyEncoding(w.shape, w.scaleType, [&]() {
        return mlir::emitError(n.loc);
      })))
    fail("the quantization parameters do not form a valid qsl encoding");
  EncodedContents contents;
  contents.codes.assign(w.codes.begin(), w.codes.end());
  contents.scales.assign(w.scales.begin(), w.scales.end());
  if (!w.symmetric)
    contents.zeros.assign(w.zeros.begin(), w.zeros.end());
  FailureOr<ConstantOp> constant =
      buildEncodedConstant(n.b, n.loc, type, contents, name);
  if (failed(constant))
    fail("quantized data does not match its shape");
  return UnpackOp::create(n.b, n.loc, view->getDenseType(), *constant);
}

/// Bits of an ONNX integer code type, and whether it is signed.
void codeType(NodeContext &n, size_t input, unsigned &bits, bool &isSigned) {
  Type t = n.inputType(input).getElementType();
  if (!t.isInteger(4) && !t.isInteger(8))
    fail("codes must be int4, uint4, int8 or uint8 to become a qsl encoding");
  bits = t.getIntOrFloatBitWidth();
  isSigned = !n.isUnsignedInput(input);
}

/// DequantizeLinear of a constant as a QuantWeight; false when the layout
/// has no qsl encoding (the caller then computes it densely).
bool dequantizeConstant(NodeContext &n, QuantWeight &w) {
  ElementsAttr x = n.constantAttr(0), scale = n.constantAttr(1);
  ElementsAttr zp = n.hasInput(2) ? n.constantAttr(2) : ElementsAttr();
  if (!x || !scale || (n.hasInput(2) && !zp))
    return false;
  RankedTensorType xt = n.inputType(0), st = n.inputType(1);
  if (xt.getRank() < 1 || !llvm::isa<FloatType>(st.getElementType()))
    return false;
  bool isSigned;
  unsigned bits;
  Type elem = xt.getElementType();
  if (!elem.isInteger(4) && !elem.isInteger(8))
    return false;
  codeType(n, 0, bits, isSigned);
  int64_t rank = xt.getRank();
  int64_t axis = n.axis(n.intAttr("axis", 1), std::max<int64_t>(rank, 1));
  int64_t block = n.opset >= 21 ? n.intAttr("block_size", 0) : 0;
  int64_t rows = xt.getDimSize(0), cols = xt.getNumElements() / rows;

  SmallVector<double> s = readFloats(scale);
  SmallVector<int64_t> q = readIntegers(x);
  SmallVector<int64_t> z = zp ? readIntegers(zp) : SmallVector<int64_t>(s.size(), 0);
  if (!isSigned) {
    int64_t mask = (int64_t(1) << bits) - 1;
    for (int64_t &v : q)
      v &= mask;
    for (int64_t &v : z)
      v &= mask;
  }
  w.shape.assign(xt.getShape().begin(), xt.getShape().end());
  w.bits = bits;
  w.scaleType = llvm::cast<FloatType>(st.getElementType());

  // Scales in qsl's group layout.
  if (st.getNumElements() == 1) {
    // Per tensor: per column with equal scales.
    w.axis = 0;
    w.group = 0;
    w.scales.assign(cols, s[0]);
    z.assign(cols, z[0]);
  } else if (block == 0 && st.getRank() == 1) {
    if (rank == 2 && axis == 1) { // per output column of a [K, N] weight
      w.axis = 0;
      w.scales = s;
    } else if (axis == 0) { // per row ([O, ...] conv filters, [N, K] Gemm B)
      w.axis = 1;
      w.scales = s;
    } else {
      return false;
    }
    w.group = 0;
  } else if (block > 0 && rank == 2 && st.getRank() == 2) {
    if (xt.getDimSize(axis) % block != 0)
      return false; // a partial last block has no qsl layout
    w.axis = axis;
    w.group = block;
    w.scales = s;
  } else {
    return false;
  }

  bool allZero = llvm::all_of(z, [](int64_t v) { return v == 0; });
  if (isSigned && allZero) {
    w.symmetric = true;
    w.codes = q;
  } else {
    // qsl's asymmetric codes and zero points are unsigned: shift signed ones.
    w.symmetric = false;
    int64_t shift = isSigned ? int64_t(1) << (bits - 1) : 0;
    for (int64_t v : q)
      w.codes.push_back(v + shift);
    for (int64_t v : z)
      w.zeros.push_back(v + shift);
  }
  return true;
}

/// Inside an elementwise body: the index of the scale / zero point that
/// applies to the current element (per tensor, per axis, or per block of
/// `block` elements along `axis`).
SmallVector<Value> paramIndex(OpBuilder &b, Location l, int64_t rank,
                              int64_t axis, int64_t block, bool perTensor,
                              int64_t scaleRank) {
  SmallVector<Value> at;
  if (perTensor) {
    if (scaleRank == 1)
      at.push_back(arith::ConstantIndexOp::create(b, l, 0));
    return at;
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (block == 0 && d != axis)
      continue;
    Value i = linalg::IndexOp::create(b, l, d);
    if (block > 0 && d == axis)
      i = arith::DivUIOp::create(b, l, i,
                                 arith::ConstantIndexOp::create(b, l, block));
    at.push_back(i);
  }
  return at;
}

/// y = (x - zp) * scale elementwise, for any layout and run-time x.
Value dequantizeDense(NodeContext &n) {
  RankedTensorType xt = n.inputType(0), st = n.inputType(1);
  Type out = st.getElementType();
  int64_t rank = xt.getRank();
  int64_t axis = rank ? n.axis(n.intAttr("axis", 1), rank) : 0;
  int64_t block = n.opset >= 21 ? n.intAttr("block_size", 0) : 0;
  bool perTensor = st.getNumElements() == 1 && st.getRank() <= 1;
  if (!perTensor && block == 0 &&
      (st.getRank() != 1 || st.getDimSize(0) != xt.getDimSize(axis)))
    fail("scale of shape " + shapeStr(st.getShape()) +
         " matches neither per-tensor nor per-axis quantization of " +
         shapeStr(xt.getShape()));
  if (block > 0 && st.getRank() != rank)
    fail("block-wise scale must have the rank of the input");
  Value scale = n.input(1);
  Value zp = n.hasInput(2) ? n.input(2) : Value();
  bool xUnsigned = n.isUnsignedInput(0), zUnsigned = n.isUnsignedInput(2);
  FloatType f32 = n.b.getF32Type();
  return buildBroadcastElementwise(
      n.b, n.loc, {n.input(0)}, xt.getShape(), out,
      [&](OpBuilder &b, Location l, ValueRange v) -> Value {
        SmallVector<Value> at =
            paramIndex(b, l, rank, axis, block, perTensor, st.getRank());
        auto toF32 = [&](Value x, bool isUnsigned) -> Value {
          if (llvm::isa<FloatType>(x.getType()))
            return builders::convertFloat(b, l, x, f32);
          return isUnsigned ? Value(arith::UIToFPOp::create(b, l, f32, x))
                            : Value(arith::SIToFPOp::create(b, l, f32, x));
        };
        Value x = toF32(v[0], xUnsigned);
        if (zp)
          x = arith::SubFOp::create(
              b, l, x, toF32(tensor::ExtractOp::create(b, l, zp, at), zUnsigned));
        Value s = toF32(tensor::ExtractOp::create(b, l, scale, at), false);
        return builders::convertFloat(b, l, arith::MulFOp::create(b, l, x, s),
                                      llvm::cast<FloatType>(out));
      });
}

void dequantizeLinear(NodeContext &n) {
  n.expectArity(2, 3);
  if (!llvm::isa<FloatType>(n.inputType(1).getElementType()))
    fail("x_scale must be a float tensor");
  QuantWeight w;
  if (dequantizeConstant(n, w)) {
    n.setResult(0, emitEncoded(n, w, n.node.output(0)));
    return;
  }
  n.setResult(0, dequantizeDense(n));
}

void quantizeLinear(NodeContext &n) {
  n.expectArity(2, 3);
  RankedTensorType xt = n.inputType(0), st = n.inputType(1);
  if (!llvm::isa<FloatType>(xt.getElementType()))
    fail("x must be a float tensor");
  Type outType = n.hasInput(2) ? n.inputType(2).getElementType() : n.b.getI8Type();
  bool outUnsigned = n.hasInput(2) ? n.isUnsignedInput(2) : true;
  if (!n.hasInput(2) && n.attr("output_dtype"))
    fail("output_dtype without a zero point is not supported");
  unsigned bits = outType.getIntOrFloatBitWidth();
  if (!llvm::isa<IntegerType>(outType) || (bits != 4 && bits != 8 && bits != 16))
    fail("only 4-, 8- and 16-bit integer outputs are supported");
  int64_t rank = xt.getRank();
  int64_t axis = rank ? n.axis(n.intAttr("axis", 1), rank) : 0;
  int64_t block = n.opset >= 21 ? n.intAttr("block_size", 0) : 0;
  bool perTensor = st.getNumElements() == 1 && st.getRank() <= 1;
  double lo = outUnsigned ? 0 : -std::ldexp(1.0, bits - 1);
  double hi = outUnsigned ? std::ldexp(1.0, bits) - 1 : std::ldexp(1.0, bits - 1) - 1;
  Value scale = n.input(1), zp = n.hasInput(2) ? n.input(2) : Value();
  FloatType f32 = n.b.getF32Type();
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0)}, xt.getShape(), outType,
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       SmallVector<Value> at = paramIndex(
                           b, l, rank, axis, block, perTensor, st.getRank());
                       Value x = builders::convertFloat(b, l, v[0], f32);
                       Value s = builders::convertFloat(
                           b, l, tensor::ExtractOp::create(b, l, scale, at), f32);
                       Value y = math::RoundEvenOp::create(
                           b, l, arith::DivFOp::create(b, l, x, s));
                       if (zp) {
                         Value z = tensor::ExtractOp::create(b, l, zp, at);
                         z = outUnsigned ? Value(arith::UIToFPOp::create(b, l, f32, z))
                                         : Value(arith::SIToFPOp::create(b, l, f32, z));
                         y = arith::AddFOp::create(b, l, y, z);
                       }
                       y = arith::MaximumFOp::create(
                           b, l, y, arith::ConstantOp::create(b, l, b.getF32FloatAttr(lo)));
                       y = arith::MinimumFOp::create(
                           b, l, y, arith::ConstantOp::create(b, l, b.getF32FloatAttr(hi)));
                       return outUnsigned ? Value(arith::FPToUIOp::create(b, l, outType, y))
                                          : Value(arith::FPToSIOp::create(b, l, outType, y));
                     }));
  if (outUnsigned)
    n.markUnsigned(0);
}

/// com.microsoft.MatMulNBits: A [..., K] x dequant(B)^T with B stored as
/// [N, blocks, block_size * bits / 8] bytes, per-block scales and optional
/// zero points (packed, default 2^(bits-1)).
void matMulNBits(NodeContext &n) {
  n.expectArity(3, 6);
  int64_t K = n.intAttr("K", 0), N = n.intAttr("N", 0);
  int64_t bits = n.intAttr("bits", 4), block = n.intAttr("block_size", 0);
  if (bits != 4)
    fail("bits = " + llvm::Twine(bits) + " is not supported (4 only)");
  if (K <= 0 || N <= 0 || block < 16 || (block & (block - 1)))
    fail("K, N and a power-of-two block_size >= 16 are required");
  if (K % block != 0)
    fail("K = " + llvm::Twine(K) + " is not a multiple of block_size = " +
         llvm::Twine(block) + "; padded blocks are not supported");
  if (n.hasInput(4) && n.numInputs() > 4)
    fail("g_idx (act-order) is not supported");
  ElementsAttr packed = n.constantAttr(1), scales = n.constantAttr(2);
  if (!packed || !scales)
    fail("B and scales must be initializers");
  RankedTensorType at = n.inputType(0);
  Type elem = at.getElementType();
  if (!llvm::isa<FloatType>(elem) || at.getShape().back() != K)
    fail("A must be a float tensor whose last dimension is K = " + llvm::Twine(K));
  int64_t blocks = K / block;
  SmallVector<int64_t> bytes = readIntegers(packed);
  if (int64_t(bytes.size()) != N * blocks * block / 2)
    fail("B has " + llvm::Twine(bytes.size()) + " bytes, expected " +
         llvm::Twine(N * blocks * block / 2));
  QuantWeight w;
  w.shape = {N, K};
  w.bits = 4;
  w.axis = 1;
  w.group = block;
  w.scaleType = llvm::cast<FloatType>(n.inputType(2).getElementType());
  if (w.scaleType != elem)
    fail("scales must have A's element type");
  w.scales = readFloats(scales);
  if (int64_t(w.scales.size()) != N * blocks)
    fail("expected " + llvm::Twine(N * blocks) + " scales");
  for (int64_t b : bytes) {
    w.codes.push_back(b & 0xF);
    w.codes.push_back((b >> 4) & 0xF);
  }
  w.symmetric = false;
  if (n.hasInput(3)) {
    ElementsAttr zp = n.constantAttr(3);
    if (!zp || !n.inputType(3).getElementType().isInteger(8))
      fail("zero_points must be a packed uint8 initializer");
    SmallVector<int64_t> zb = readIntegers(zp);
    int64_t perRow = (blocks + 1) / 2;
    if (int64_t(zb.size()) != N * perRow)
      fail("zero_points has " + llvm::Twine(zb.size()) + " bytes, expected " +
           llvm::Twine(N * perRow));
    for (int64_t r = 0; r < N; ++r)
      for (int64_t blk = 0; blk < blocks; ++blk)
        w.zeros.push_back((zb[r * perRow + blk / 2] >> ((blk % 2) * 4)) & 0xF);
  } else {
    w.zeros.assign(N * blocks, 8);
  }
  Value weight = emitEncoded(n, w, n.node.input(1));
  Value encoded = weight.getDefiningOp<UnpackOp>().getSource();
  // A [..., K] as [rows, K] for qsl.matmul, then back.
  SmallVector<int64_t> aShape(at.getShape());
  Value a = n.input(0);
  if (at.getRank() == 1)
    a = reshapeStatic(n.b, n.loc, a, {1, K});
  auto aType = llvm::cast<RankedTensorType>(a.getType());
  SmallVector<int64_t> yShape(aType.getShape());
  yShape.back() = N;
  Value y = MatmulOp::create(n.b, n.loc, RankedTensorType::get(yShape, elem), a,
                             encoded, /*transpose_w=*/true);
  if (at.getRank() == 1)
    y = reshapeStatic(n.b, n.loc, y, {N});
  if (n.hasInput(5)) {
    auto yt = llvm::cast<RankedTensorType>(y.getType());
    y = buildBroadcastElementwise(n.b, n.loc, {y, n.input(5)}, yt.getShape(), elem,
                                  [](OpBuilder &b, Location l, ValueRange v) -> Value {
                                    return arith::AddFOp::create(b, l, v[0], v[1]);
                                  });
  }
  n.setResult(0, y);
}

} // namespace

void mlir::qsl::onnx_import::registerQuantizationOps(OpTable &t) {
  t.add("", "DequantizeLinear", 13, dequantizeLinear);
  t.add("", "QuantizeLinear", 13, quantizeLinear);
  t.add("com.microsoft", "MatMulNBits", 1, matMulNBits);
}
