//===- Epilogue.cpp - Elementwise ops fused into the kernels' stores ------===//
#include "Epilogue.h"

#include "qsl/Utils/ElementsAccess.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;

namespace mlir {
namespace qsl {
namespace gpu_kernels {

namespace {

bool isIdentity(AffineMap map, unsigned rank) {
  return map.isIdentity() && map.getNumDims() == rank;
}

/// A generic over tensors of rank `rank` (results of type `elem`, or f16
/// when `allowF16`) with parallel iterators, one output whose initial value
/// is not read, and an identity output map.
bool isElementwiseShell(linalg::GenericOp g, unsigned rank, Type elem,
                        bool allowF16 = false) {
  if (g.getNumDpsInits() != 1 || g.getNumResults() != 1)
    return false;
  if (llvm::any_of(g.getIteratorTypesArray(), [](utils::IteratorType t) {
        return t != utils::IteratorType::parallel;
      }))
    return false;
  auto type = dyn_cast<RankedTensorType>(g.getResult(0).getType());
  if (!type || type.getRank() != rank ||
      !(type.getElementType() == elem ||
        (allowF16 && type.getElementType().isF16())))
    return false;
  if (!isIdentity(g.getIndexingMapsArray().back(), rank))
    return false;
  Block &body = g.getRegion().front();
  return body.getArgument(body.getNumArguments() - 1).use_empty();
}

/// The defining constant of `v`, looking through reshapes (which keep the
/// element order).
ElementsAttr constantOf(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<tensor::ReshapeOp, tensor::ExpandShapeOp,
             tensor::CollapseShapeOp>(def))
      break;
    v = def->getOperand(0);
  }
  auto cst = v.getDefiningOp<arith::ConstantOp>();
  return cst ? dyn_cast<ElementsAttr>(cst.getValue()) : ElementsAttr();
}

/// Whether `map` reads a vector along `channel`: the results are
/// `d<channel>` once and constant 0 for the operand's unit dimensions
/// (bias[c], or ONNX's broadcast form bias[c, 0, 0]).
bool isChannelMap(AffineMap map, RankedTensorType type, unsigned channel) {
  if (map.getNumResults() != type.getRank())
    return false;
  bool sawChannel = false;
  for (auto [d, e] : llvm::enumerate(map.getResults())) {
    if (e == getAffineDimExpr(channel, map.getContext()) && !sawChannel) {
      sawChannel = true;
      continue;
    }
    auto c = dyn_cast<AffineConstantExpr>(e);
    if (!c || c.getValue() != 0 || type.getDimSize(d) != 1)
      return false;
  }
  return sawChannel;
}

/// A body of arith/math ops on its block arguments and scalar constants
/// (defined in the body or captured arith.constants).
bool isScalarBody(linalg::GenericOp g) {
  Block &body = g.getRegion().front();
  for (Operation &op : body.without_terminator()) {
    Dialect *d = op.getDialect();
    if (!d || !(isa<arith::ArithDialect>(d) || isa<math::MathDialect>(d)))
      return false;
    if (op.getNumRegions() != 0)
      return false;
    for (Value v : op.getOperands()) {
      if (v.getParentBlock() == &body)
        continue;
      auto c = v.getDefiningOp<arith::ConstantOp>();
      if (!c || isa<ShapedType>(c.getType()))
        return false;
    }
  }
  return true;
}

/// The body is exactly `yield truncf(arg0) : f32 to f16`.
bool isCastToF16(linalg::GenericOp g) {
  if (g.getNumDpsInputs() != 1)
    return false;
  Block &body = g.getRegion().front();
  if (body.getOperations().size() != 2)
    return false;
  auto trunc = dyn_cast<arith::TruncFOp>(&body.front());
  return trunc && trunc.getIn() == body.getArgument(0) &&
         trunc.getType().isF16() &&
         body.getTerminator()->getOperand(0) == trunc.getResult();
}

/// Whether `v` can be read where `anchor` is: it dominates `anchor`, or it
/// is defined by one pure op whose operands do (`hoist` is then that op,
/// to be moved before `anchor`).
bool availableAt(Value v, Operation *anchor, Operation *&hoist) {
  DominanceInfo dom;
  auto before = [&](Value u) { return dom.properlyDominates(u, anchor); };
  if (before(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (!def || def->getBlock() != anchor->getBlock() || !isPure(def) ||
      def->getNumRegions() != 0 || !llvm::all_of(def->getOperands(), before))
    return false;
  hoist = def;
  return true;
}

/// Grows the fused DAG one op at a time.
class EpilogueMatcher {
public:
  EpilogueMatcher(Operation *anchor, unsigned channel)
      : anchor(anchor), channel(channel),
        type(cast<RankedTensorType>(anchor->getResult(0).getType())) {
    values.push_back(anchor->getResult(0));
  }

  /// Adds `g` (which reads a fused value) when all its inputs have a
  /// source; false leaves the state unchanged.
  bool add(linalg::GenericOp g) {
    unsigned rank = type.getRank();
    Type elem = type.getElementType();
    // An f32 result may end in a cast to f16; an f16 result's ops are f16.
    if (!isElementwiseShell(g, rank, elem, /*allowF16=*/elem.isF32()) ||
        !isScalarBody(g))
      return false;
    EpilogueStep step;
    step.op = g;
    step.toF16 = elem.isF32() && cast<RankedTensorType>(g.getResult(0).getType())
                                     .getElementType()
                                     .isF16();
    if (step.toF16 && !isCastToF16(g))
      return false;
    std::vector<float> bias = e.bias;
    Value residual = e.residual;
    Operation *hoist = e.hoist;
    auto maps = g.getIndexingMapsArray();
    for (unsigned i = 0; i < g.getNumDpsInputs(); ++i) {
      Value in = g.getDpsInputOperand(i)->get();
      AffineMap map = maps[i];
      EpilogueInput src;
      auto it = llvm::find(values, in);
      auto inType = dyn_cast<RankedTensorType>(in.getType());
      if (!inType || inType.getElementType() != elem)
        return false;
      if (it != values.end()) {
        if (!isIdentity(map, rank))
          return false;
        src.kind = EpilogueInput::Kind::Value;
        src.value = it - values.begin();
      } else if (ElementsAttr cst = constantOf(in)) {
        auto vals = readFloatElements(cst);
        if (!vals)
          return false;
        if (cst.isSplat() || vals->size() == 1) {
          src.kind = EpilogueInput::Kind::Scalar;
          src.scalar = static_cast<float>((*vals)[0]);
        } else if (isChannelMap(map, inType, channel) &&
                   int64_t(vals->size()) == type.getDimSize(channel)) {
          std::vector<float> v(vals->begin(), vals->end());
          if (!bias.empty() && bias != v)
            return false; // one bias vector per kernel
          bias = std::move(v);
          src.kind = EpilogueInput::Kind::Bias;
        } else {
          return false;
        }
      } else if (isIdentity(map, rank) && inType.hasStaticShape() &&
                 inType.getShape() == type.getShape() &&
                 (in == residual ||
                  (!residual && availableAt(in, anchor, hoist)))) {
        residual = in;
        src.kind = EpilogueInput::Kind::Residual;
      } else {
        return false;
      }
      step.inputs.push_back(src);
    }
    e.bias = std::move(bias);
    e.residual = residual;
    e.hoist = hoist;
    e.steps.push_back(std::move(step));
    values.push_back(g.getResult(0));
    return true;
  }

  /// Only the last value is used outside the fused ops.
  bool closed() const {
    for (size_t i = 0; i + 1 < values.size(); ++i)
      for (Operation *user : values[i].getUsers())
        if (!llvm::any_of(e.steps, [&](const EpilogueStep &s) {
              return linalg::GenericOp(s.op).getOperation() == user;
            }))
          return false;
    return true;
  }

  bool reads(Operation *op) const {
    return llvm::any_of(op->getOperands(), [&](Value v) {
      return llvm::is_contained(values, v);
    });
  }

  bool endsWithCast() const {
    return !e.steps.empty() && e.steps.back().toF16;
  }

  Epilogue e;

private:
  Operation *anchor;
  unsigned channel;
  RankedTensorType type;
  std::vector<Value> values; // the result, then each step's
};

} // namespace

Epilogue matchEpilogue(Operation *anchor, int64_t channelDim) {
  Epilogue none;
  none.result = anchor->getResult(0);
  auto type = cast<RankedTensorType>(anchor->getResult(0).getType());
  if (!type.getElementType().isF32() && !type.getElementType().isF16())
    return none;
  unsigned channel = channelDim < 0 ? type.getRank() - 1 : channelDim;
  EpilogueMatcher m(anchor, channel);
  Epilogue best = none;
  // Ops after the anchor in its block, in order; ops that do not read a
  // fused value are stepped over, the first that reads one but cannot join
  // ends the search.
  for (Operation *op = anchor->getNextNode(); op && !m.endsWithCast();
       op = op->getNextNode()) {
    if (!m.reads(op))
      continue;
    auto g = dyn_cast<linalg::GenericOp>(op);
    if (!g || !m.add(g))
      break;
    if (m.closed()) {
      best = m.e;
      best.result = g.getResult(0);
    }
  }
  best.toF16 = !best.steps.empty() && best.steps.back().toF16;
  best.elem = type.getElementType();
  if (!best.residual)
    best.hoist = nullptr;
  return best;
}

void applyEpilogue(gpu::GPUFuncOp func, gpu::GPUModuleOp kernels,
                   const Epilogue &epilogue, const std::string &biasName) {
  if (epilogue.steps.empty())
    return;
  MLIRContext *ctx = func.getContext();
  Block &entry = func.getBody().front();
  // The output is the last function argument (workgroup attributions
  // follow the arguments in the entry block).
  BlockArgument y = entry.getArgument(func.getNumArguments() - 1);
  Location loc = func.getLoc();
  Type f32 = Float32Type::get(ctx);

  // The bias vector, resident in the kernel module.
  Value bias;
  if (!epilogue.bias.empty()) {
    int64_t n = epilogue.bias.size();
    auto space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Global);
    auto globalType =
        MemRefType::get({n}, f32, MemRefLayoutAttrInterface(), space);
    OpBuilder gb = OpBuilder::atBlockBegin(kernels.getBody());
    auto global = memref::GlobalOp::create(
        gb, loc, biasName, /*sym_visibility=*/StringAttr(), globalType,
        DenseElementsAttr::get(RankedTensorType::get({n}, f32),
                               ArrayRef<float>(epilogue.bias)),
        /*constant=*/false, /*alignment=*/gb.getI64IntegerAttr(16));
    SymbolTable(kernels).insert(global);
    OpBuilder kb = OpBuilder::atBlockBegin(&entry);
    Value g = memref::GetGlobalOp::create(kb, loc, globalType,
                                          global.getSymName());
    bias = memref::MemorySpaceCastOp::create(kb, loc,
                                             MemRefType::get({n}, f32), g);
  }

  // The ops' element type: the matmul's result's (f16 ops when it is f16;
  // f32 ones also when a fused cast makes the kernel store f16).
  Type elem = epilogue.elem;

  // The residual: a new argument before y, y's shape in the ops' type.
  Value residual;
  if (epilogue.residual) {
    auto yType = cast<MemRefType>(y.getType());
    auto rType = MemRefType::get(yType.getShape(), elem);
    unsigned at = func.getNumArguments() - 1;
    (void)func.insertArgument(at, rType, DictionaryAttr(), loc);
    residual = entry.getArgument(at);
  }

  SmallVector<memref::StoreOp> stores;
  func.walk([&](memref::StoreOp s) {
    if (s.getMemRef() == y)
      stores.push_back(s);
  });
  bool f16Ops = elem.isF16();
  for (memref::StoreOp store : stores) {
    // The value the fused ops start from: the f32 sum before the rounding
    // to an f16 output, or, when the ops themselves are f16 (the matmul's
    // result is f16), the rounded value, as on the CPU path.
    Value v = store.getValueToStore();
    auto trunc = f16Ops ? arith::TruncFOp()
                        : v.getDefiningOp<arith::TruncFOp>();
    OpBuilder b(trunc ? trunc.getOperation() : store.getOperation());
    // y[row, col] of a matmul, y[image, channel, pixel] of a convolution.
    Value col = store.getIndices()[1];
    SmallVector<Value> values{trunc ? trunc.getIn() : v};
    for (const EpilogueStep &step : epilogue.steps) {
      if (step.toF16) // the kernel was built with an f16 output
        continue;
      Block &body = linalg::GenericOp(step.op).getRegion().front();
      IRMapping map;
      for (auto [i, src] : llvm::enumerate(step.inputs)) {
        Value in;
        switch (src.kind) {
        case EpilogueInput::Kind::Value:
          in = values[src.value];
          break;
        case EpilogueInput::Kind::Scalar:
          in = arith::ConstantOp::create(
              b, loc, b.getFloatAttr(elem, static_cast<double>(src.scalar)));
          break;
        case EpilogueInput::Kind::Bias:
          in = memref::LoadOp::create(b, loc, bias, ValueRange{col});
          if (f16Ops) // the f16 constant's values, held in f32
            in = arith::TruncFOp::create(b, loc, elem, in);
          break;
        case EpilogueInput::Kind::Residual:
          in = memref::LoadOp::create(b, loc, residual, store.getIndices());
          break;
        }
        map.map(body.getArgument(i), in);
      }
      for (Operation &op : body.without_terminator()) {
        for (Value operand : op.getOperands())
          if (operand.getParentBlock() != &body && !map.contains(operand))
            map.map(operand, b.clone(*operand.getDefiningOp())->getResult(0));
        b.clone(op, map);
      }
      values.push_back(map.lookup(body.getTerminator()->getOperand(0)));
    }
    if (trunc)
      trunc.getInMutable().assign(values.back());
    else
      store.getValueMutable().assign(values.back());
  }
}

/// The implicit im2col element (GEMM row image `img`, output pixel `pix`,
/// reduction index k = (c, i, j)) of the NCHW input `x`: the input pixel
/// the filter tap reads, 0 in the padding. With channel groups, k's channel
/// c is within the group of output channel `col` (of `outChannels`).
static Value loadIm2col(OpBuilder &b, Location loc, Value x,
                        const ConvGeometry &g, int64_t outChannels, Value img,
                        Value pix, Value col, Value k) {
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(b, loc, v);
  };
  auto div = [&](Value a, int64_t d) -> Value {
    return arith::DivUIOp::create(b, loc, a, cst(d));
  };
  auto rem = [&](Value a, int64_t d) -> Value {
    return arith::RemUIOp::create(b, loc, a, cst(d));
  };
  Value ch = div(k, g.kh * g.kw), tap = rem(k, g.kh * g.kw);
  if (g.groups > 1) {
    Value group = div(col, outChannels / g.groups);
    Value first = arith::MulIOp::create(b, loc, group,
                                        cst(g.channels / g.groups));
    ch = arith::AddIOp::create(b, loc, first, ch);
  }
  Value i = div(tap, g.kw), j = rem(tap, g.kw);
  Value oh = div(pix, g.outW), ow = rem(pix, g.outW);
  // oh * stride + i * dilation - pad, as a signed index.
  auto coord = [&](Value o, int64_t stride, Value t, int64_t dil,
                   int64_t pad) -> Value {
    Value a = arith::MulIOp::create(b, loc, o, cst(stride));
    Value d = arith::MulIOp::create(b, loc, t, cst(dil));
    Value sum = arith::AddIOp::create(b, loc, a, d);
    return arith::SubIOp::create(b, loc, sum, cst(pad));
  };
  Value h = coord(oh, g.strideH, i, g.dilH, g.padTop);
  Value w = coord(ow, g.strideW, j, g.dilW, g.padLeft);
  auto inRange = [&](Value v, int64_t size) -> Value {
    Value ge = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, v,
                                     cst(0));
    Value lt = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v,
                                     cst(size));
    return arith::AndIOp::create(b, loc, ge, lt);
  };
  Value inside = arith::AndIOp::create(b, loc, inRange(h, g.height),
                                       inRange(w, g.width));
  Type elem = cast<MemRefType>(x.getType()).getElementType();
  auto ifOp = scf::IfOp::create(
      b, loc, inside,
      [&](OpBuilder &tb, Location l) {
        Value v = memref::LoadOp::create(tb, l, x, ValueRange{img, ch, h, w});
        scf::YieldOp::create(tb, l, v);
      },
      [&](OpBuilder &eb, Location l) {
        Value z = arith::ConstantOp::create(eb, l, eb.getZeroAttr(elem));
        scf::YieldOp::create(eb, l, z);
      });
  return ifOp.getResult(0);
}

void applyCorrectionTerms(gpu::GPUFuncOp func, const ComposedShape &c) {
  MLIRContext *ctx = func.getContext();
  const KernelShape &s = c.base;
  Location loc = func.getLoc();
  Block &entry = func.getBody().front();
  Type f32 = Float32Type::get(ctx), i32 = IntegerType::get(ctx, 32);
  // New parameters just before the output, in the composed GEMV's order.
  SmallVector<Type> types;
  if (c.outliers) {
    types.push_back(MemRefType::get({s.n + 1}, i32));
    types.push_back(MemRefType::get({c.outliers}, i32));
    types.push_back(MemRefType::get({c.outliers}, f32));
  }
  if (c.rank) {
    // t = x . A_in^T as the factor GEMM stores it: [M, rank], or for a
    // convolution [images, rank, OH*OW].
    types.push_back(
        s.conv ? MemRefType::get({s.conv->images, c.rank,
                                  s.conv->outH * s.conv->outW},
                                 f32)
               : MemRefType::get({s.m, c.rank}, f32));
    types.push_back(MemRefType::get(
        {s.n, c.rank}, c.lowRankF16 ? Type(Float16Type::get(ctx)) : f32));
  }
  unsigned first = func.getNumArguments() - 1; // the output's place
  for (auto [i, type] : llvm::enumerate(types))
    (void)func.insertArgument(first + i, type, DictionaryAttr(), loc);
  auto param = [&](unsigned i) { return entry.getArgument(first + i); };
  Value x = entry.getArgument(0);
  Value y = entry.getArgument(func.getNumArguments() - 1);

  SmallVector<memref::StoreOp> stores;
  func.walk([&](memref::StoreOp st) {
    if (st.getMemRef() == y)
      stores.push_back(st);
  });
  for (memref::StoreOp store : stores) {
    Value v = store.getValueToStore();
    auto trunc = v.getDefiningOp<arith::TruncFOp>();
    Value f = trunc ? trunc.getIn() : v;
    OpBuilder b(trunc ? trunc.getOperation() : store.getOperation());
    // The GEMM row: y[row, col], or a convolution's y[img, col, pix].
    Value row = store.getIndices()[0], col = store.getIndices()[1];
    Value pix = s.conv ? store.getIndices()[2] : Value();
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto asIndex = [&](Value i32v) {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32v);
    };
    if (c.outliers) {
      // sum over p in [colptr[col], colptr[col + 1]) of x[row, rows[p]] *
      // values[p]
      Value next = arith::AddIOp::create(b, loc, col, one);
      Value lo = asIndex(memref::LoadOp::create(b, loc, param(0), col));
      Value hi = asIndex(memref::LoadOp::create(b, loc, param(0), next));
      auto loop = scf::ForOp::create(
          b, loc, lo, hi, one, ValueRange{zero},
          [&](OpBuilder &lb, Location l, Value p, ValueRange acc) {
            Value k = arith::IndexCastOp::create(
                lb, l, lb.getIndexType(),
                memref::LoadOp::create(lb, l, param(1), p));
            Value xv = s.conv ? loadIm2col(lb, l, x, *s.conv, s.n, row, pix,
                                           col, k)
                              : memref::LoadOp::create(lb, l, x,
                                                       ValueRange{row, k})
                                    .getResult();
            if (!xv.getType().isF32())
              xv = arith::ExtFOp::create(lb, l, f32, xv);
            Value ov = memref::LoadOp::create(lb, l, param(2), p);
            Value prod = arith::MulFOp::create(lb, l, xv, ov);
            scf::YieldOp::create(
                lb, l, ValueRange{arith::AddFOp::create(lb, l, acc[0], prod)});
          });
      f = arith::AddFOp::create(b, loc, f, loop.getResult(0));
    }
    if (c.rank) {
      unsigned base = c.outliers ? 3 : 0;
      Value z = arith::ConstantIndexOp::create(b, loc, 0);
      Value r = arith::ConstantIndexOp::create(b, loc, c.rank);
      auto loop = scf::ForOp::create(
          b, loc, z, r, one, ValueRange{zero},
          [&](OpBuilder &lb, Location l, Value j, ValueRange acc) {
            Value tv = memref::LoadOp::create(
                lb, l, param(base),
                s.conv ? ValueRange{row, j, pix} : ValueRange{row, j});
            Value bv = memref::LoadOp::create(lb, l, param(base + 1),
                                              ValueRange{col, j});
            if (c.lowRankF16)
              bv = arith::ExtFOp::create(lb, l, f32, bv);
            Value prod = arith::MulFOp::create(lb, l, tv, bv);
            scf::YieldOp::create(
                lb, l, ValueRange{arith::AddFOp::create(lb, l, acc[0], prod)});
          });
      f = arith::AddFOp::create(b, loc, f, loop.getResult(0));
    }
    if (trunc)
      trunc.getInMutable().assign(f);
    else
      store.getValueMutable().assign(f);
  }
}

void eraseEpilogue(const Epilogue &epilogue) {
  for (auto it = epilogue.steps.rbegin(); it != epilogue.steps.rend(); ++it)
    linalg::GenericOp(it->op).erase();
}

} // namespace gpu_kernels
} // namespace qsl
} // namespace mlir
