//===- Elementwise.cpp - ONNX elementwise operators ------------------------===//
//
// Arithmetic, comparison, logic, activations and casts, all with numpy
// broadcasting, as linalg.generic over arith/math. Integer shape arithmetic
// on tensors known at import time is folded into constants.
//
//===----------------------------------------------------------------------===//
#include "../ImportContext.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qsl::onnx_import;

namespace {

using BodyFn = std::function<Value(OpBuilder &, Location, ValueRange)>;

bool isFloat(Type t) { return llvm::isa<FloatType>(t); }

Value floatConst(OpBuilder &b, Location loc, Type type, double v) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(type, v));
}

/// Folds integer `a op b` with broadcasting when both are known.
std::optional<IntConst> foldInts(const std::optional<IntConst> &a,
                                 const std::optional<IntConst> &b,
                                 const std::function<int64_t(int64_t, int64_t)> &fn) {
  if (!a || !b)
    return std::nullopt;
  IntConst out;
  out.shape = broadcastShapes(a->shape, b->shape);
  int64_t rank = out.shape.size(), n = 1;
  for (int64_t d : out.shape)
    n *= d;
  // Flat index into `c` of the element broadcast to output coordinates.
  auto at = [&](const IntConst &c, ArrayRef<int64_t> coord) {
    int64_t idx = 0, offset = rank - c.shape.size();
    for (size_t j = 0; j < c.shape.size(); ++j)
      idx = idx * c.shape[j] + (c.shape[j] == 1 ? 0 : coord[offset + j]);
    return idx;
  };
  SmallVector<int64_t> coord(rank, 0);
  for (int64_t f = 0; f < n; ++f) {
    out.data.push_back(fn(a->data[at(*a, coord)], b->data[at(*b, coord)]));
    for (int64_t d = rank - 1; d >= 0 && ++coord[d] == out.shape[d]; --d)
      coord[d] = 0;
  }
  return out;
}

std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << t;
  return s;
}

/// A binary op with broadcasting. `floatBody`/`intBody` build the scalar
/// computation; `resultI1` makes the result boolean (comparisons).
void binary(NodeContext &n, const BodyFn &floatBody, const BodyFn &intBody,
            bool resultI1 = false,
            std::function<int64_t(int64_t, int64_t)> fold = nullptr) {
  n.expectArity(2, 2);
  RankedTensorType a = n.inputType(0), b = n.inputType(1);
  if (a.getElementType() != b.getElementType())
    fail("operand element types differ (" + typeStr(a.getElementType()) +
         " and " + typeStr(b.getElementType()) + ")");
  Type elem = a.getElementType();
  const BodyFn &body = isFloat(elem) ? floatBody : intBody;
  if (!body)
    fail(llvm::Twine("element type is not supported by this operator"));
  SmallVector<int64_t> shape = broadcastShapes(a.getShape(), b.getShape());
  Type resultElem = resultI1 ? n.b.getI1Type() : elem;
  if (fold && !isFloat(elem))
    if (auto c = foldInts(n.maybeConstInput(0), n.maybeConstInput(1), fold)) {
      n.setConstResult(0, *c, resultElem);
      return;
    }
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0), n.input(1)}, shape, resultElem,
                     [&](OpBuilder &b, Location l, ValueRange v) {
                       return body(b, l, v);
                     }));
}

/// A unary op on floats (and optionally integers).
void unary(NodeContext &n, const BodyFn &floatBody,
           const BodyFn &intBody = nullptr,
           std::function<int64_t(int64_t)> fold = nullptr) {
  n.expectArity(1, 1);
  RankedTensorType t = n.inputType(0);
  if (fold && n.maybeConstInput(0)) {
    IntConst c = *n.maybeConstInput(0);
    for (int64_t &v : c.data)
      v = fold(v);
    n.setConstResult(0, c, t.getElementType());
    return;
  }
  const BodyFn &body = isFloat(t.getElementType()) ? floatBody : intBody;
  if (!body)
    fail("element type " + llvm::Twine(t.getElementType().isInteger(1)
                                           ? "bool"
                                           : "integer") +
         " is not supported by this operator");
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0)}, t.getShape(),
                     t.getElementType(),
                     [&](OpBuilder &b, Location l, ValueRange v) {
                       return body(b, l, v);
                     }));
}

template <typename FOp, typename IOp>
void arithBinary(OpTable &t, StringRef name,
                 std::function<int64_t(int64_t, int64_t)> fold) {
  t.add("", name, 13, [fold](NodeContext &n) {
    binary(
        n,
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return FOp::create(b, l, v[0], v[1]);
        },
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return IOp::create(b, l, v[0], v[1]);
        },
        false, fold);
  });
}

void compare(OpTable &t, StringRef name, arith::CmpFPredicate fp,
             arith::CmpIPredicate ip,
             std::function<bool(int64_t, int64_t)> fold) {
  t.add("", name, 13, [fp, ip, fold](NodeContext &n) {
    binary(
        n,
        [fp](OpBuilder &b, Location l, ValueRange v) -> Value {
          return arith::CmpFOp::create(b, l, fp, v[0], v[1]);
        },
        [ip](OpBuilder &b, Location l, ValueRange v) -> Value {
          return arith::CmpIOp::create(b, l, ip, v[0], v[1]);
        },
        /*resultI1=*/true,
        // Shape computations compare known integers (torch's expand(-1)
        // guard); unsigned operands are not shapes and are not folded.
        n.isUnsignedInput(0) ? std::function<int64_t(int64_t, int64_t)>()
                             : [fold](int64_t a, int64_t b) -> int64_t {
                                 return fold(a, b) ? 1 : 0;
                               });
  });
}

template <typename MathOp> void mathUnary(OpTable &t, StringRef name) {
  t.add("", name, 13, [](NodeContext &n) {
    unary(n, [](OpBuilder &b, Location l, ValueRange v) -> Value {
      return MathOp::create(b, l, v[0]);
    });
  });
}

Value sigmoid(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value e = math::ExpOp::create(b, l, arith::NegFOp::create(b, l, x));
  Value one = floatConst(b, l, t, 1.0);
  return arith::DivFOp::create(b, l, one, arith::AddFOp::create(b, l, one, e));
}

Value clamp01(OpBuilder &b, Location l, Value x) {
  Type t = x.getType();
  Value lo = arith::MaximumFOp::create(b, l, x, floatConst(b, l, t, 0.0));
  return arith::MinimumFOp::create(b, l, lo, floatConst(b, l, t, 1.0));
}

/// ONNX Cast semantics between the element types QSL supports; `fromUnsigned`
/// when the source holds an ONNX unsigned type.
Value castScalar(OpBuilder &b, Location l, Value v, Type to,
                 bool fromUnsigned = false) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (to.isInteger(1)) {
    if (isFloat(from))
      return arith::CmpFOp::create(b, l, arith::CmpFPredicate::UNE, v,
                                   floatConst(b, l, from, 0.0));
    return arith::CmpIOp::create(
        b, l, arith::CmpIPredicate::ne, v,
        arith::ConstantOp::create(b, l, b.getIntegerAttr(from, 0)));
  }
  if (isFloat(from) && isFloat(to)) {
    auto f = llvm::cast<FloatType>(from), g = llvm::cast<FloatType>(to);
    if (f.getWidth() < g.getWidth())
      return arith::ExtFOp::create(b, l, to, v);
    if (f.getWidth() > g.getWidth())
      return arith::TruncFOp::create(b, l, to, v);
    return arith::TruncFOp::create(
        b, l, to, arith::ExtFOp::create(b, l, b.getF32Type(), v));
  }
  if (isFloat(from))
    return arith::FPToSIOp::create(b, l, to, v);
  if (from.isInteger(1) || fromUnsigned) {
    if (isFloat(to))
      return arith::UIToFPOp::create(b, l, to, v);
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtUIOp::create(b, l, to, v);
    return arith::TruncIOp::create(b, l, to, v);
  }
  if (isFloat(to))
    return arith::SIToFPOp::create(b, l, to, v);
  if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
    return arith::ExtSIOp::create(b, l, to, v);
  return arith::TruncIOp::create(b, l, to, v);
}

void castTo(NodeContext &n, Type to, bool toUnsigned) {
  RankedTensorType t = n.inputType(0);
  bool fromUnsigned = n.isUnsignedInput(0);
  if (t.getElementType() == to) {
    n.setResult(0, n.input(0), n.maybeConstInput(0));
    if (toUnsigned)
      n.markUnsigned(0);
    return;
  }
  if (n.maybeConstInput(0) && llvm::isa<IntegerType>(to) && !to.isInteger(1)) {
    IntConst c = *n.maybeConstInput(0);
    unsigned w = to.getIntOrFloatBitWidth();
    for (int64_t &v : c.data)
      v = APInt(64, v, true).trunc(w).getSExtValue();
    n.setConstResult(0, c, to);
    return;
  }
  n.setResult(0, buildBroadcastElementwise(
                     n.b, n.loc, {n.input(0)}, t.getShape(), to,
                     [&](OpBuilder &b, Location l, ValueRange v) {
                       return castScalar(b, l, v[0], to, fromUnsigned);
                     }));
  if (toUnsigned)
    n.markUnsigned(0);
}

} // namespace

void mlir::qsl::onnx_import::registerElementwiseOps(OpTable &t) {
  arithBinary<arith::AddFOp, arith::AddIOp>(t, "Add", std::plus<int64_t>());
  arithBinary<arith::SubFOp, arith::SubIOp>(t, "Sub", std::minus<int64_t>());
  arithBinary<arith::MulFOp, arith::MulIOp>(t, "Mul",
                                            std::multiplies<int64_t>());
  // ONNX integer Div truncates toward zero, like arith.divsi.
  arithBinary<arith::DivFOp, arith::DivSIOp>(t, "Div", [](int64_t a, int64_t b) {
    if (b == 0)
      fail("integer division by zero in a shape computation");
    return a / b;
  });
  t.add("", "Pow", 13, [](NodeContext &n) {
    n.expectArity(2, 2);
    // The result has the base's type; integer powers are computed in f64 and
    // converted back (exact for the integer results that fit).
    Type base = n.inputType(0).getElementType();
    Type compute = isFloat(base) ? base : n.b.getF64Type();
    SmallVector<int64_t> shape =
        broadcastShapes(n.inputType(0).getShape(), n.inputType(1).getShape());
    n.setResult(0, buildBroadcastElementwise(
                       n.b, n.loc, {n.input(0), n.input(1)}, shape, base,
                       [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                         Value x = castScalar(b, l, v[0], compute);
                         Value e = castScalar(b, l, v[1], compute);
                         Value p = math::PowFOp::create(b, l, x, e);
                         if (compute == base)
                           return p;
                         // Round first: pow(2, 3) may come back as 7.999...
                         return castScalar(b, l, math::RoundEvenOp::create(b, l, p),
                                           base);
                       }));
  });

  compare(t, "Equal", arith::CmpFPredicate::OEQ, arith::CmpIPredicate::eq,
          std::equal_to<int64_t>());
  compare(t, "Less", arith::CmpFPredicate::OLT, arith::CmpIPredicate::slt,
          std::less<int64_t>());
  compare(t, "LessOrEqual", arith::CmpFPredicate::OLE, arith::CmpIPredicate::sle,
          std::less_equal<int64_t>());
  compare(t, "Greater", arith::CmpFPredicate::OGT, arith::CmpIPredicate::sgt,
          std::greater<int64_t>());
  compare(t, "GreaterOrEqual", arith::CmpFPredicate::OGE,
          arith::CmpIPredicate::sge, std::greater_equal<int64_t>());
  for (auto [name, kind] : {std::pair<StringRef, int>{"And", 0}, {"Or", 1}, {"Xor", 2}})
    t.add("", name, 7, [kind = kind](NodeContext &n) {
      if (!n.inputType(0).getElementType().isInteger(1))
        fail("expects boolean operands");
      binary(n, nullptr, [kind](OpBuilder &b, Location l, ValueRange v) -> Value {
        if (kind == 0)
          return arith::AndIOp::create(b, l, v[0], v[1]);
        if (kind == 1)
          return arith::OrIOp::create(b, l, v[0], v[1]);
        return arith::XOrIOp::create(b, l, v[0], v[1]);
      });
    });
  t.add("", "Not", 1, [](NodeContext &n) {
    if (!n.inputType(0).getElementType().isInteger(1))
      fail("expects a boolean operand");
    unary(
        n, nullptr,
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value one = arith::ConstantIntOp::create(b, l, 1, 1);
          return arith::XOrIOp::create(b, l, v[0], one);
        },
        [](int64_t v) -> int64_t { return v ? 0 : 1; });
  });
  t.add("", "Where", 16, [](NodeContext &n) {
    n.expectArity(3, 3);
    if (!n.inputType(0).getElementType().isInteger(1))
      fail("condition must be boolean");
    Type elem = n.inputType(1).getElementType();
    if (elem != n.inputType(2).getElementType())
      fail("X and Y element types differ");
    SmallVector<int64_t> shape = broadcastShapes(
        broadcastShapes(n.inputType(0).getShape(), n.inputType(1).getShape()),
        n.inputType(2).getShape());
    // Known integers (torch's `Where(size == -1, 1, size)` before Expand):
    // fold, pairing the condition with each branch by broadcasting.
    if (!isFloat(elem) && n.maybeConstInput(0) && n.maybeConstInput(1) &&
        n.maybeConstInput(2)) {
      auto pickX = foldInts(n.maybeConstInput(0), n.maybeConstInput(1),
                            [](int64_t c, int64_t x) { return c ? x : 0; });
      auto pickY = foldInts(n.maybeConstInput(0), n.maybeConstInput(2),
                            [](int64_t c, int64_t y) { return c ? 0 : y; });
      auto sum = foldInts(pickX, pickY, std::plus<int64_t>());
      if (sum && SmallVector<int64_t>(sum->shape) == shape) {
        n.setConstResult(0, *sum, elem);
        return;
      }
    }
    n.setResult(0, buildBroadcastElementwise(
                       n.b, n.loc, {n.input(0), n.input(1), n.input(2)}, shape,
                       elem, [](OpBuilder &b, Location l, ValueRange v) -> Value {
                         return arith::SelectOp::create(b, l, v[0], v[1], v[2]);
                       }));
  });
  for (auto [name, isMax] : {std::pair<StringRef, bool>{"Max", true}, {"Min", false}})
    t.add("", name, 13, [isMax = isMax](NodeContext &n) {
      if (n.numInputs() < 1)
        fail("expects at least one input");
      Type elem = n.inputType(0).getElementType();
      // Shape arithmetic: fold when every operand is a known integer tensor.
      if (!isFloat(elem) && n.maybeConstInput(0)) {
        std::optional<IntConst> acc = n.maybeConstInput(0);
        for (size_t i = 1; acc && i < n.numInputs(); ++i)
          acc = foldInts(acc, n.maybeConstInput(i), [isMax](int64_t a, int64_t b) {
            return isMax ? std::max(a, b) : std::min(a, b);
          });
        if (acc) {
          n.setConstResult(0, *acc, elem);
          return;
        }
      }
      SmallVector<int64_t> shape(n.inputType(0).getShape());
      SmallVector<Value> ins{n.input(0)};
      for (size_t i = 1; i < n.numInputs(); ++i) {
        if (n.inputType(i).getElementType() != elem)
          fail("operand element types differ");
        shape = broadcastShapes(shape, n.inputType(i).getShape());
        ins.push_back(n.input(i));
      }
      n.setResult(0, buildBroadcastElementwise(
                         n.b, n.loc, ins, shape, elem,
                         [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                           Value acc = v[0];
                           for (Value x : v.drop_front()) {
                             if (isFloat(elem))
                               acc = isMax ? Value(arith::MaximumFOp::create(b, l, acc, x))
                                           : Value(arith::MinimumFOp::create(b, l, acc, x));
                             else
                               acc = isMax ? Value(arith::MaxSIOp::create(b, l, acc, x))
                                           : Value(arith::MinSIOp::create(b, l, acc, x));
                           }
                           return acc;
                         }));
    });

  t.add("", "Neg", 13, [](NodeContext &n) {
    unary(
        n,
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return arith::NegFOp::create(b, l, v[0]);
        },
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value zero = arith::ConstantOp::create(
              b, l, b.getIntegerAttr(v[0].getType(), 0));
          return arith::SubIOp::create(b, l, zero, v[0]);
        },
        [](int64_t v) { return -v; });
  });
  t.add("", "Abs", 13, [](NodeContext &n) {
    unary(
        n,
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return math::AbsFOp::create(b, l, v[0]);
        },
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return math::AbsIOp::create(b, l, v[0]);
        },
        [](int64_t v) { return v < 0 ? -v : v; });
  });
  mathUnary<math::ExpOp>(t, "Exp");
  mathUnary<math::LogOp>(t, "Log");
  mathUnary<math::SqrtOp>(t, "Sqrt");
  mathUnary<math::TanhOp>(t, "Tanh");
  mathUnary<math::ErfOp>(t, "Erf");
  mathUnary<math::SinOp>(t, "Sin");
  mathUnary<math::CosOp>(t, "Cos");
  mathUnary<math::FloorOp>(t, "Floor");
  mathUnary<math::CeilOp>(t, "Ceil");
  mathUnary<math::RoundEvenOp>(t, "Round");
  t.add("", "Reciprocal", 13, [](NodeContext &n) {
    unary(n, [](OpBuilder &b, Location l, ValueRange v) -> Value {
      return arith::DivFOp::create(b, l, floatConst(b, l, v[0].getType(), 1.0),
                                   v[0]);
    });
  });
  t.add("", "Sigmoid", 13, [](NodeContext &n) {
    unary(n, [](OpBuilder &b, Location l, ValueRange v) -> Value {
      return sigmoid(b, l, v[0]);
    });
  });
  t.add("", "Relu", 14, [](NodeContext &n) {
    unary(
        n,
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          return arith::MaximumFOp::create(b, l, v[0],
                                           floatConst(b, l, v[0].getType(), 0));
        },
        [](OpBuilder &b, Location l, ValueRange v) -> Value {
          Value zero = arith::ConstantOp::create(
              b, l, b.getIntegerAttr(v[0].getType(), 0));
          return arith::MaxSIOp::create(b, l, v[0], zero);
        });
  });
  t.add("", "Relu", 13, [](NodeContext &n) {
    unary(n, [](OpBuilder &b, Location l, ValueRange v) -> Value {
      return arith::MaximumFOp::create(b, l, v[0],
                                       floatConst(b, l, v[0].getType(), 0));
    });
  });
  t.add("", "LeakyRelu", 6, [](NodeContext &n) {
    double alpha = n.floatAttr("alpha", 0.01f);
    unary(n, [alpha](OpBuilder &b, Location l, ValueRange v) -> Value {
      Type ty = v[0].getType();
      Value neg = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, v[0],
                                        floatConst(b, l, ty, 0));
      Value scaled = arith::MulFOp::create(b, l, v[0], floatConst(b, l, ty, alpha));
      return arith::SelectOp::create(b, l, neg, scaled, v[0]);
    });
  });
  t.add("", "HardSigmoid", 6, [](NodeContext &n) {
    double alpha = n.floatAttr("alpha", 0.2f), beta = n.floatAttr("beta", 0.5f);
    unary(n, [=](OpBuilder &b, Location l, ValueRange v) -> Value {
      Type ty = v[0].getType();
      Value y = arith::AddFOp::create(
          b, l, arith::MulFOp::create(b, l, v[0], floatConst(b, l, ty, alpha)),
          floatConst(b, l, ty, beta));
      return clamp01(b, l, y);
    });
  });
  t.add("", "HardSwish", 14, [](NodeContext &n) {
    unary(n, [](OpBuilder &b, Location l, ValueRange v) -> Value {
      Type ty = v[0].getType();
      Value y = arith::AddFOp::create(
          b, l, arith::MulFOp::create(b, l, v[0], floatConst(b, l, ty, 1.0 / 6)),
          floatConst(b, l, ty, 0.5));
      return arith::MulFOp::create(b, l, v[0], clamp01(b, l, y));
    });
  });
  t.add("", "Gelu", 20, [](NodeContext &n) {
    std::string approx = n.stringAttr("approximate", "none");
    if (approx != "none" && approx != "tanh")
      fail("approximate must be 'none' or 'tanh', got '" + approx + "'");
    bool useTanh = approx == "tanh";
    unary(n, [useTanh](OpBuilder &b, Location l, ValueRange v) -> Value {
      Type ty = v[0].getType();
      Value x = v[0];
      Value inner;
      if (useTanh) {
        Value x3 = arith::MulFOp::create(b, l, x, arith::MulFOp::create(b, l, x, x));
        Value s = arith::AddFOp::create(
            b, l, x, arith::MulFOp::create(b, l, x3, floatConst(b, l, ty, 0.044715)));
        inner = math::TanhOp::create(
            b, l, arith::MulFOp::create(b, l, s,
                                        floatConst(b, l, ty, std::sqrt(2.0 / M_PI))));
      } else {
        inner = math::ErfOp::create(
            b, l, arith::MulFOp::create(b, l, x, floatConst(b, l, ty, M_SQRT1_2)));
      }
      Value onePlus = arith::AddFOp::create(b, l, floatConst(b, l, ty, 1.0), inner);
      return arith::MulFOp::create(
          b, l, arith::MulFOp::create(b, l, x, floatConst(b, l, ty, 0.5)), onePlus);
    });
  });
  t.add("", "Clip", 13, [](NodeContext &n) {
    n.expectArity(1, 3);
    RankedTensorType x = n.inputType(0);
    Type elem = x.getElementType();
    SmallVector<Value> ins{n.input(0)};
    bool hasMin = n.hasInput(1), hasMax = n.hasInput(2);
    for (size_t i : {1, 2})
      if (n.hasInput(i)) {
        if (n.inputType(i).getRank() != 0)
          fail("min and max must be scalars");
        ins.push_back(n.input(i));
      }
    n.setResult(0, buildBroadcastElementwise(
                       n.b, n.loc, ins, x.getShape(), elem,
                       [&](OpBuilder &b, Location l, ValueRange v) -> Value {
                         Value y = v[0];
                         size_t k = 1;
                         if (hasMin)
                           y = isFloat(elem) ? Value(arith::MaximumFOp::create(b, l, y, v[k++]))
                                             : Value(arith::MaxSIOp::create(b, l, y, v[k++]));
                         if (hasMax)
                           y = isFloat(elem) ? Value(arith::MinimumFOp::create(b, l, y, v[k]))
                                             : Value(arith::MinSIOp::create(b, l, y, v[k]));
                         return y;
                       }));
  });
  t.add("", "Cast", 13, [](NodeContext &n) {
    n.expectArity(1, 1);
    n.rejectAttr("saturate", "only meaningful for float8 targets");
    std::optional<int64_t> to = n.optIntAttr("to");
    if (!to)
      fail("attribute 'to' is required");
    castTo(n, n.elementType(static_cast<int32_t>(*to)),
           isUnsignedType(static_cast<int32_t>(*to)));
  });
  t.add("", "CastLike", 15, [](NodeContext &n) {
    n.expectArity(2, 2);
    castTo(n, n.inputType(1).getElementType(), n.isUnsignedInput(1));
  });
  t.add("", "Identity", 13, [](NodeContext &n) {
    n.expectArity(1, 1);
    n.setResult(0, n.input(0), n.maybeConstInput(0));
  });
  t.add("", "Dropout", 13, [](NodeContext &n) {
    // Inference: the identity; the optional mask is all true.
    n.expectArity(1, 3);
    if (n.hasInput(2) && n.maybeConstInput(2) &&
        n.maybeConstInput(2)->data.size() == 1 && n.maybeConstInput(2)->data[0])
      fail("training_mode = true is not supported (inference only)");
    n.setResult(0, n.input(0), n.maybeConstInput(0));
    if (n.numOutputs() > 1) {
      auto maskType = RankedTensorType::get(n.inputType(0).getShape(),
                                            n.b.getI1Type());
      n.setResult(1, arith::ConstantOp::create(
                         n.b, n.loc, DenseElementsAttr::get(maskType, true)));
    }
  });
}
