//===- Reduction.cpp - ONNX reductions, Softmax and normalizations ---------===//
#include "../ImportContext.h"

#include "qsl/Utils/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::qsl::onnx_import;

Value mlir::qsl::onnx_import::buildReduction(
    OpBuilder &b, Location loc, Value x, ArrayRef<int64_t> axes,
    TypedAttr init,
    llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  int64_t rank = t.getRank();
  MLIRContext *ctx = b.getContext();
  SmallVector<int64_t> keptShape, keepdimsShape(t.getShape());
  SmallVector<AffineExpr> outExprs;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    bool reduced = llvm::is_contained(axes, d);
    if (reduced) {
      keepdimsShape[d] = 1;
    } else {
      keptShape.push_back(t.getDimSize(d));
      outExprs.push_back(getAffineDimExpr(d, ctx));
    }
    iterators.push_back(reduced ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
  }
  Value empty = tensor::EmptyOp::create(b, loc, keptShape, t.getElementType());
  Value initV = arith::ConstantOp::create(b, loc, init);
  Value filled = linalg::FillOp::create(b, loc, initV, empty).getResult(0);
  auto generic = linalg::GenericOp::create(
      b, loc, filled.getType(), ValueRange{x}, ValueRange{filled},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank),
                             AffineMap::get(rank, 0, outExprs, ctx)},
      iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl,
                                ValueRange{combine(nb, nl, args[1], args[0])});
      });
  return reshapeStatic(b, loc, generic.getResult(0), keepdimsShape);
}

Value mlir::qsl::onnx_import::divideBy(OpBuilder &b, Location loc, Value v,
                                       double divisor) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  Type elem = t.getElementType();
  return buildBroadcastElementwise(
      b, loc, {v}, t.getShape(), elem,
      [&](OpBuilder &nb, Location l, ValueRange in) -> Value {
        return arith::DivFOp::create(
            nb, l, in[0],
            arith::ConstantOp::create(nb, l, nb.getFloatAttr(elem, divisor)));
      });
}

Value mlir::qsl::onnx_import::dropAxes(OpBuilder &b, Location loc, Value v,
                                       ArrayRef<int64_t> axes) {
  auto t = llvm::cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < t.getRank(); ++d)
    if (!llvm::is_contained(axes, d))
      shape.push_back(t.getDimSize(d));
  return reshapeStatic(b, loc, v, shape);
}

namespace {

TypedAttr lowest(OpBuilder &b, Type t) {
  if (t.isInteger(1))
    return b.getBoolAttr(false);
  if (auto f = llvm::dyn_cast<FloatType>(t))
    return b.getFloatAttr(
        t, APFloat::getInf(f.getFloatSemantics(), /*Negative=*/true));
  return b.getIntegerAttr(t, APInt::getSignedMinValue(t.getIntOrFloatBitWidth()));
}
TypedAttr highest(OpBuilder &b, Type t) {
  if (t.isInteger(1))
    return b.getBoolAttr(true);
  if (auto f = llvm::dyn_cast<FloatType>(t))
    return b.getFloatAttr(t, APFloat::getInf(f.getFloatSemantics()));
  return b.getIntegerAttr(t, APInt::getSignedMaxValue(t.getIntOrFloatBitWidth()));
}

Value add(OpBuilder &b, Location l, Value a, Value x) {
  return llvm::isa<FloatType>(a.getType()) ? Value(arith::AddFOp::create(b, l, a, x))
                                           : Value(arith::AddIOp::create(b, l, a, x));
}
// Booleans order false < true: unsigned max/min.
Value max(OpBuilder &b, Location l, Value a, Value x) {
  if (llvm::isa<FloatType>(a.getType()))
    return arith::MaximumFOp::create(b, l, a, x);
  if (a.getType().isInteger(1))
    return arith::MaxUIOp::create(b, l, a, x);
  return arith::MaxSIOp::create(b, l, a, x);
}
Value min(OpBuilder &b, Location l, Value a, Value x) {
  if (llvm::isa<FloatType>(a.getType()))
    return arith::MinimumFOp::create(b, l, a, x);
  if (a.getType().isInteger(1))
    return arith::MinUIOp::create(b, l, a, x);
  return arith::MinSIOp::create(b, l, a, x);
}

enum class Kind { Sum, Mean, Max, Min };

/// ReduceX: axes from the attribute (before opset 18, and always for
/// ReduceSum 13) or the optional second input; keepdims;
/// noop_with_empty_axes.
void reduce(NodeContext &n, Kind kind, bool axesAsInput) {
  n.expectArity(1, 2);
  RankedTensorType t = n.inputType(0);
  int64_t rank = t.getRank();
  SmallVector<int64_t> axes;
  if (axesAsInput)
    axes = n.axesInput(1, rank).value_or(SmallVector<int64_t>());
  else
    for (int64_t a : n.intsAttr("axes"))
      axes.push_back(n.axis(a, rank));
  if (axes.empty()) {
    if (n.intAttr("noop_with_empty_axes", 0)) {
      n.setResult(0, n.input(0));
      return;
    }
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  }
  llvm::sort(axes);
  axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
  Type elem = t.getElementType();
  if (kind == Kind::Mean && !llvm::isa<FloatType>(elem))
    fail("integer ReduceMean is not supported");
  Value r;
  switch (kind) {
  case Kind::Sum:
  case Kind::Mean:
    r = buildReduction(n.b, n.loc, n.input(0), axes,
                       llvm::cast<TypedAttr>(n.b.getZeroAttr(elem)), add);
    break;
  case Kind::Max:
    r = buildReduction(n.b, n.loc, n.input(0), axes, lowest(n.b, elem), max);
    break;
  case Kind::Min:
    r = buildReduction(n.b, n.loc, n.input(0), axes, highest(n.b, elem), min);
    break;
  }
  if (kind == Kind::Mean) {
    int64_t count = 1;
    for (int64_t a : axes)
      count *= t.getDimSize(a);
    r = divideBy(n.b, n.loc, r, count);
  }
  if (!n.intAttr("keepdims", 1))
    r = dropAxes(n.b, n.loc, r, axes);
  n.setResult(0, r);
}

/// Softmax / LogSoftmax along one axis (opset 13 semantics).
void softmax(NodeContext &n, bool log) {
  n.expectArity(1, 1);
  RankedTensorType t = n.inputType(0);
  Type elem = t.getElementType();
  if (!llvm::isa<FloatType>(elem))
    fail("expects a float input");
  int64_t axis = n.axis(n.intAttr("axis", -1), t.getRank());
  Value x = n.input(0);
  Value m = buildReduction(n.b, n.loc, x, {axis}, lowest(n.b, elem), max);
  Value shifted = buildBroadcastElementwise(
      n.b, n.loc, {x, m}, t.getShape(), elem,
      [](OpBuilder &b, Location l, ValueRange v) -> Value {
        return arith::SubFOp::create(b, l, v[0], v[1]);
      });
  Value e = buildBroadcastElementwise(
      n.b, n.loc, {shifted}, t.getShape(), elem,
      [](OpBuilder &b, Location l, ValueRange v) -> Value {
        return math::ExpOp::create(b, l, v[0]);
      });
  Value s = buildReduction(n.b, n.loc, e, {axis},
                           llvm::cast<TypedAttr>(n.b.getZeroAttr(elem)), add);
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {log ? shifted : e, s}, t.getShape(), elem,
                     [log](OpBuilder &b, Location l, ValueRange v) -> Value {
                       if (log)
                         return arith::SubFOp::create(
                             b, l, v[0], math::LogOp::create(b, l, v[1]));
                       return arith::DivFOp::create(b, l, v[0], v[1]);
                     }));
}

struct Normalized {
  Value y;      // (x - mean) * invStdDev
  Value mean;   // keepdims
  Value invStd; // keepdims: 1 / sqrt(var + eps)
};

/// (x - mean) / sqrt(var + eps) over `axes`, computed in x's type.
Normalized normalize(NodeContext &n, Value x, ArrayRef<int64_t> axes,
                     double epsilon) {
  auto t = llvm::cast<RankedTensorType>(x.getType());
  Type elem = t.getElementType();
  int64_t count = 1;
  for (int64_t a : axes)
    count *= t.getDimSize(a);
  TypedAttr zero = llvm::cast<TypedAttr>(n.b.getZeroAttr(elem));
  auto divCount = [&](Value sum) { return divideBy(n.b, n.loc, sum, count); };
  Value mean = divCount(buildReduction(n.b, n.loc, x, axes, zero, add));
  Value centered = buildBroadcastElementwise(
      n.b, n.loc, {x, mean}, t.getShape(), elem,
      [](OpBuilder &b, Location l, ValueRange v) -> Value {
        return arith::SubFOp::create(b, l, v[0], v[1]);
      });
  Value var = divCount(buildReduction(
      n.b, n.loc, centered, axes, zero,
      [](OpBuilder &b, Location l, Value acc, Value v) -> Value {
        return arith::AddFOp::create(b, l, acc, arith::MulFOp::create(b, l, v, v));
      }));
  auto vt = llvm::cast<RankedTensorType>(var.getType());
  Value invStd = buildBroadcastElementwise(
      n.b, n.loc, {var}, vt.getShape(), elem,
      [&](OpBuilder &b, Location l, ValueRange v) -> Value {
        Value eps = arith::ConstantOp::create(b, l, b.getFloatAttr(elem, epsilon));
        Value d = math::SqrtOp::create(b, l, arith::AddFOp::create(b, l, v[0], eps));
        return arith::DivFOp::create(
            b, l, arith::ConstantOp::create(b, l, b.getFloatAttr(elem, 1.0)), d);
      });
  Value y = buildBroadcastElementwise(
      n.b, n.loc, {centered, invStd}, t.getShape(), elem,
      [&](OpBuilder &b, Location l, ValueRange v) -> Value {
        return arith::MulFOp::create(b, l, v[0], v[1]);
      });
  return {y, mean, invStd};
}

void layerNorm(NodeContext &n) {
  n.expectArity(2, 3);
  RankedTensorType t = n.inputType(0);
  if (!llvm::isa<FloatType>(t.getElementType()))
    fail("expects a float input");
  if (n.intAttr("stash_type", 1) != 1)
    fail("stash_type other than float is not supported");
  int64_t rank = t.getRank();
  int64_t axis = n.axis(n.intAttr("axis", -1), rank);
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  Normalized norm = normalize(n, n.input(0), axes, n.floatAttr("epsilon", 1e-5f));
  SmallVector<Value> ins{norm.y, n.input(1)};
  if (n.hasInput(2))
    ins.push_back(n.input(2));
  for (size_t i = 1; i < ins.size(); ++i)
    if (broadcastShapes(t.getShape(), llvm::cast<RankedTensorType>(
                                          ins[i].getType()).getShape()) !=
        SmallVector<int64_t>(t.getShape()))
      fail("scale/bias do not broadcast to the normalized shape");
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, ins, t.getShape(), t.getElementType(),
                     [](OpBuilder &b, Location l, ValueRange v) -> Value {
                       Value r = arith::MulFOp::create(b, l, v[0], v[1]);
                       if (v.size() > 2)
                         r = arith::AddFOp::create(b, l, r, v[2]);
                       return r;
                     }));
  // The optional Mean and InvStdDev outputs (keepdims over the normalized
  // axes).
  n.setResult(1, norm.mean);
  n.setResult(2, norm.invStd);
}

void argExtreme(NodeContext &n, bool isMax) {
  n.expectArity(1, 1);
  RankedTensorType t = n.inputType(0);
  Type elem = t.getElementType();
  int64_t rank = t.getRank();
  int64_t axis = n.axis(n.intAttr("axis", 0), rank);
  bool selectLast = n.intAttr("select_last_index", 0);
  // Two-pass: the extreme value, then the first (or last) index holding it.
  Value ext = buildReduction(n.b, n.loc, n.input(0), {axis},
                             isMax ? lowest(n.b, elem) : highest(n.b, elem),
                             isMax ? max : min);
  int64_t dim = t.getDimSize(axis);
  Type i64 = n.b.getI64Type();
  Value candidates = buildBroadcastElementwise(
      n.b, n.loc, {n.input(0), ext}, t.getShape(), i64,
      [&](OpBuilder &b, Location l, ValueRange v) -> Value {
        Value eq = llvm::isa<FloatType>(elem)
                       ? Value(arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, v[0], v[1]))
                       : Value(arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, v[0], v[1]));
        Value idx = arith::IndexCastOp::create(b, l, i64,
                                               linalg::IndexOp::create(b, l, axis));
        Value none = arith::ConstantOp::create(
            b, l, b.getI64IntegerAttr(selectLast ? -1 : dim));
        return arith::SelectOp::create(b, l, eq, idx, none);
      });
  Value r = buildReduction(
      n.b, n.loc, candidates, {axis},
      n.b.getI64IntegerAttr(selectLast ? -1 : dim),
      [selectLast](OpBuilder &b, Location l, Value acc, Value v) -> Value {
        return selectLast ? Value(arith::MaxSIOp::create(b, l, acc, v))
                          : Value(arith::MinSIOp::create(b, l, acc, v));
      });
  if (!n.intAttr("keepdims", 1))
    r = dropAxes(n.b, n.loc, r, {axis});
  n.setResult(0, r);
}

/// CumSum along a constant axis (exclusive/reverse). One generic with the
/// scanned axis repeated as a reduction loop: out[i] = sum_j [j in prefix(i)]
/// x[j]; quadratic in the axis length, fine for the masks and position ids
/// it computes in exported models.
void cumSum(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType t = n.inputType(0);
  const IntConst &ac = n.constInput(1, "axis");
  if (ac.data.size() != 1)
    fail("axis must be a scalar");
  int64_t rank = t.getRank();
  int64_t axis = n.axis(ac.data[0], rank);
  bool exclusive = n.intAttr("exclusive", 0), reverse = n.intAttr("reverse", 0);
  Type elem = t.getElementType();
  MLIRContext *ctx = n.b.getContext();
  // Loops: the output dims, then j (the scanned input position).
  SmallVector<AffineExpr> inExprs, outExprs;
  for (int64_t d = 0; d < rank; ++d) {
    inExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
    outExprs.push_back(getAffineDimExpr(d, ctx));
  }
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters.push_back(utils::IteratorType::reduction);
  Value empty = tensor::EmptyOp::create(n.b, n.loc, t.getShape(), elem);
  Value zero = arith::ConstantOp::create(n.b, n.loc, llvm::cast<TypedAttr>(n.b.getZeroAttr(elem)));
  Value init = linalg::FillOp::create(n.b, n.loc, zero, empty).getResult(0);
  auto generic = linalg::GenericOp::create(
      n.b, n.loc, init.getType(), ValueRange{n.input(0)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(rank + 1, 0, inExprs, ctx),
                             AffineMap::get(rank + 1, 0, outExprs, ctx)},
      iters, [&](OpBuilder &b, Location l, ValueRange args) {
        Value i = linalg::IndexOp::create(b, l, axis);
        Value j = linalg::IndexOp::create(b, l, rank);
        arith::CmpIPredicate pred =
            reverse ? (exclusive ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::uge)
                    : (exclusive ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ule);
        Value in = arith::CmpIOp::create(b, l, pred, j, i);
        Value z = arith::ConstantOp::create(b, l, llvm::cast<TypedAttr>(b.getZeroAttr(elem)));
        Value term = arith::SelectOp::create(b, l, in, args[0], z);
        linalg::YieldOp::create(b, l, ValueRange{add(b, l, args[1], term)});
      });
  n.setResult(0, generic.getResult(0));
}


/// TopK by K selection passes (O(K·N) per row, no sort): pass p finds, in
/// every row, the best element that comes after the previous pick in the
/// output order -- by value, then by lower index, as ONNX orders ties --
/// and inserts it at position p. The output is always sorted, which
/// sorted=0 permits.
void topK(NodeContext &n) {
  n.expectArity(2, 2);
  RankedTensorType t = n.inputType(0);
  Type elem = t.getElementType();
  int64_t rank = t.getRank();
  int64_t axis = n.axis(n.intAttr("axis", -1), rank);
  bool largest = n.intAttr("largest", 1);
  bool isUnsigned = n.isUnsignedInput(0);
  const IntConst &kc = n.constInput(1, "K");
  if (kc.numElements() != 1)
    fail("K must hold one value");
  int64_t k = kc.data[0], dim = t.getDimSize(axis);
  if (k < 0 || k > dim)
    fail("K = " + llvm::Twine(k) + " is outside [0, " + llvm::Twine(dim) +
         "] for axis " + llvm::Twine(axis));
  if (elem.isInteger(1))
    fail("TopK of booleans is not supported");

  OpBuilder &b = n.b;
  Location loc = n.loc;
  MLIRContext *ctx = b.getContext();
  Type i64 = b.getI64Type();
  SmallVector<int64_t> outShape(t.getShape()), rowShape;
  outShape[axis] = k;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      rowShape.push_back(t.getDimSize(d));
  auto filledAt = [](OpBuilder &fb, Location fl, ArrayRef<int64_t> shape,
                     TypedAttr value) -> Value {
    Value e = tensor::EmptyOp::create(fb, fl, shape, value.getType());
    Value c = arith::ConstantOp::create(fb, fl, value);
    return linalg::FillOp::create(fb, fl, c, e).getResult(0);
  };
  auto filled = [&](ArrayRef<int64_t> shape, TypedAttr value) {
    return filledAt(b, loc, shape, value);
  };
  auto intExtreme = [&](bool high) -> TypedAttr {
    unsigned w = elem.getIntOrFloatBitWidth();
    if (isUnsigned)
      return b.getIntegerAttr(elem, high ? APInt::getMaxValue(w) : APInt::getZero(w));
    return b.getIntegerAttr(elem, high ? APInt::getSignedMaxValue(w)
                                       : APInt::getSignedMinValue(w));
  };
  // The "previous pick" starts beyond every element in the output order.
  TypedAttr start = llvm::isa<FloatType>(elem)
                        ? (largest ? highest(b, elem) : lowest(b, elem))
                        : intExtreme(largest);
  Value values = tensor::EmptyOp::create(b, loc, outShape, elem);
  Value indices = tensor::EmptyOp::create(b, loc, outShape, i64);
  Value prevV = filled(rowShape, start);
  Value prevI = filled(rowShape, b.getI64IntegerAttr(-1));

  SmallVector<AffineExpr> rowExprs;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis)
      rowExprs.push_back(getAffineDimExpr(d, ctx));
  AffineMap full = b.getMultiDimIdentityMap(rank);
  AffineMap row = AffineMap::get(rank, 0, rowExprs, ctx);
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  iters[axis] = utils::IteratorType::reduction;
  Value x = n.input(0);

  auto loop = scf::ForOp::create(
      b, loc, qsl::builders::indexConst(b, loc, 0), qsl::builders::indexConst(b, loc, k),
      qsl::builders::indexConst(b, loc, 1), ValueRange{values, indices, prevV, prevI},
      [&](OpBuilder &lb, Location ll, Value p, ValueRange acc) {
        auto cmp = [&](OpBuilder &cb, Location cl, bool less, Value a0, Value a1) -> Value {
          if (llvm::isa<FloatType>(elem))
            return arith::CmpFOp::create(cb, cl, less ? arith::CmpFPredicate::OLT
                                                      : arith::CmpFPredicate::OGT, a0, a1);
          arith::CmpIPredicate pred =
              isUnsigned ? (less ? arith::CmpIPredicate::ult : arith::CmpIPredicate::ugt)
                         : (less ? arith::CmpIPredicate::slt : arith::CmpIPredicate::sgt);
          return arith::CmpIOp::create(cb, cl, pred, a0, a1);
        };
        auto eq = [&](OpBuilder &cb, Location cl, Value a0, Value a1) -> Value {
          if (llvm::isa<FloatType>(elem))
            return arith::CmpFOp::create(cb, cl, arith::CmpFPredicate::OEQ, a0, a1);
          return arith::CmpIOp::create(cb, cl, arith::CmpIPredicate::eq, a0, a1);
        };
        Value bestV = filledAt(lb, ll, rowShape, start);
        Value bestI = filledAt(lb, ll, rowShape, lb.getI64IntegerAttr(-1));
        auto pick = linalg::GenericOp::create(
            lb, ll, TypeRange{bestV.getType(), bestI.getType()},
            ValueRange{x, acc[2], acc[3]}, ValueRange{bestV, bestI},
            SmallVector<AffineMap>{full, row, row, row, row}, iters,
            [&](OpBuilder &gb, Location gl, ValueRange a) {
              Value v = a[0], pv = a[1], pi = a[2], bv = a[3], bi = a[4];
              Value j = arith::IndexCastOp::create(gb, gl, i64,
                                                   linalg::IndexOp::create(gb, gl, axis));
              // After the previous pick: strictly behind it in value, or
              // equal with a higher index.
              Value after = arith::OrIOp::create(
                  gb, gl, cmp(gb, gl, largest, v, pv),
                  arith::AndIOp::create(
                      gb, gl, eq(gb, gl, v, pv),
                      arith::CmpIOp::create(gb, gl, arith::CmpIPredicate::sgt, j, pi)));
              // Better than the best so far: none yet, ahead in value, or
              // equal with a lower index.
              Value none = arith::CmpIOp::create(gb, gl, arith::CmpIPredicate::slt, bi,
                                                 arith::ConstantOp::create(gb, gl, gb.getI64IntegerAttr(0)));
              Value better = arith::OrIOp::create(
                  gb, gl, none,
                  arith::OrIOp::create(
                      gb, gl, cmp(gb, gl, !largest, v, bv),
                      arith::AndIOp::create(
                          gb, gl, eq(gb, gl, v, bv),
                          arith::CmpIOp::create(gb, gl, arith::CmpIPredicate::slt, j, bi))));
              Value take = arith::AndIOp::create(gb, gl, after, better);
              linalg::YieldOp::create(
                  gb, gl,
                  ValueRange{arith::SelectOp::create(gb, gl, take, v, bv),
                             arith::SelectOp::create(gb, gl, take, j, bi)});
            });
        SmallVector<OpFoldResult> offsets(rank, lb.getIndexAttr(0)), sizes, strides(rank, lb.getIndexAttr(1));
        for (int64_t d = 0; d < rank; ++d)
          sizes.push_back(lb.getIndexAttr(d == axis ? 1 : t.getDimSize(d)));
        offsets[axis] = p;
        Value nv = tensor::InsertSliceOp::create(lb, ll, pick.getResult(0), acc[0],
                                                 offsets, sizes, strides);
        Value ni = tensor::InsertSliceOp::create(lb, ll, pick.getResult(1), acc[1],
                                                 offsets, sizes, strides);
        scf::YieldOp::create(lb, ll, ValueRange{nv, ni, pick.getResult(0), pick.getResult(1)});
      });
  n.setResult(0, loop.getResult(0));
  if (isUnsigned)
    n.markUnsigned(0);
  n.setResult(1, loop.getResult(1));
}

} // namespace

void mlir::qsl::onnx_import::registerReductionOps(OpTable &t) {
  t.add("", "CumSum", 14, cumSum);
  t.add("", "ReduceSum", 13, [](NodeContext &n) { reduce(n, Kind::Sum, true); });
  for (auto [name, kind] :
       {std::pair<StringRef, Kind>{"ReduceMean", Kind::Mean},
        {"ReduceMax", Kind::Max},
        {"ReduceMin", Kind::Min}}) {
    t.add("", name, 13, [kind = kind](NodeContext &n) { reduce(n, kind, false); });
    t.add("", name, 18, [kind = kind](NodeContext &n) { reduce(n, kind, true); });
  }
  t.add("", "Softmax", 13, [](NodeContext &n) { softmax(n, false); });
  t.add("", "LogSoftmax", 13, [](NodeContext &n) { softmax(n, true); });
  t.add("", "LayerNormalization", 17, layerNorm);
  t.add("", "ArgMax", 13, [](NodeContext &n) { argExtreme(n, true); });
  t.add("", "TopK", 11, topK);
  t.add("", "ArgMin", 13, [](NodeContext &n) { argExtreme(n, false); });
}
