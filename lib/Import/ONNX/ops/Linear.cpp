//===- Linear.cpp - ONNX MatMul and Gemm -----------------------------------===//
//
// Contractions are linalg.generic ops that accumulate in f32 (f64 for f64)
// and round once, the same builder the qsl reference lowering uses, so a
// dense model and its compressed form differ only in the weights.
//
//===----------------------------------------------------------------------===//
#include "../ImportContext.h"

#include "qsl/Dialect/QSL/IR/QslOps.h"
#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <map>

using namespace mlir;
using namespace mlir::qsl;
using namespace mlir::qsl::onnx_import;

namespace {

/// The encoded weight when `v` is the qsl.unpack of a 2-D encoded tensor
/// (a DequantizeLinear/MatMulNBits weight), else null.
Value encodedWeight(Value v) {
  auto unpack = v.getDefiningOp<UnpackOp>();
  if (!unpack || unpack.getType().getRank() != 2)
    return {};
  return unpack.getSource();
}

void matmul(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType a = n.inputType(0), bt = n.inputType(1);
  Type elem = a.getElementType();
  if (!llvm::isa<FloatType>(elem) || bt.getElementType() != elem)
    fail("expects two float operands of the same type");
  if (a.getRank() < 1 || bt.getRank() < 1)
    fail("operands must have rank >= 1");
  // numpy: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the added
  // dimension is dropped from the result.
  SmallVector<int64_t> as(a.getShape()), bs(bt.getShape());
  bool rowA = as.size() == 1, colB = bs.size() == 1;
  if (rowA)
    as.insert(as.begin(), 1);
  if (colB)
    bs.push_back(1);
  int64_t m = as[as.size() - 2], k = as.back(), kb = bs[bs.size() - 2],
          nn = bs.back();
  if (k != kb)
    fail("inner dimensions differ: A is " + shapeStr(a.getShape()) +
         ", B is " + shapeStr(bt.getShape()));
  SmallVector<int64_t> batch = broadcastShapes(
      ArrayRef<int64_t>(as).drop_back(2), ArrayRef<int64_t>(bs).drop_back(2));
  Value av = reshapeStatic(n.b, n.loc, n.input(0), as);
  if (Value w = encodedWeight(n.input(1))) {
    // Dense activation x encoded weight: qsl.matmul keeps the weight
    // compressed for every later lowering.
    SmallVector<int64_t> yShape(as);
    yShape.back() = nn;
    Value y = MatmulOp::create(n.b, n.loc, RankedTensorType::get(yShape, elem),
                               av, w, /*transpose_w=*/false);
    if (rowA)
      yShape.erase(yShape.end() - 2);
    n.setResult(0, reshapeStatic(n.b, n.loc, y, yShape));
    return;
  }
  Value bv = reshapeStatic(n.b, n.loc, n.input(1), bs);

  MLIRContext *ctx = n.b.getContext();
  int64_t nb = batch.size(), loops = nb + 3;
  auto operandMap = [&](ArrayRef<int64_t> shape, AffineExpr r, AffineExpr c) {
    SmallVector<AffineExpr> e;
    int64_t own = shape.size() - 2;
    for (int64_t i = 0; i < own; ++i) {
      int64_t outDim = nb - own + i;
      e.push_back(shape[i] == 1 && batch[outDim] != 1
                      ? getAffineConstantExpr(0, ctx)
                      : getAffineDimExpr(outDim, ctx));
    }
    e.push_back(r);
    e.push_back(c);
    return AffineMap::get(loops, 0, e, ctx);
  };
  // Loops batch..., m, k, n: the innermost loop walks rows of B and C
  // contiguously, which the loop lowering and LLVM vectorize.
  AffineExpr dm = getAffineDimExpr(nb, ctx), dk = getAffineDimExpr(nb + 1, ctx),
             dn = getAffineDimExpr(nb + 2, ctx);
  SmallVector<AffineExpr> outExprs;
  for (int64_t i = 0; i < nb; ++i)
    outExprs.push_back(getAffineDimExpr(i, ctx));
  outExprs.push_back(dm);
  outExprs.push_back(dn);
  SmallVector<AffineMap> maps{operandMap(as, dm, dk), operandMap(bs, dk, dn),
                              AffineMap::get(loops, 0, outExprs, ctx)};
  SmallVector<utils::IteratorType> iterators(loops,
                                             utils::IteratorType::parallel);
  iterators[nb + 1] = utils::IteratorType::reduction;
  SmallVector<int64_t> outShape(batch);
  outShape.push_back(m);
  outShape.push_back(nn);
  Value init = builders::zeroFilledTensor(
      n.b, n.loc, outShape, builders::accumulatorType(n.b, elem));
  Value y = builders::buildContraction(n.b, n.loc, av, bv, init, maps,
                                       iterators, elem);
  SmallVector<int64_t> finalShape(batch);
  if (!rowA)
    finalShape.push_back(m);
  if (!colB)
    finalShape.push_back(nn);
  n.setResult(0, reshapeStatic(n.b, n.loc, y, finalShape));
}

void gemm(NodeContext &n) {
  n.expectArity(2, 3);
  RankedTensorType a = n.inputType(0), bt = n.inputType(1);
  Type elem = a.getElementType();
  if (!llvm::isa<FloatType>(elem) || bt.getElementType() != elem)
    fail("expects float operands of the same type");
  if (a.getRank() != 2 || bt.getRank() != 2)
    fail("A and B must be 2-D, got " + shapeStr(a.getShape()) + " and " +
         shapeStr(bt.getShape()));
  bool transA = n.intAttr("transA", 0), transB = n.intAttr("transB", 0);
  double alpha = n.floatAttr("alpha", 1.0f), beta = n.floatAttr("beta", 1.0f);
  int64_t m = a.getDimSize(transA ? 1 : 0), k = a.getDimSize(transA ? 0 : 1);
  int64_t kb = bt.getDimSize(transB ? 1 : 0), nn = bt.getDimSize(transB ? 0 : 1);
  if (k != kb)
    fail("inner dimensions differ: A is " + shapeStr(a.getShape()) +
         (transA ? " (transposed)" : "") + ", B is " +
         shapeStr(bt.getShape()) + (transB ? " (transposed)" : ""));
  SmallVector<int64_t> outShape{m, nn};
  if (n.hasInput(2))
    broadcastShapes(outShape, n.inputType(2).getShape()) == outShape
        ? void()
        : fail("C of shape " + shapeStr(n.inputType(2).getShape()) +
               " does not broadcast to " + shapeStr(outShape));

  FloatType acc = builders::accumulatorType(n.b, elem);
  Value ab;
  Value w = encodedWeight(n.input(1));
  if (w && !transA && alpha == 1.0) {
    ab = MatmulOp::create(n.b, n.loc, RankedTensorType::get(outShape, elem),
                          n.input(0), w, /*transpose_w=*/transB);
    SmallVector<Value> ins{ab};
    if (n.hasInput(2) && beta != 0.0)
      ins.push_back(n.input(2));
    if (ins.size() == 1) {
      n.setResult(0, ab);
      return;
    }
    n.setResult(0, buildBroadcastElementwise(
                       n.b, n.loc, ins, outShape, elem,
                       [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                         Value c = builders::convertFloat(b, l, v[1], acc);
                         if (beta != 1.0)
                           c = arith::MulFOp::create(
                               b, l, c, arith::ConstantOp::create(
                                            b, l, b.getFloatAttr(acc, beta)));
                         Value y = arith::AddFOp::create(
                             b, l, builders::convertFloat(b, l, v[0], acc), c);
                         return builders::convertFloat(b, l, y,
                                                       llvm::cast<FloatType>(elem));
                       }));
    return;
  }
  // Loops m, k, n (n innermost, contiguous in B and C) unless B is
  // transposed, where m, n, k walks both operands along K.
  MLIRContext *ctx = n.b.getContext();
  unsigned kPos = transB ? 2 : 1, nPos = transB ? 1 : 2;
  AffineExpr dm = getAffineDimExpr(0, ctx), dn = getAffineDimExpr(nPos, ctx),
             dk = getAffineDimExpr(kPos, ctx);
  SmallVector<AffineMap> maps{
      AffineMap::get(3, 0, transA ? ArrayRef<AffineExpr>{dk, dm}
                                  : ArrayRef<AffineExpr>{dm, dk}, ctx),
      AffineMap::get(3, 0, transB ? ArrayRef<AffineExpr>{dn, dk}
                                  : ArrayRef<AffineExpr>{dk, dn}, ctx),
      AffineMap::get(3, 0, {dm, dn}, ctx)};
  SmallVector<utils::IteratorType> iterators(3, utils::IteratorType::parallel);
  iterators[kPos] = utils::IteratorType::reduction;
  Value init = builders::zeroFilledTensor(n.b, n.loc, outShape, acc);
  ab = builders::buildContraction(n.b, n.loc, n.input(0), n.input(1), init,
                                  maps, iterators, acc);
  SmallVector<Value> ins{ab};
  if (n.hasInput(2) && beta != 0.0)
    ins.push_back(n.input(2));
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, ins, outShape, elem,
                     [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                       Value y = v[0];
                       if (alpha != 1.0)
                         y = arith::MulFOp::create(
                             b, l, y, arith::ConstantOp::create(
                                          b, l, b.getFloatAttr(acc, alpha)));
                       if (v.size() > 1) {
                         Value c = builders::convertFloat(b, l, v[1], acc);
                         if (beta != 1.0)
                           c = arith::MulFOp::create(
                               b, l, c, arith::ConstantOp::create(
                                            b, l, b.getFloatAttr(acc, beta)));
                         y = arith::AddFOp::create(b, l, y, c);
                       }
                       return builders::convertFloat(
                           b, l, y, llvm::cast<FloatType>(elem));
                     }));
}

/// Einsum without ellipses or repeated indices within one operand: every
/// letter is a loop, output letters parallel, the others reduced. One
/// operand sums; two multiply (accumulating in f32 like MatMul).
void einsum(NodeContext &n) {
  n.expectArity(1, 2);
  std::string eq;
  for (char ch : n.stringAttr("equation", ""))
    if (ch != ' ')
      eq += ch;
  if (eq.find("...") != std::string::npos)
    fail("ellipses ('...') in the equation are not supported");
  size_t arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  SmallVector<std::string> terms;
  for (size_t start = 0;;) {
    size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
  if (terms.size() != n.numInputs())
    fail("equation '" + eq + "' has " + llvm::Twine(terms.size()) +
         " operands but the node has " + llvm::Twine(n.numInputs()));
  std::string out;
  if (arrow != std::string::npos) {
    out = eq.substr(arrow + 2);
  } else { // implicit output: letters used once, alphabetically
    std::map<char, int> uses;
    for (const std::string &t : terms)
      for (char ch : t)
        ++uses[ch];
    for (auto [ch, k] : uses)
      if (k == 1)
        out += ch;
  }
  // Loops: output letters, then reduced letters; sizes from the operands.
  std::string letters = out;
  std::map<char, int64_t> size;
  Type elem = n.inputType(0).getElementType();
  for (auto [i, t] : llvm::enumerate(terms)) {
    RankedTensorType type = n.inputType(i);
    if (int64_t(t.size()) != type.getRank())
      fail("operand #" + llvm::Twine(i) + " '" + t + "' does not match rank " +
           llvm::Twine(type.getRank()));
    if (type.getElementType() != elem || !llvm::isa<FloatType>(elem))
      fail("operands must be floats of one type");
    for (auto [d, ch] : llvm::enumerate(t)) {
      if (t.find(ch) != d)
        fail("repeated index '" + std::string(1, ch) + "' in one operand is not supported");
      auto it = size.find(ch);
      if (it != size.end() && it->second != type.getDimSize(d))
        fail("index '" + std::string(1, ch) + "' has sizes " +
             llvm::Twine(it->second) + " and " + llvm::Twine(type.getDimSize(d)));
      size[ch] = type.getDimSize(d);
      if (letters.find(ch) == std::string::npos)
        letters += ch;
    }
  }
  SmallVector<int64_t> outShape;
  for (char ch : out) {
    if (!size.count(ch))
      fail("output index '" + std::string(1, ch) + "' appears in no operand");
    outShape.push_back(size[ch]);
  }
  MLIRContext *ctx = n.b.getContext();
  int64_t loops = letters.size();
  auto mapOf = [&](const std::string &t) {
    SmallVector<AffineExpr> e;
    for (char ch : t)
      e.push_back(getAffineDimExpr(letters.find(ch), ctx));
    return AffineMap::get(loops, 0, e, ctx);
  };
  SmallVector<utils::IteratorType> iterators;
  for (int64_t i = 0; i < loops; ++i)
    iterators.push_back(i < int64_t(out.size()) ? utils::IteratorType::parallel
                                                : utils::IteratorType::reduction);
  FloatType acc = builders::accumulatorType(n.b, elem);
  Value init = builders::zeroFilledTensor(n.b, n.loc, outShape, acc);
  if (terms.size() == 2) {
    n.setResult(0, builders::buildContraction(
                       n.b, n.loc, n.input(0), n.input(1), init,
                       {mapOf(terms[0]), mapOf(terms[1]), mapOf(out)}, iterators, elem));
    return;
  }
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{n.input(0)}, ValueRange{init},
      SmallVector<AffineMap>{mapOf(terms[0]), mapOf(out)}, iterators,
      [&](OpBuilder &b, Location l, ValueRange args) {
        Value x = builders::convertFloat(b, l, args[0], acc);
        linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[1], x)});
      });
  n.setResult(0, builders::convertFloatTensor(n.b, n.loc, generic.getResult(0),
                                              llvm::cast<FloatType>(elem)));
}

} // namespace

void mlir::qsl::onnx_import::registerLinearOps(OpTable &t) {
  t.add("", "Einsum", 12, einsum);
  t.add("", "MatMul", 13, matmul);
  t.add("", "Gemm", 13, gemm);
}
